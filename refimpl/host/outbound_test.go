package host_test

import (
	"net"
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

// newSNATAgent: a public load balancer whose Floating IP rule gives its two
// VMs default SNAT on the frontend (1,024 ports each: vm1 has 2048-3071),
// and an outbound rule giving them 8 UDP ports each on 203.0.113.20 (vm1:
// 1032-1039).
func newSNATAgent(t testing.TB) (*host.Agent, *ruleset.Set) {
	t.Helper()
	d := fixture.WithOutboundRule(fixture.Deployment(2, &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 443, BackendPort: 443, EnableFloatingIP: true}),
		schema.ProtocolUdp, 8, 4)
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return host.New(set, "vm1", host.Options{Local: []packet.Addr{pkttest.Addr("10.1.1.1")}}), set
}

// TestOutboundSNAT follows one connection out and its answer back, byte in,
// byte out, with checksums checked (pkttest.Decode).
func TestOutboundSNAT(t *testing.T) {
	a, _ := newSNATAgent(t)
	dip := fixture.DIP(1)
	out, dst, r := a.Outbound(pkttest.TCP(t, dip, 40000, internet, 443, syn, []byte("hello")), 0)
	if r != stats.SNAT || dst != pkttest.Addr(internet) {
		t.Fatalf("Outbound = %v to %v, want snat to %s", r, dst, internet)
	}
	got := pkttest.Decode(t, out)
	port := srcPort(got)
	if !got.IP.SrcIP.Equal(net.ParseIP(fixture.FIP)) || port < 2048 || port > 3071 || dstPort(got) != 443 || string(payload(got)) != "hello" {
		t.Fatalf("internet sees %v:%d -> %v:%d %q; want %s and a port of vm1's range 2048-3071", got.IP.SrcIP, port, got.IP.DstIP, dstPort(got), payload(got), fixture.FIP)
	}
	again, _, _ := a.Outbound(pkttest.TCP(t, dip, 40000, internet, 443, pkttest.Flags{ACK: true}, nil), time.Second.Nanoseconds())
	if p := srcPort(pkttest.Decode(t, again)); p != port {
		t.Errorf("the connection's next packet left from port %d, its first from %d", p, port)
	}
	other, _, _ := a.Outbound(pkttest.TCP(t, dip, 40001, internet, 443, syn, nil), time.Second.Nanoseconds())
	if p := srcPort(pkttest.Decode(t, other)); p == port {
		t.Errorf("two connections to the same destination share port %d", p)
	}

	answer := pkttest.TCP(t, internet, 443, fixture.FIP, port, synack, []byte("world"))
	in, r := a.Inbound(encapsulate(encap.Header{Kind: encap.SNATReturn, Rule: 1, Backend: 1}, answer), 2*time.Second.Nanoseconds())
	if r != stats.Delivered {
		t.Fatalf("answer: %v", r)
	}
	vm := pkttest.Decode(t, in)
	if !vm.IP.SrcIP.Equal(net.ParseIP(internet)) || !vm.IP.DstIP.Equal(net.ParseIP(dip)) || dstPort(vm) != 40000 || string(payload(vm)) != "world" {
		t.Errorf("VM sees %v:%d -> %v:%d %q, want %s:443 -> %s:40000", vm.IP.SrcIP, srcPort(vm), vm.IP.DstIP, dstPort(vm), payload(vm), internet, dip)
	}
	// Four minutes later (the rule's idle timeout) the translation is gone.
	if _, r := a.Inbound(encapsulate(encap.Header{Kind: encap.SNATReturn, Rule: 1, Backend: 1}, answer), (2*time.Second + 5*time.Minute).Nanoseconds()); r != stats.SNATUnknown {
		t.Errorf("answer after the idle timeout: %v, want %v", r, stats.SNATUnknown)
	}
}

func TestOutboundRefused(t *testing.T) {
	a, _ := newSNATAgent(t)
	dip := fixture.DIP(1)
	for _, tt := range []struct {
		name string
		pkt  []byte
		want stats.Reason
	}{
		{"from the frontend IP: not translated, the flow fails", pkttest.TCP(t, fixture.FIP, 40000, internet, 443, syn, nil), stats.NotSNATed},
		{"from another VM's DIP", pkttest.TCP(t, fixture.DIP(0), 40000, internet, 443, syn, nil), stats.NotSNATed},
		{"to the platform address", pkttest.UDP(t, dip, 40000, "168.63.129.16", 53, nil), stats.VMOther},
		{"to the gateway", pkttest.UDP(t, dip, 40000, "10.1.1.1", 9, nil), stats.VMOther},
		{"ICMP", pkttest.ICMPEcho(t, dip, internet), stats.VMOther},
	} {
		if _, _, r := a.Outbound(tt.pkt, 0); r != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, r, tt.want)
		}
	}
	port := func(p uint16) []byte { return pkttest.UDP(t, internet, 53, fixture.OutboundFIP, p, nil) }
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
func TestOutboundPortsExhausted(t *testing.T) {
	a, _ := newSNATAgent(t)
	dip := fixture.DIP(1)
	seen := map[uint16]bool{}
	for i := range 8 {
		out, _, r := a.Outbound(pkttest.UDP(t, dip, uint16(50000+i), internet, 53, nil), 0)
		if r != stats.SNAT {
			t.Fatalf("connection %d: %v", i, r)
		}
		p := srcPort(pkttest.Decode(t, out))
		if p < 1032 || p > 1039 || seen[p] {
			t.Fatalf("connection %d left from port %d: want a new one of 1032-1039", i, p)
		}
		seen[p] = true
	}
	if _, _, r := a.Outbound(pkttest.UDP(t, dip, 50008, internet, 53, nil), 0); r != stats.SNATExhausted {
		t.Errorf("ninth connection: %v, want %v", r, stats.SNATExhausted)
	}
	if _, _, r := a.Outbound(pkttest.UDP(t, dip, 50008, "198.51.100.21", 53, nil), 0); r != stats.SNAT {
		t.Errorf("to another destination: %v, want %v", r, stats.SNAT)
	}
}
