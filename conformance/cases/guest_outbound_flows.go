package cases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "GuestOutboundFlows",
		Description: "Every outbound connection a guest declares (guests[].outbound; without any, one from the VM's primary DIP when the deployment gives it outbound SNAT) is opened from its VM, bound to its source address, to its destination held by the first client: from a DIP the deployment gives outbound SNAT it completes, arrives from the SNAT frontend on a port of the member's range, and its answer returns to the VM; from any other address, such as a Floating IP frontend on lo, it fails.",
		Profile:     suite.Core,
		Features:    []features.Name{features.OutboundSNAT, features.GuestOS},
		Expectation: "Azure translates connections a backend opens from its IP configuration to an outbound frontend (an outbound rule, or a public load-balancing rule without disableOutboundSnat). \"If your application binds to the frontend IP address configured on the loopback ... Azure's outbound won't rewrite the outbound flow, and the flow fails.\"",
		Source:      docFloatingIP,
		Budget: func(d *schema.Deployment, to target.Timeouts) time.Duration {
			n := len(d.VMs)
			for _, g := range d.Guests {
				n += len(g.Outbound)
			}
			return time.Duration(n) * (outboundTimeout + to.Deliver)
		},
		Run: func(t *suite.T) {
			v := view.Resolve(t.Deployment())
			n := 0
			for _, h := range t.Config().Hosts {
				for _, f := range outboundFlows(v, h) {
					if t.Context().Err() != nil {
						return
					}
					outboundFlow(t, v, h, f)
					n++
				}
			}
			if n == 0 {
				t.Skipf("no guest declares an outbound connection (guests[].outbound) and no VM has outbound SNAT: nothing to test")
			}
		},
	})
}

// outboundFlows returns the outbound connections to open from the VM of
// host h: the ones its guest declares; when it declares none, one from
// its primary DIP to the first client if the deployment gives that DIP
// outbound SNAT (TCP, else UDP): a public load balancer's backends reach
// the internet.
func outboundFlows(v *view.View, h contract.Host) []*schema.OutboundFlow {
	if g := v.Guest(h.VM.Name); g != nil && len(g.Outbound) > 0 {
		return g.Outbound
	}
	if len(h.VM.DIPs) == 0 {
		return nil
	}
	dip := view.ParseAddr(h.VM.DIPs[0])
	for _, p := range []schema.SockProto{schema.SockTCP, schema.SockUDP} {
		if m := v.OutboundFor(dip, p.Transport()); m != nil && m.VM.Name == h.VM.Name {
			return []*schema.OutboundFlow{{Name: "the VM's own connection", Proto: p, SourceAddress: dip.String()}}
		}
	}
	return nil
}

// outboundTimeout bounds one declared outbound connection: the dial, or
// the datagram's answer.
const outboundTimeout = 2 * time.Second

// outboundFlow opens one declared outbound connection of the VM of host h
// and judges it against what Azure does with it (view.OutboundFor): a
// translated connection must complete from its SNAT frontend, one Azure
// does not translate fails, and the report says so either way. A flow the
// topology cannot carry (IPv6, a destination inside private networks) is
// a member result "untested" with its reason.
func outboundFlow(t *suite.T, v *view.View, h contract.Host, f *schema.OutboundFlow) {
	vm := h.VM.Name
	sproto := f.Proto.Transport()
	proto := transports[sproto]
	src, dst := view.ParseAddr(f.SourceAddress), view.ParseAddr(f.Destination)
	if f.Destination == "" {
		dst = topo.ClientAddr(0)
	}
	port := uint16(f.Port)
	if port == 0 {
		port = topo.DefaultOutboundPort
	}
	name := fmt.Sprintf("outbound %q of %s (%s %s -> %s:%d)", f.Name, vm, proto, src, dst, port)
	untested := func(why string) {
		t.Logf("%s: not tested: %s", name, why)
		t.Member(name, vm, reports.MemberUntested, why)
	}
	m := v.OutboundFor(src, sproto)
	ownDIP := slices.Contains(h.VM.DIPs, src.String())
	switch {
	case !src.Is4() || !dst.Is4():
		untested("the conformance topology is IPv4 only")
		return
	case dst != topo.ClientAddr(0) && !slices.Contains(t.Config().Internet, dst.String()):
		untested(fmt.Sprintf("the destination %s is not an internet address the topology can hold (a private address is reached without SNAT; the fabric's own addresses are taken)", dst))
		return
	case ownDIP && (m == nil || m.VM.Name != vm):
		untested(fmt.Sprintf("the deployment gives %s no outbound SNAT (no outbound rule or public load-balancing rule with outbound SNAT covers it); Azure's default outbound access, NAT gateways and instance public IPs are not modelled", src))
		return
	}
	translated := ownDIP
	peer, err := outboundConnect(t.Context(), t, vm, proto, src, netip.AddrPortFrom(dst, port))
	switch {
	case translated && err != nil:
		t.Errorf("%s: fails, but the deployment translates it to %s (%s %s/%s): %v", name, m.SNAT.FIP(), snatKind(m.SNAT), m.SNAT.LB.Name, m.SNAT.Name, err)
		t.Member(name, vm, reports.StatusFailed, err.Error())
	case translated && !m.LeavesFrom(peer):
		t.Errorf("%s: the destination saw it from %s; Azure translates it to %s on %s", name, peer, m.SNAT.FIP(), m.Ports)
		t.Member(name, vm, reports.StatusFailed, "arrived from "+peer.String())
	case translated:
		t.Expect(t.Client(), suite.Step{What: name + ": arrives at the destination from the SNAT frontend " + m.SNAT.FIP().String(),
			Match: pkt.Match{Proto: proto, Src: m.SNAT.FIP(), SrcPort: peer.Port(), Dst: dst, DstPort: port}, Dir: capture.In})
		t.Member(name, vm, reports.StatusPassed, fmt.Sprintf("from %s via %s %s/%s", peer, snatKind(m.SNAT), m.SNAT.LB.Name, m.SNAT.Name))
	case err == nil:
		t.Errorf("%s: completed through the implementation under test, but Azure does not translate connections from %s: on Azure it fails", name, src)
		t.Member(name, vm, reports.StatusFailed, "Azure does not translate it; the implementation did")
	default:
		t.ExpectNone(t.Client(), suite.Step{What: name + ": nothing reaches the destination",
			Match: pkt.Match{Proto: proto, Dst: dst, DstPort: port}, Dir: capture.In})
		t.Errorf("%s: fails, as on Azure: %s is not an IP configuration of %s with outbound SNAT (a frontend IP on lo is never translated): bind outbound sockets to the DIP", name, src, vm)
		t.Member(name, vm, reports.StatusFailed, "fails as on Azure: the source is not translated")
	}
}

// snatKind names what an SNAT is for messages.
func snatKind(s *view.SNAT) string {
	if s.Outbound != nil {
		return "outbound rule"
	}
	return "default SNAT of rule"
}

// outboundConnect opens a connection of proto from src (any port) in the
// VM to dst, answered in the first client's namespace, which holds dst: a
// TCP connection accepted and written to, or a datagram echoed. It returns
// the peer the destination saw once the VM got the answer; ctx ends the
// attempt early.
func outboundConnect(ctx context.Context, t *suite.T, vm, proto string, src netip.Addr, dst netip.AddrPort) (netip.AddrPort, error) {
	peers := make(chan netip.AddrPort, 1)
	var serve func() error
	var sock io.Closer
	if err := t.InClient(func() error {
		var err error
		serve, sock, err = outboundServer(proto, dst, peers)
		return err
	}); err != nil {
		return netip.AddrPort{}, fmt.Errorf("the destination cannot listen on %s: %w", dst, err)
	}
	defer sock.Close()
	go func() { _ = serve() }()
	var local net.Addr = &net.TCPAddr{IP: src.AsSlice()}
	if proto == pkt.UDP {
		local = &net.UDPAddr{IP: src.AsSlice()}
	}
	var conn net.Conn
	err := t.InVM(vm, func() error {
		d := net.Dialer{Timeout: outboundTimeout, LocalAddr: local}
		var err error
		conn, err = d.DialContext(ctx, proto, dst.String())
		return err
	})
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.SetDeadline(time.Now().Add(outboundTimeout)); err != nil {
		return netip.AddrPort{}, err
	}
	if _, err := conn.Write([]byte("lbcheck outbound\n")); err != nil {
		return netip.AddrPort{}, err
	}
	buf := make([]byte, 64)
	if _, err := conn.Read(buf); err != nil {
		return netip.AddrPort{}, fmt.Errorf("no answer from %s within %v: %w", dst, outboundTimeout, err)
	}
	select {
	case p := <-peers:
		return p, nil
	default:
		return netip.AddrPort{}, errors.New("answered, but the destination saw no peer")
	}
}

// outboundServer binds the destination's socket (in the caller's
// namespace) and returns a function that answers one connection or
// datagram within outboundTimeout, sending the peer it saw to peers, and
// the socket, which the caller closes to stop it earlier.
func outboundServer(proto string, at netip.AddrPort, peers chan<- netip.AddrPort) (func() error, io.Closer, error) {
	deadline := time.Now().Add(outboundTimeout + time.Second)
	if proto == pkt.UDP {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(at))
		if err != nil {
			return nil, nil, err
		}
		return func() error {
			defer c.Close()
			_ = c.SetDeadline(deadline)
			buf := make([]byte, 1500)
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return err
			}
			peers <- from
			_, err = c.WriteToUDPAddrPort(buf[:n], from)
			return err
		}, c, nil
	}
	l, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(at))
	if err != nil {
		return nil, nil, err
	}
	return func() error {
		defer l.Close()
		_ = l.SetDeadline(deadline)
		c, err := l.AcceptTCP()
		if err != nil {
			return err
		}
		defer c.Close()
		peers <- c.RemoteAddr().(*net.TCPAddr).AddrPort()
		_, err = c.Write([]byte("ok\n"))
		return err
	}, l, nil
}
