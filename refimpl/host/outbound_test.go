package host_test

import (
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/host"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
	"github.com/lbcheck/lbcheck/schema"
)

const internet = "198.51.100.20"

// newSNATAgent: in f, a public load balancer whose Floating IP rule gives
// its two VMs default SNAT on the frontend (1,024 ports each: vm1 has
// 2048-3071), and an outbound rule giving them 8 UDP ports each on f.FIP2
// (vm1: 1032-1039). vm1's gateway, 10.1.1.1, is local.
func newSNATAgent(t testing.TB, f fixture.Family) (*host.Agent, *ruleset.Set) {
	t.Helper()
	d := f.WithOutboundRule(f.Deployment(2, &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 443, BackendPort: 443, EnableFloatingIP: true}),
		schema.ProtocolUdp, 8, 4)
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return host.New(set, "vm1", host.Options{Local: []packet.Addr{pkttest.Addr("10.1.1.1")}}), set
}

// TestOutboundSNAT follows one connection out and its answer back, byte in,
// byte out, with checksums checked (pkttest.Decode).
func TestOutboundSNAT(t *testing.T) { fixture.Each(t, testOutboundSNAT) }

func testOutboundSNAT(t *testing.T, f fixture.Family) {
	a, _ := newSNATAgent(t, f)
	dip := f.DIP(1)
	out, dst, r := a.Outbound(pkttest.TCP(t, dip, 40000, f.Host(20), 443, syn, []byte("hello")), 0)
	if r != stats.SNAT || dst != pkttest.Addr(f.Host(20)) {
		t.Fatalf("Outbound = %v to %v, want snat to %s", r, dst, f.Host(20))
	}
	got := pkttest.Decode(t, out)
	port := srcPort(got)
	if got.Src().String() != f.FIP || port < 2048 || port > 3071 || dstPort(got) != 443 || string(payload(got)) != "hello" {
		t.Fatalf("f.Host(20) sees %v:%d -> %v:%d %q; want %s and a port of vm1's range 2048-3071", got.Src(), port, got.Dst(), dstPort(got), payload(got), f.FIP)
	}
	again, _, _ := a.Outbound(pkttest.TCP(t, dip, 40000, f.Host(20), 443, pkttest.Flags{ACK: true}, nil), time.Second.Nanoseconds())
	if p := srcPort(pkttest.Decode(t, again)); p != port {
		t.Errorf("the connection's next packet left from port %d, its first from %d", p, port)
	}
	other, _, _ := a.Outbound(pkttest.TCP(t, dip, 40001, f.Host(20), 443, syn, nil), time.Second.Nanoseconds())
	if p := srcPort(pkttest.Decode(t, other)); p == port {
		t.Errorf("two connections to the same destination share port %d", p)
	}

	answer := pkttest.TCP(t, f.Host(20), 443, f.FIP, port, synack, []byte("world"))
	in, r := a.Inbound(encapsulate(encap.Header{Kind: encap.SNATReturn, Rule: 1, Backend: 1}, answer), 2*time.Second.Nanoseconds())
	if r != stats.Delivered {
		t.Fatalf("answer: %v", r)
	}
	vm := pkttest.Decode(t, in)
	if vm.Src().String() != f.Host(20) || vm.Dst().String() != dip || dstPort(vm) != 40000 || string(payload(vm)) != "world" {
		t.Errorf("VM sees %v:%d -> %v:%d %q, want %s:443 -> %s:40000", vm.Src(), srcPort(vm), vm.Dst(), dstPort(vm), payload(vm), f.Host(20), dip)
	}
	// Four minutes later (the rule's idle timeout) the translation is gone.
	if _, r := a.Inbound(encapsulate(encap.Header{Kind: encap.SNATReturn, Rule: 1, Backend: 1}, answer), (2*time.Second + 5*time.Minute).Nanoseconds()); r != stats.SNATUnknown {
		t.Errorf("answer after the idle timeout: %v, want %v", r, stats.SNATUnknown)
	}
}

func TestOutboundRefused(t *testing.T) { fixture.Each(t, testOutboundRefused) }

func testOutboundRefused(t *testing.T, f fixture.Family) {
	a, _ := newSNATAgent(t, f)
	dip := f.DIP(1)
	local := [2]string{"168.63.129.16", "10.1.1.1"}
	if f == fixture.IPv6 {
		local = [2]string{"fe80::1234:5678:9abc", "ff02::1:2"} // Azure's IPv6 gateway, DHCPv6 servers
	}
	for _, tt := range []struct {
		name string
		pkt  []byte
		want stats.Reason
	}{
		{"from the frontend IP: not translated, the flow fails", pkttest.TCP(t, f.FIP, 40000, f.Host(20), 443, syn, nil), stats.NotSNATed},
		{"from another VM's DIP", pkttest.TCP(t, f.DIP(0), 40000, f.Host(20), 443, syn, nil), stats.NotSNATed},
		{"to the platform address or a link-local one", pkttest.UDP(t, dip, 40000, local[0], 53, nil), stats.VMOther},
		{"to the gateway or a multicast group", pkttest.UDP(t, dip, 40000, local[1], 9, nil), stats.VMOther},
		{"ICMP", pkttest.ICMPEcho(t, dip, f.Host(20)), stats.VMOther},
	} {
		if _, _, r := a.Outbound(tt.pkt, 0); r != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, r, tt.want)
		}
	}
	port := func(p uint16) []byte { return pkttest.UDP(t, f.Host(20), 53, f.FIP2, p, nil) }
	for _, tt := range []struct {
		name string
		h    encap.Header
		pkt  []byte
		want stats.Reason
	}{
		{"no connection on the port", encap.Header{Kind: encap.SNATReturn, Rule: 0, Backend: 1}, port(1032), stats.SNATUnknown},
		{"another host's member", encap.Header{Kind: encap.SNATReturn, Rule: 0, Backend: 0}, port(1024), stats.WrongHost},
		{"header and port disagree", encap.Header{Kind: encap.SNATReturn, Rule: 0, Backend: 1}, port(1024), stats.EncapError},
		{"no such SNAT", encap.Header{Kind: encap.SNATReturn, Rule: 9, Backend: 1}, port(1032), stats.EncapError},
	} {
		if _, r := a.Inbound(encapsulate(tt.h, tt.pkt), 0); r != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, r, tt.want)
		}
	}
}

// TestOutboundPortsExhausted: the outbound rule gives vm1 eight UDP ports;
// a ninth connection to the same destination finds none, one to another
// destination reuses a port.
func TestOutboundPortsExhausted(t *testing.T) { fixture.Each(t, testOutboundPortsExhausted) }

func testOutboundPortsExhausted(t *testing.T, f fixture.Family) {
	a, _ := newSNATAgent(t, f)
	dip := f.DIP(1)
	seen := map[uint16]bool{}
	for i := range 8 {
		out, _, r := a.Outbound(pkttest.UDP(t, dip, uint16(50000+i), f.Host(20), 53, nil), 0)
		if r != stats.SNAT {
			t.Fatalf("connection %d: %v", i, r)
		}
		p := srcPort(pkttest.Decode(t, out))
		if p < 1032 || p > 1039 || seen[p] {
			t.Fatalf("connection %d left from port %d: want a new one of 1032-1039", i, p)
		}
		seen[p] = true
	}
	if _, _, r := a.Outbound(pkttest.UDP(t, dip, 50008, f.Host(20), 53, nil), 0); r != stats.SNATExhausted {
		t.Errorf("ninth connection: %v, want %v", r, stats.SNATExhausted)
	}
	if _, _, r := a.Outbound(pkttest.UDP(t, dip, 50008, f.Host(21), 53, nil), 0); r != stats.SNAT {
		t.Errorf("to another destination: %v, want %v", r, stats.SNAT)
	}
}
