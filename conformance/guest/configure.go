package guest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/proc"
)

// ResponderCommand is the hidden lbcheck subcommand that runs ResponderMain.
const ResponderCommand = "internal-responder"

// Options control Configure.
type Options struct {
	// Responder is the argv prefix that runs ResponderMain; the listeners
	// are appended. Empty: lbcheck (lbbin.Path) internal-responder.
	Responder []string
	// LogDir receives the responder's logs (default: os.TempDir()).
	LogDir string
	// ReadyTimeout bounds the responder's start (default 5s).
	ReadyTimeout time.Duration
}

// Guest is a configured VM namespace.
type Guest struct {
	Plan      *Plan
	NS        *netlab.NS
	responder *proc.Process
}

// Configure applies p to ns, whose NIC link p.NIC must exist (created by the
// topology as one end of the host's veth): NIC addresses, NIC up, default
// route via p.Gateway (onlink), the peers' neighbour entries, loopback
// addresses, sysctls, nftables, then
// the responder when the guest declares listeners.
func Configure(ctx context.Context, ns *netlab.NS, p *Plan, opts Options) (*Guest, error) {
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
	argv := opts.Responder
	if len(argv) == 0 {
		bin, err := lbbin.Path()
		if err != nil {
			return nil, wrap(err)
		}
		argv = []string{bin, ResponderCommand}
	}
	argv = append(append([]string(nil), argv...), "--vm", p.VM)
	for _, l := range p.Listeners {
		argv = append(argv, "--listen", l.String())
	}
	logDir := opts.LogDir
	if logDir == "" {
		logDir = os.TempDir()
	}
	timeout := opts.ReadyTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	var err error
	g.responder, err = proc.Start(ctx, proc.Spec{
		Name: "responder-" + p.VM, Argv: argv, NS: ns, LogDir: logDir,
		ReadyTimeout: timeout, Grace: proc.DefaultGrace,
	})
	if err != nil {
		return nil, wrap(err)
	}
	return g, nil
}

// Responder returns the responder process, or nil without listeners.
func (g *Guest) Responder() *proc.Process { return g.responder }

// Close stops the responder. The namespace itself belongs to the lab.
func (g *Guest) Close() error {
	if g.responder == nil {
		return nil
	}
	return g.responder.Stop()
}
