package host_test

import (
	"bytes"
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

// newAgent is the agent of vm in f's deployment: rule 0 web (Tcp 80 ->
// 8080, floating off), rule 1 fweb (Tcp 443 -> 8443, floating on), rule 2
// dns (Udp 53 -> 53, floating on), rule 3 ha (All/0/0 on f.FIP2, floating
// off).
func newAgent(t testing.TB, f fixture.Family, vm string) (*host.Agent, *ruleset.Set) {
	t.Helper()
	d := f.Deployment(2,
		&schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080},
		&schema.Rule{Name: "fweb", Protocol: "Tcp", FrontendPort: 443, BackendPort: 8443, EnableFloatingIP: true},
		&schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53, EnableFloatingIP: true},
		&schema.Rule{Name: "ha", FrontendIPConfiguration: "ha", Protocol: "All"},
	)
	d.LoadBalancers[0].FrontendIPConfigurations = append(d.LoadBalancers[0].FrontendIPConfigurations,
		&schema.Frontend{Name: "ha", IPAddress: f.FIP2})
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return host.New(set, vm, host.Options{DIPs: []packet.Addr{pkttest.Addr(f.DIP(int(vm[len(vm)-1] - '0')))}}), set
}

// TestInboundAndReply is byte-in/byte-out: what the VM receives and what the
// client receives, with checksums checked against a full recompute.
func TestInboundAndReply(t *testing.T) { fixture.Each(t, testInboundAndReply) }

func testInboundAndReply(t *testing.T, f fixture.Family) {
	dip := f.DIP(1)
	for _, tt := range []struct {
		name       string
		rule       uint16
		in         []byte
		vmDst      string // what the VM sees
		vmPort     uint16
		reply      []byte // what the VM sends back
		clientSrc  string // what the f.Client sees
		clientPort uint16
	}{
		{"floating off: DNAT to DIP:bport", 0,
			pkttest.TCP(t, f.Client, 40000, f.FIP, 80, syn, []byte("hi")), dip, 8080,
			pkttest.TCP(t, dip, 8080, f.Client, 40000, synack, nil), f.FIP, 80},
		{"floating on: dst stays FIP, port rewritten", 1,
			pkttest.TCP(t, f.Client, 40001, f.FIP, 443, syn, nil), f.FIP, 8443,
			pkttest.TCP(t, f.FIP, 8443, f.Client, 40001, synack, nil), f.FIP, 443},
		{"floating on, same port: untouched", 2,
			pkttest.UDP(t, f.Client, 5000, f.FIP, 53, []byte("query")), f.FIP, 53,
			pkttest.UDP(t, f.FIP, 53, f.Client, 5000, []byte("answer")), f.FIP, 53},
		{"ha ports keep the port", 3,
			pkttest.TCP(t, f.Client, 40002, f.FIP2, 4444, syn, nil), dip, 4444,
			pkttest.TCP(t, dip, 4444, f.Client, 40002, synack, nil), f.FIP2, 4444},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newAgent(t, f, "vm1")
			orig := append([]byte(nil), tt.in...)
			out, r := a.Inbound(encapsulate(encap.Header{Rule: tt.rule, Backend: 1}, tt.in), 0)
			if r != stats.Delivered {
				t.Fatalf("Inbound: %v", r)
			}
			got := pkttest.Decode(t, out)
			want := pkttest.Decode(t, orig)
			if got.Src().String() != f.Client || got.Dst().String() != tt.vmDst {
				t.Errorf("VM sees %v -> %v, want %s -> %s", got.Src(), got.Dst(), f.Client, tt.vmDst)
			}
			if dport := dstPort(got); dport != tt.vmPort {
				t.Errorf("VM sees port %d, want %d", dport, tt.vmPort)
			}
			if got.TTL() != want.TTL() || !bytes.Equal(payload(got), payload(want)) {
				t.Error("inbound changed more than address and port")
			}
			rep, dst, r := a.Reply(tt.reply, time.Second.Nanoseconds())
			if r != stats.Reply {
				t.Fatalf("Reply: %v", r)
			}
			if dst != pkttest.Addr(f.Client) {
				t.Errorf("reply sent to %v", dst)
			}
			c := pkttest.Decode(t, rep)
			if c.Src().String() != tt.clientSrc || c.Dst().String() != f.Client || srcPort(c) != tt.clientPort {
				t.Errorf("f.Client sees %v:%d -> %v, want %s:%d -> %s", c.Src(), srcPort(c), c.Dst(), tt.clientSrc, tt.clientPort, f.Client)
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

func TestInboundRejects(t *testing.T) { fixture.Each(t, testInboundRejects) }

func testInboundRejects(t *testing.T, f fixture.Family) {
	web := pkttest.TCP(t, f.Client, 40000, f.FIP, 80, syn, nil)
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
		a, _ := newAgent(t, f, "vm1")
		if out, r := a.Inbound(tt.b, 0); r != tt.want || out != nil {
			t.Errorf("%s: %v (%d bytes), want %v", tt.name, r, len(out), tt.want)
		}
	}
}

// probeSource is where f's health probes come from: Azure's platform
// address, or for IPv6 a link-local address.
func probeSource(f fixture.Family) string {
	if f == fixture.IPv6 {
		return "fe80::1"
	}
	return "168.63.129.16"
}

func TestReplyOther(t *testing.T) { fixture.Each(t, testReplyOther) }

func testReplyOther(t *testing.T, f fixture.Family) {
	a, _ := newAgent(t, f, "vm1")
	a.Inbound(encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(t, f.Client, 40000, f.FIP, 80, syn, nil)), 0)
	for _, tt := range []struct {
		name string
		b    []byte
		want stats.Reason
	}{
		{"probe answer", pkttest.TCP(t, f.DIP(1), 8080, probeSource(f), 33000, synack, nil), stats.VMOther},
		{"other f.Client port", pkttest.TCP(t, f.DIP(1), 8080, f.Client, 40001, synack, nil), stats.VMOther},
		{"icmp", pkttest.ICMPEcho(t, f.DIP(1), f.Client), stats.VMOther},
		{"garbage", []byte{0x45, 1, 2}, stats.Malformed},
		{"after idle timeout", pkttest.TCP(t, f.DIP(1), 8080, f.Client, 40000, synack, nil), stats.FlowExpired},
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

func TestRewriteDoesNotAllocate(t *testing.T) { fixture.Each(t, testRewriteDoesNotAllocate) }

func testRewriteDoesNotAllocate(t *testing.T, f fixture.Family) {
	a, _ := newAgent(t, f, "vm1")
	in := encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(t, f.Client, 40000, f.FIP, 80, syn, nil))
	buf := make([]byte, len(in))
	rep := pkttest.TCP(t, f.DIP(1), 8080, f.Client, 40000, synack, nil)
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

// agents returns vm1's agent of each family, and seeds f with packets of
// each to its rules (and, with replies, their replies).
func agents(f *testing.F, replies bool) []*host.Agent {
	var out []*host.Agent
	for _, fam := range fixture.Families {
		a, _ := newAgent(f, fam, "vm1")
		web := pkttest.TCP(f, fam.Client, 40000, fam.FIP, 80, syn, []byte("x"))
		dns := pkttest.UDP(f, fam.Client, 5000, fam.FIP, 53, []byte("q"))
		if replies {
			a.Inbound(encapsulate(encap.Header{Rule: 0, Backend: 1}, web), 0)
			a.Inbound(encapsulate(encap.Header{Rule: 2, Backend: 1}, dns), 0)
			f.Add(pkttest.TCP(f, fam.DIP(1), 8080, fam.Client, 40000, synack, nil))
			f.Add(pkttest.UDP(f, fam.FIP, 53, fam.Client, 5000, []byte("a")))
		} else {
			f.Add(encapsulate(encap.Header{Rule: 0, Backend: 1}, web))
			f.Add(encapsulate(encap.Header{Rule: 2, Backend: 1}, dns))
			f.Add(encapsulate(encap.Header{Rule: 3, Backend: 1}, pkttest.UDP(f, fam.Client, 5000, fam.FIP2, 9, nil)))
		}
		out = append(out, a)
	}
	return out
}

func FuzzInbound(f *testing.F) {
	f.Add([]byte("LB\x01\x00"))
	as := agents(f, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, a := range as {
			out, r := a.Inbound(b, 0)
			if (r == stats.Delivered) != (out != nil) {
				t.Fatalf("reason %v with %d bytes out", r, len(out))
			}
		}
	})
}

func FuzzReply(f *testing.F) {
	f.Add([]byte{0x45})
	as := agents(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, a := range as {
			out, _, r := a.Reply(b, 1)
			if (r == stats.Reply) != (out != nil) {
				t.Fatalf("reason %v with %d bytes out", r, len(out))
			}
		}
	})
}

func BenchmarkInbound(b *testing.B) {
	for _, f := range fixture.Families {
		b.Run(f.Name, func(b *testing.B) {
			a, _ := newAgent(b, f, "vm1")
			in := encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(b, f.Client, 40000, f.FIP, 80, pkttest.Flags{ACK: true}, make([]byte, 64)))
			buf := make([]byte, len(in))
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				copy(buf, in)
				if _, r := a.Inbound(buf, 0); r != stats.Delivered {
					b.Fatal(r)
				}
			}
		})
	}
}

func BenchmarkReply(b *testing.B) {
	for _, f := range fixture.Families {
		b.Run(f.Name, func(b *testing.B) {
			a, _ := newAgent(b, f, "vm1")
			a.Inbound(encapsulate(encap.Header{Rule: 0, Backend: 1}, pkttest.TCP(b, f.Client, 40000, f.FIP, 80, syn, nil)), 0)
			rep := pkttest.TCP(b, f.DIP(1), 8080, f.Client, 40000, pkttest.Flags{ACK: true}, make([]byte, 64))
			buf := make([]byte, len(rep))
			b.ReportAllocs()
			b.SetBytes(int64(len(rep)))
			for b.Loop() {
				copy(buf, rep)
				if _, _, r := a.Reply(buf, 0); r != stats.Reply {
					b.Fatal(r)
				}
			}
		})
	}
}
