package host_test

import (
	"bytes"
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

const client = "198.51.100.100"

var (
	syn    = pkttest.Flags{SYN: true}
	synack = pkttest.Flags{SYN: true, ACK: true}
)

func encapsulate(h encap.Header, inner []byte) []byte {
	b := make([]byte, encap.HeaderLen+len(inner))
	encap.Put(b, h)
	copy(b[encap.HeaderLen:], inner)
	return b
}

// deployment: rule 0 web (Tcp 80 -> 8080, floating off), rule 1 fweb (Tcp
// 443 -> 8443, floating on), rule 2 dns (Udp 53 -> 53, floating on),
// rule 3 ha (All/0/0 on 203.0.113.20, floating off).
func newAgent(t testing.TB, vm string) (*host.Agent, *ruleset.Set) {
	t.Helper()
	d := fixture.Deployment(2,
		&schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080},
		&schema.Rule{Name: "fweb", Protocol: "Tcp", FrontendPort: 443, BackendPort: 8443, EnableFloatingIP: true},
		&schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53, EnableFloatingIP: true},
		&schema.Rule{Name: "ha", FrontendIPConfiguration: "ha", Protocol: "All"},
	)
	d.LoadBalancers[0].FrontendIPConfigurations = append(d.LoadBalancers[0].FrontendIPConfigurations,
		&schema.Frontend{Name: "ha", IPAddress: "203.0.113.20"})
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return host.New(set, vm, host.Options{DIPs: []packet.Addr{pkttest.Addr(fixture.DIP(int(vm[len(vm)-1] - '0')))}}), set
}

// TestInboundAndReply is byte-in/byte-out: what the VM receives and what the
// client receives, with checksums checked against a full recompute.
func TestInboundAndReply(t *testing.T) {
	dip := fixture.DIP(1)
	for _, tt := range []struct {
		name       string
		rule       uint16
		in         []byte
		vmDst      string // what the VM sees
		vmPort     uint16
		reply      []byte // what the VM sends back
		clientSrc  string // what the client sees
		clientPort uint16
	}{
		{"floating off: DNAT to DIP:bport", 0,
			pkttest.TCP(t, client, 40000, fixture.FIP, 80, syn, []byte("hi")), dip, 8080,
			pkttest.TCP(t, dip, 8080, client, 40000, synack, nil), fixture.FIP, 80},
		{"floating on: dst stays FIP, port rewritten", 1,
			pkttest.TCP(t, client, 40001, fixture.FIP, 443, syn, nil), fixture.FIP, 8443,
			pkttest.TCP(t, fixture.FIP, 8443, client, 40001, synack, nil), fixture.FIP, 443},
		{"floating on, same port: untouched", 2,
			pkttest.UDP(t, client, 5000, fixture.FIP, 53, []byte("query")), fixture.FIP, 53,
			pkttest.UDP(t, fixture.FIP, 53, client, 5000, []byte("answer")), fixture.FIP, 53},
		{"ha ports keep the port", 3,
			pkttest.TCP(t, client, 40002, "203.0.113.20", 4444, syn, nil), dip, 4444,
			pkttest.TCP(t, dip, 4444, client, 40002, synack, nil), "203.0.113.20", 4444},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newAgent(t, "vm1")
			orig := append([]byte(nil), tt.in...)
			out, r := a.Inbound(encapsulate(encap.Header{Rule: tt.rule, Backend: 1}, tt.in), 0)
			if r != stats.Delivered {
				t.Fatalf("Inbound: %v", r)
			}
			got := pkttest.Decode(t, out)
			want := pkttest.Decode(t, orig)
			if !got.IP.SrcIP.Equal(net.ParseIP(client)) || !got.IP.DstIP.Equal(net.ParseIP(tt.vmDst)) {
				t.Errorf("VM sees %v -> %v, want %s -> %s", got.IP.SrcIP, got.IP.DstIP, client, tt.vmDst)
			}
			if dport := dstPort(got); dport != tt.vmPort {
				t.Errorf("VM sees port %d, want %d", dport, tt.vmPort)
			}
			if got.IP.TTL != want.IP.TTL || !bytes.Equal(payload(got), payload(want)) {
				t.Error("inbound changed more than address and port")
			}
			rep, dst, r := a.Reply(tt.reply, time.Second.Nanoseconds())
			if r != stats.Reply {
				t.Fatalf("Reply: %v", r)
			}
			if dst != pkttest.Addr(client) {
				t.Errorf("reply sent to %v", dst)
			}
			c := pkttest.Decode(t, rep)
			if !c.IP.SrcIP.Equal(net.ParseIP(tt.clientSrc)) || !c.IP.DstIP.Equal(net.ParseIP(client)) || srcPort(c) != tt.clientPort {
				t.Errorf("client sees %v:%d -> %v, want %s:%d -> %s", c.IP.SrcIP, srcPort(c), c.IP.DstIP, tt.clientSrc, tt.clientPort, client)
			}
		})
	}
}

func dstPort(d pkttest.Decoded) uint16 {
	if d.TCP != nil {
		return uint16(d.TCP.DstPort)
	}
	return uint16(d.UDP.DstPort)
}

func srcPort(d pkttest.Decoded) uint16 {
	if d.TCP != nil {
		return uint16(d.TCP.SrcPort)
	}
	return uint16(d.UDP.SrcPort)
}

func payload(d pkttest.Decoded) []byte {
	if d.TCP != nil {
		return d.TCP.Payload
	}
	return d.UDP.Payload
}

func TestInboundRejects(t *testing.T) {
	web := pkttest.TCP(t, client, 40000, fixture.FIP, 80, syn, nil)
	for _, tt := range []struct {
		name string
		b    []byte
		want stats.Reason
	}{
		{"short", []byte("LB"), stats.EncapError},
		{"bad magic", append([]byte("XX\x01\x00\x00\x00\x00\x01"), web...), stats.EncapError},
		{"rule out of range", encapsulate(encap.Header{Rule: 99, Backend: 1}, web), stats.EncapError},
		{"backend out of range", encapsulate(encap.Header{Rule: 0, Backend: 9}, web), stats.EncapError},
		{"backend on another host", encapsulate(encap.Header{Rule: 0, Backend: 0}, web), stats.WrongHost},
		{"inner packet does not match the rule", encapsulate(encap.Header{Rule: 1, Backend: 1}, web), stats.EncapError},
		{"inner packet truncated", encapsulate(encap.Header{Rule: 0, Backend: 1}, web[:25]), stats.Malformed},
	} {
		a, _ := newAgent(t, "vm1")
		if out, r := a.Inbound(tt.b, 0); r != tt.want || out != nil {
			t.Errorf("%s: %v (%d bytes), want %v", tt.name, r, len(out), tt.want)
		}
	}
}

func TestReplyOther(t *testing.T) {
	a, _ := newAgent(t, "vm1")
	a.Inbound(encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(t, client, 40000, fixture.FIP, 80, syn, nil)), 0)
	for _, tt := range []struct {
		name string
		b    []byte
		want stats.Reason
	}{
		{"probe answer", pkttest.TCP(t, fixture.DIP(1), 8080, "168.63.129.16", 33000, synack, nil), stats.VMOther},
		{"other client port", pkttest.TCP(t, fixture.DIP(1), 8080, client, 40001, synack, nil), stats.VMOther},
		{"icmp", pkttest.ICMPEcho(t, fixture.DIP(1), client), stats.VMOther},
		{"garbage", []byte{0x45, 1, 2}, stats.Malformed},
		{"after idle timeout", pkttest.TCP(t, fixture.DIP(1), 8080, client, 40000, synack, nil), stats.FlowExpired},
	} {
		now := int64(0)
		if tt.want == stats.FlowExpired {
			now = int64(ruleset.DefaultIdle) + 1
		}
		if out, _, r := a.Reply(tt.b, now); r != tt.want || out != nil {
			t.Errorf("%s: %v, want %v", tt.name, r, tt.want)
		}
	}
}

func TestRewriteDoesNotAllocate(t *testing.T) {
	a, _ := newAgent(t, "vm1")
	in := encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(t, client, 40000, fixture.FIP, 80, syn, nil))
	buf := make([]byte, len(in))
	rep := pkttest.TCP(t, fixture.DIP(1), 8080, client, 40000, synack, nil)
	rbuf := make([]byte, len(rep))
	if n := testing.AllocsPerRun(1000, func() {
		copy(buf, in)
		a.Inbound(buf, 0)
		copy(rbuf, rep)
		a.Reply(rbuf, 0)
	}); n != 0 {
		t.Errorf("Inbound+Reply allocate %.1f times", n)
	}
}

func FuzzInbound(f *testing.F) {
	f.Add(encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(f, client, 40000, fixture.FIP, 80, syn, []byte("x"))))
	f.Add(encapsulate(encap.Header{Rule: 2, Backend: 1}, pkttest.UDP(f, client, 5000, fixture.FIP, 53, []byte("q"))))
	f.Add(encapsulate(encap.Header{Rule: 3, Backend: 1}, pkttest.UDP(f, client, 5000, "203.0.113.20", 9, nil)))
	f.Add([]byte("LB\x01\x00"))
	a, _ := newAgent(f, "vm1")
	f.Fuzz(func(t *testing.T, b []byte) {
		out, r := a.Inbound(b, 0)
		if (r == stats.Delivered) != (out != nil) {
			t.Fatalf("reason %v with %d bytes out", r, len(out))
		}
	})
}

func FuzzReply(f *testing.F) {
	f.Add(pkttest.TCP(f, fixture.DIP(1), 8080, client, 40000, synack, nil))
	f.Add(pkttest.UDP(f, fixture.FIP, 53, client, 5000, []byte("a")))
	f.Add([]byte{0x45})
	a, _ := newAgent(f, "vm1")
	a.Inbound(encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(f, client, 40000, fixture.FIP, 80, syn, nil)), 0)
	a.Inbound(encapsulate(encap.Header{Rule: 2, Backend: 1}, pkttest.UDP(f, client, 5000, fixture.FIP, 53, nil)), 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _, r := a.Reply(b, 1)
		if (r == stats.Reply) != (out != nil) {
			t.Fatalf("reason %v with %d bytes out", r, len(out))
		}
	})
}

func BenchmarkInbound(b *testing.B) {
	a, _ := newAgent(b, "vm1")
	in := encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(b, client, 40000, fixture.FIP, 80, pkttest.Flags{ACK: true}, make([]byte, 64)))
	buf := make([]byte, len(in))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		copy(buf, in)
		if _, r := a.Inbound(buf, 0); r != stats.Delivered {
			b.Fatal(r)
		}
	}
}

func BenchmarkReply(b *testing.B) {
	a, _ := newAgent(b, "vm1")
	a.Inbound(encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(b, client, 40000, fixture.FIP, 80, syn, nil)), 0)
	rep := pkttest.TCP(b, fixture.DIP(1), 8080, client, 40000, pkttest.Flags{ACK: true}, make([]byte, 64))
	buf := make([]byte, len(rep))
	b.ReportAllocs()
	b.SetBytes(int64(len(rep)))
	for b.Loop() {
		copy(buf, rep)
		if _, _, r := a.Reply(buf, 0); r != stats.Reply {
			b.Fatal(r)
		}
	}
}
