package guest

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
)

// Guest is a configured VM namespace.
type Guest struct {
	Plan      *Plan      // what Configure applied
	NS        *netlab.NS // the VM namespace
	responder *Responder // nil without listeners
}

// Configure applies p to ns, whose NIC link p.NIC must exist (created by the
// topology as one end of the host's veth): NIC addresses, NIC up, default
// route via p.Gateway (onlink), the peers' neighbour entries, loopback
// addresses, sysctls, nftables, then the responder when the guest declares
// listeners: bound inside ns, served by goroutines of the calling process
// until Close.
func Configure(ns *netlab.NS, p *Plan) (*Guest, error) {
	wrap := func(err error) error { return fmt.Errorf("guest %s: %w", p.VM, err) }
	for _, a := range p.NICAddrs {
		if err := ns.AddAddr(p.NIC, a); err != nil {
			return nil, wrap(err)
		}
	}
	if err := ns.Up(p.NIC); err != nil {
		return nil, wrap(err)
	}
	if err := ns.WaitUp(2*time.Second, p.NIC); err != nil {
		return nil, wrap(err)
	}
	if err := ns.AddRoute(netlab.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: p.Gateway, Dev: p.NIC, OnLink: true}); err != nil {
		return nil, wrap(err)
	}
	for _, a := range p.Peers {
		if err := ns.AddNeighbor(p.NIC, a, p.PeerMAC); err != nil {
			return nil, wrap(err)
		}
	}
	// Loopback addresses after the default route, as on a real VM (DHCP set
	// the route at boot): a Linux /24 on lo that covers the gateway must not
	// prevent the route, only break the traffic.
	for _, a := range p.LoAddrs {
		if err := ns.AddAddr("lo", a); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, wrap(err)
		}
	}
	if err := ns.Sysctls(p.Sysctls); err != nil {
		return nil, wrap(err)
	}
	if err := applyNFT(ns.Fd(), p); err != nil {
		return nil, wrap(err)
	}
	g := &Guest{Plan: p, NS: ns}
	if len(p.Listeners) == 0 {
		return g, nil
	}
	if err := ns.Do(func() (err error) {
		g.responder, err = Listen(p.VM, p.Listeners)
		return err
	}); err != nil {
		return nil, wrap(err)
	}
	g.responder.Serve()
	return g, nil
}

// Close stops the responder and waits until its ports are free. The
// namespace itself belongs to the lab.
func (g *Guest) Close() error {
	if g.responder == nil {
		return nil
	}
	return g.responder.Close()
}
