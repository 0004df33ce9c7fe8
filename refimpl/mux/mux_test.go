package mux_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/mux"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
	"github.com/lbcheck/lbcheck/schema"
)

const client = "198.51.100.100"

// hostOf places vm<i> on host 198.51.100.(11+i), encapsulation port 4789.
func hostOf(vm string) (netip.AddrPort, bool) {
	var i int
	if _, err := fmt.Sscanf(vm, "vm%d", &i); err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(11 + i)}), 4789), true
}

// newMux compiles f.Deployment(n, rules...) for a mux.
func newMux(t testing.TB, f fixture.Family, n int, opts mux.Options, rules ...*schema.Rule) (*mux.Mux, *ruleset.Set) {
	t.Helper()
	set, err := ruleset.Compile(f.Deployment(n, rules...))
	if err != nil {
		t.Fatal(err)
	}
	return mux.New(set, hostOf, opts), set
}

var (
	web    = &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080}
	dns    = &schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53}
	syn    = pkttest.Flags{SYN: true}
	ack    = pkttest.Flags{ACK: true}
	minute = int64(time.Minute)
)

func clone(r *schema.Rule) *schema.Rule { c := *r; return &c }

func TestProcessVerdicts(t *testing.T) { fixture.Each(t, testProcessVerdicts) }

// fragment returns a UDP datagram of f from client to fip:53 marked as a
// fragment: IPv4 more fragments, an IPv6 Fragment header.
func fragment(t *testing.T, f fixture.Family) []byte {
	frag := pkttest.UDP(t, f.Client, 5000, f.FIP, 53, []byte("q"))
	if f == fixture.IPv6 {
		return pkttest.WithExtensions(frag, pkttest.Extension{Type: 44, Body: []byte{0, 1, 0, 0, 0, 7}})
	}
	frag[6] |= 0x20
	binary.BigEndian.PutUint16(frag[10:], 0)
	binary.BigEndian.PutUint16(frag[10:], packet.HeaderChecksum(frag))
	return frag
}

func testProcessVerdicts(t *testing.T, f fixture.Family) {
	m, _ := newMux(t, f, 2, mux.Options{}, clone(web), clone(dns),
		&schema.Rule{Name: "ha", FrontendIPConfiguration: "ha", Protocol: "All"})
	mha := mux.New(fixtureHA(t, f), hostOf, mux.Options{})
	c := f.Client
	padded := append(pkttest.UDP(t, c, 5000, f.FIP, 53, []byte("q")), 0, 0, 0)
	syn80 := pkttest.TCP(t, c, 40000, f.FIP, 80, syn, nil)
	ha := pkttest.UDP(t, c, 40000, f.FIP2, 1, nil)
	for _, tt := range []struct {
		name string
		m    *mux.Mux
		b    []byte
		want stats.Reason
		len  int
	}{
		{"tcp to rule", m, syn80, stats.Forwarded, len(syn80)},
		{"udp to rule, padding not forwarded", m, padded, stats.Forwarded, len(padded) - 3},
		{"tcp port without rule", m, pkttest.TCP(t, c, 40000, f.FIP, 81, syn, nil), stats.NoRule, 0},
		{"udp to tcp rule port", m, pkttest.UDP(t, c, 40000, f.FIP, 80, nil), stats.NoRule, 0},
		{"icmp to frontend", m, pkttest.ICMPEcho(t, c, f.FIP), stats.NoRule, 0},
		{"not a frontend", m, pkttest.TCP(t, c, 40000, f.Host(2), 80, syn, nil), stats.NotFrontend, 0},
		{"truncated", m, syn80[:len(syn80)-10], stats.Malformed, 0},
		{"garbage", m, []byte("hello, mux"), stats.Malformed, 0},
		{"fragment", m, fragment(t, f), stats.Fragment, 0},
		{"ha ports tcp 4444", mha, pkttest.TCP(t, c, 40000, f.FIP2, 4444, syn, nil), stats.Forwarded, len(syn80)},
		{"ha ports udp 1", mha, ha, stats.Forwarded, len(ha)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.m.Process(tt.b, 0)
			if d.Reason != tt.want {
				t.Fatalf("reason %v, want %v", d.Reason, tt.want)
			}
			if d.Reason == stats.Forwarded {
				if d.Len != tt.len {
					t.Errorf("len %d, want %d", d.Len, tt.len)
				}
				if want, _ := hostOf(fmt.Sprintf("vm%d", d.Backend)); d.Host != want {
					t.Errorf("host %v for backend %d, want %v", d.Host, d.Backend, want)
				}
			}
		})
	}
}

// fixtureHA compiles f's deployment of two VMs with an HA-ports rule on
// frontend "ha" (f.FIP2).
func fixtureHA(t *testing.T, f fixture.Family) *ruleset.Set {
	d := f.Deployment(2, &schema.Rule{Name: "ha", FrontendIPConfiguration: "ha", Protocol: "All"})
	d.LoadBalancers[0].FrontendIPConfigurations = append(d.LoadBalancers[0].FrontendIPConfigurations,
		&schema.Frontend{Name: "ha", IPAddress: f.FIP2})
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// backends sends one new flow per source port and returns the chosen backends.
func backends(t *testing.T, m *mux.Mux, mk func(sport uint16) []byte, n int, now int64) map[uint16]int {
	t.Helper()
	got := map[uint16]int{}
	for p := range n {
		d := m.Process(mk(uint16(10000+p)), now)
		if d.Reason != stats.Forwarded {
			t.Fatalf("sport %d: %v", 10000+p, d.Reason)
		}
		got[d.Backend]++
	}
	return got
}

func TestDistribution(t *testing.T) { fixture.Each(t, testDistribution) }

func testDistribution(t *testing.T, f fixture.Family) {
	tcp := func(dst string) func(uint16) []byte {
		return func(sport uint16) []byte { return pkttest.TCP(t, f.Client, sport, dst, 80, syn, nil) }
	}
	t.Run("Default spreads f.Client ports", func(t *testing.T) {
		m, _ := newMux(t, f, 3, mux.Options{}, clone(web))
		if got := backends(t, m, tcp(f.FIP), 300, 0); len(got) != 3 {
			t.Errorf("300 flows from one f.Client hit %d of 3 backends: %v", len(got), got)
		}
	})
	for _, dist := range []schema.Distribution{schema.DistributionSourceIP, schema.DistributionSourceIPProtocol} {
		t.Run(string(dist)+" pins a f.Client", func(t *testing.T) {
			w, d := clone(web), clone(dns)
			w.LoadDistribution, d.LoadDistribution = dist, dist
			m, _ := newMux(t, f, 3, mux.Options{}, w, d)
			got := backends(t, m, tcp(f.FIP), 100, 0)
			if len(got) != 1 {
				t.Fatalf("one f.Client hit %d backends: %v", len(got), got)
			}
			udp := backends(t, m, func(sport uint16) []byte { return pkttest.UDP(t, f.Client, sport, f.FIP, 53, nil) }, 50, 0)
			if len(udp) != 1 {
				t.Fatalf("one f.Client's UDP hit %d backends: %v", len(udp), udp)
			}
			// SourceIP pins (f.Client, frontend) across protocols too.
			if dist == "SourceIP" {
				for b := range got {
					if udp[b] == 0 {
						t.Errorf("SourceIP: TCP went to %v but UDP to %v", got, udp)
					}
				}
			}
			// Different clients spread.
			clients := map[uint16]int{}
			for i := range 200 {
				src := f.Host(i + 1)
				dd := m.Process(pkttest.TCP(t, src, 40000, f.FIP, 80, syn, nil), 0)
				clients[dd.Backend]++
			}
			if len(clients) != 3 {
				t.Errorf("200 clients hit %d of 3 backends", len(clients))
			}
		})
	}
}

func TestHashFields(t *testing.T) { fixture.Each(t, testHashFields) }

func testHashFields(t *testing.T, f fixture.Family) {
	a := packet.Tuple{Src: pkttest.Addr(f.Client), Dst: pkttest.Addr(f.FIP), SrcPort: 1, DstPort: 80, Proto: 6}
	b := a
	b.SrcPort = 2
	c := a
	c.Proto = 17
	// Addresses that differ in one bit only, high in the address or low.
	high, low := a, a
	high.Src[0] ^= 0x80
	low.Dst[15] ^= 1
	for _, tt := range []struct {
		d          ruleset.Distribution
		sport, pro bool // whether the hash changes with the source port / protocol
	}{
		{ruleset.FiveTuple, true, true},
		{ruleset.SourceIP, false, false},
		{ruleset.SourceIPProtocol, false, true},
	} {
		if got := mux.Hash(a, tt.d) != mux.Hash(b, tt.d); got != tt.sport {
			t.Errorf("dist %d: hash changes with source port = %v, want %v", tt.d, got, tt.sport)
		}
		if got := mux.Hash(a, tt.d) != mux.Hash(c, tt.d); got != tt.pro {
			t.Errorf("dist %d: hash changes with protocol = %v, want %v", tt.d, got, tt.pro)
		}
		if f == fixture.IPv6 && (mux.Hash(a, tt.d) == mux.Hash(high, tt.d) || mux.Hash(a, tt.d) == mux.Hash(low, tt.d)) {
			t.Errorf("dist %d: hash ignores a bit of the IPv6 addresses", tt.d)
		}
	}
}

// TestHashIPv4Unchanged: IPv4 flows hash as they did before the forwarder
// knew IPv6 (these values come from that version), so an upgrade moves
// no IPv4 flow.
func TestHashIPv4Unchanged(t *testing.T) {
	a := packet.Tuple{Src: pkttest.Addr("198.51.100.100"), Dst: pkttest.Addr("203.0.113.10"), SrcPort: 40000, DstPort: 80, Proto: 6}
	for d, want := range map[ruleset.Distribution]uint64{
		ruleset.FiveTuple:        0x646ca17894bd90e7,
		ruleset.SourceIP:         0xbc388b1dd6fc6d77,
		ruleset.SourceIPProtocol: 0xf8d89230c452ac80,
	} {
		if got := mux.Hash(a, d); got != want {
			t.Errorf("dist %d: hash %#x, want %#x", d, got, want)
		}
	}
}

// TestProbeDown covers Azure's probe-down table: established TCP flows stay,
// new flows avoid the member, UDP flows move.
func TestProbeDown(t *testing.T) { fixture.Each(t, testProbeDown) }

func testProbeDown(t *testing.T, f fixture.Family) {
	m, set := newMux(t, f, 3, mux.Options{}, clone(web), clone(dns))
	tcpFlows := map[uint16]uint16{} // sport -> backend
	udpFlows := map[uint16]uint16{}
	for p := uint16(10000); p < 10300; p++ {
		tcpFlows[p] = m.Process(pkttest.TCP(t, f.Client, p, f.FIP, 80, syn, nil), 0).Backend
		udpFlows[p] = m.Process(pkttest.UDP(t, f.Client, p, f.FIP, 53, nil), 0).Backend
	}
	down := uint16(1)
	if !m.SetHealth(set.Rules[0].Backends[down].Probe, false) {
		t.Fatal("SetHealth reported no change")
	}
	movedTCP, movedUDP, udpOnDown := 0, 0, 0
	for p := uint16(10000); p < 10300; p++ {
		d := m.Process(pkttest.TCP(t, f.Client, p, f.FIP, 80, ack, nil), minute)
		if d.Reason != stats.Forwarded || d.Backend != tcpFlows[p] {
			movedTCP++
		}
		u := m.Process(pkttest.UDP(t, f.Client, p, f.FIP, 53, nil), minute)
		if u.Backend == down {
			udpOnDown++
		}
		if u.Backend != udpFlows[p] {
			movedUDP++
		}
		if udpFlows[p] != down && u.Backend != udpFlows[p] {
			t.Errorf("UDP flow %d on a healthy member moved", p)
		}
	}
	if movedTCP != 0 {
		t.Errorf("%d established TCP flows moved; they must continue", movedTCP)
	}
	// A new connection (SYN) on a reused 5-tuple pinned to the down member
	// is a new flow.
	for p, b := range tcpFlows {
		if b != down {
			continue
		}
		if d := m.Process(pkttest.TCP(t, f.Client, p, f.FIP, 80, syn, nil), minute); d.Backend == down {
			t.Errorf("SYN on reused tuple %d went to the down member", p)
		}
		break
	}
	if udpOnDown != 0 || movedUDP == 0 {
		t.Errorf("UDP flows still on the down member: %d (moved %d)", udpOnDown, movedUDP)
	}
	fresh := map[uint16]int{}
	for p := uint16(20000); p < 20300; p++ {
		fresh[m.Process(pkttest.TCP(t, f.Client, p, f.FIP, 80, syn, nil), minute).Backend]++
	}
	if fresh[down] != 0 || len(fresh) != 2 {
		t.Errorf("new flows with member %d down: %v", down, fresh)
	}
}

func TestAllDown(t *testing.T) { fixture.Each(t, testAllDown) }

func testAllDown(t *testing.T, f fixture.Family) {
	for _, tt := range []struct {
		name         string
		n            int
		behavior     schema.NoHealthyBehavior
		newFlows     stats.Reason
		established  stats.Reason
		udpEstablish stats.Reason
	}{
		{"AllProbedDown, 2 instances", 2, "AllProbedDown", stats.NoHealthyBackend, stats.Forwarded, stats.NoHealthyBackend},
		{"AllProbedDown, 1 instance", 1, "AllProbedDown", stats.NoHealthyBackend, stats.NoHealthyBackend, stats.NoHealthyBackend},
		{"AllProbedUp", 2, "AllProbedUp", stats.Forwarded, stats.Forwarded, stats.Forwarded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := f.Deployment(tt.n, clone(web), clone(dns))
			d.LoadBalancers[0].Probes[0].NoHealthyBackendsBehavior = tt.behavior
			set, err := ruleset.Compile(d)
			if err != nil {
				t.Fatal(err)
			}
			m := mux.New(set, hostOf, mux.Options{})
			m.Process(pkttest.TCP(t, f.Client, 1, f.FIP, 80, syn, nil), 0)
			m.Process(pkttest.UDP(t, f.Client, 1, f.FIP, 53, nil), 0)
			for i := range set.Probes {
				m.SetHealth(i, false)
			}
			if got := m.Process(pkttest.TCP(t, f.Client, 1, f.FIP, 80, ack, nil), 1).Reason; got != tt.established {
				t.Errorf("established TCP: %v, want %v", got, tt.established)
			}
			if got := m.Process(pkttest.UDP(t, f.Client, 1, f.FIP, 53, nil), 1).Reason; got != tt.udpEstablish {
				t.Errorf("established UDP: %v, want %v", got, tt.udpEstablish)
			}
			spread := map[uint16]int{}
			for p := uint16(2); p < 100; p++ {
				dd := m.Process(pkttest.TCP(t, f.Client, p, f.FIP, 80, syn, nil), 1)
				if dd.Reason != tt.newFlows {
					t.Fatalf("new flow: %v, want %v", dd.Reason, tt.newFlows)
				}
				spread[dd.Backend]++
			}
			if tt.newFlows == stats.Forwarded && len(spread) != tt.n {
				t.Errorf("AllProbedUp spread new flows over %d of %d members", len(spread), tt.n)
			}
		})
	}
}

// TestRemoveOneOfN measures how many new-flow decisions change when one of
// N members goes down (fresh muxes, so no flow stickiness is involved).
func TestRemoveOneOfN(t *testing.T) { fixture.Each(t, testRemoveOneOfN) }

func testRemoveOneOfN(t *testing.T, f fixture.Family) {
	const n, flows = 5, 20000
	before, set := newMux(t, f, n, mux.Options{FlowLimit: 1}, clone(web))
	after := mux.New(set, hostOf, mux.Options{FlowLimit: 1})
	after.SetHealth(set.Rules[0].Backends[2].Probe, false)
	moved := 0
	for i := range flows {
		src := f.Host(1 + i%200)
		b := pkttest.TCP(t, src, uint16(1024+i/200), f.FIP, 80, syn, nil)
		if before.Process(b, 0).Backend != after.Process(b, 0).Backend {
			moved++
		}
	}
	frac := float64(moved) / flows
	t.Logf("member down: %.2f%% of %d flows remapped (1/N = %.2f%%)", frac*100, flows, 100.0/n)
	if frac < 0.9/n || frac > 1.15/n {
		t.Errorf("remapped fraction %.4f, want close to %.4f", frac, 1.0/n)
	}
}

func TestIdleTimeout(t *testing.T) { fixture.Each(t, testIdleTimeout) }

func testIdleTimeout(t *testing.T, f fixture.Family) {
	w := clone(web)
	w.IdleTimeoutInMinutes = 4
	m, _ := newMux(t, f, 2, mux.Options{}, w, clone(dns))
	m.Process(pkttest.TCP(t, f.Client, 1, f.FIP, 80, syn, nil), 0)
	if got := m.Process(pkttest.TCP(t, f.Client, 1, f.FIP, 80, ack, nil), 4*minute).Reason; got != stats.Forwarded {
		t.Fatalf("within idle timeout: %v", got)
	}
	if got := m.Process(pkttest.TCP(t, f.Client, 1, f.FIP, 80, ack, nil), 8*minute+1).Reason; got != stats.FlowExpired {
		t.Fatalf("after idle timeout: %v, want flow_expired", got)
	}
	m.Process(pkttest.TCP(t, f.Client, 2, f.FIP, 80, syn, nil), 0)
	if got := m.Process(pkttest.TCP(t, f.Client, 2, f.FIP, 80, syn, nil), 5*minute).Reason; got != stats.Forwarded {
		t.Fatalf("SYN after idle timeout opens a new flow: %v", got)
	}
	m.Process(pkttest.UDP(t, f.Client, 3, f.FIP, 53, nil), 0)
	if got := m.Process(pkttest.UDP(t, f.Client, 3, f.FIP, 53, nil), 60*minute).Reason; got != stats.Forwarded {
		t.Fatalf("UDP has no idle timeout drop: %v", got)
	}
	m.Process(pkttest.TCP(t, f.Client, 4, f.FIP, 80, syn, nil), 0)
	if n := m.ExpireFlows(10 * minute); n == 0 {
		t.Error("ExpireFlows expired nothing")
	}
	// Expired is not forgotten: the flow's later segments are still dropped
	// for another idle timeout, then it is a flow never seen.
	if got := m.Process(pkttest.TCP(t, f.Client, 4, f.FIP, 80, ack, nil), 10*minute+1).Reason; got != stats.FlowExpired {
		t.Errorf("segment of a flow ExpireFlows expired: %v, want flow_expired", got)
	}
	m.ExpireFlows(20 * minute)
	if got := m.Process(pkttest.TCP(t, f.Client, 4, f.FIP, 80, ack, nil), 20*minute+1).Reason; got != stats.Forwarded {
		t.Errorf("segment long after the flow expired: %v, want forwarded (by hash, as a flow never seen)", got)
	}
}

func TestFlowLimit(t *testing.T) { fixture.Each(t, testFlowLimit) }

func testFlowLimit(t *testing.T, f fixture.Family) {
	m, _ := newMux(t, f, 2, mux.Options{FlowLimit: 8}, clone(web))
	for p := uint16(1); p <= 100; p++ {
		m.Process(pkttest.TCP(t, f.Client, p, f.FIP, 80, syn, nil), 0)
	}
	if n, ev := m.Flows(); n != 8 || ev != 92 {
		t.Errorf("flows %d evicted %d, want 8 and 92", n, ev)
	}
}

func TestProcessDoesNotAllocate(t *testing.T) { fixture.Each(t, testProcessDoesNotAllocate) }

func testProcessDoesNotAllocate(t *testing.T, f fixture.Family) {
	m, _ := newMux(t, f, 3, mux.Options{}, clone(web))
	b := pkttest.TCP(t, f.Client, 1, f.FIP, 80, syn, nil)
	now := int64(0)
	if a := testing.AllocsPerRun(1000, func() { now++; m.Process(b, now) }); a != 0 {
		t.Errorf("Process (established flow) allocates %.1f times", a)
	}
	i := 0
	if a := testing.AllocsPerRun(1000, func() { i++; setSrcPort(b, uint16(i)); m.Process(b, 0) }); a != 0 {
		t.Errorf("Process (new flow) allocates %.1f times", a)
	}
}

// setSrcPort changes the source port of a TCP packet and recomputes its
// checksum.
func setSrcPort(b []byte, port uint16) {
	in, err := packet.Parse(b)
	if err != nil {
		panic(err)
	}
	binary.BigEndian.PutUint16(b[in.L4:], port)
	binary.BigEndian.PutUint16(b[in.L4+16:], 0)
	binary.BigEndian.PutUint16(b[in.L4+16:], packet.TransportChecksum(b, &in))
}

func FuzzProcess(f *testing.F) {
	type target struct {
		m   *mux.Mux
		set *ruleset.Set
	}
	var muxes []target
	for _, fam := range fixture.Families {
		c := fam.Client
		f.Add(pkttest.TCP(f, c, 40000, fam.FIP, 80, syn, []byte("GET /")))
		f.Add(pkttest.UDP(f, c, 5000, fam.FIP, 53, []byte("q")))
		f.Add(pkttest.UDP(f, c, 5000, fam.FIP2, 9, []byte("q")))
		f.Add(pkttest.ICMPEcho(f, c, fam.FIP))
		d := fam.Deployment(3, clone(web), clone(dns), &schema.Rule{Name: "ha", FrontendIPConfiguration: "ha", Protocol: "All"})
		d.LoadBalancers[0].FrontendIPConfigurations = append(d.LoadBalancers[0].FrontendIPConfigurations,
			&schema.Frontend{Name: "ha", IPAddress: fam.FIP2})
		set, err := ruleset.Compile(d)
		if err != nil {
			f.Fatal(err)
		}
		muxes = append(muxes, target{mux.New(set, hostOf, mux.Options{FlowLimit: 64}), set})
	}
	f.Add([]byte{0x45, 0, 0, 20})
	var now int64
	f.Fuzz(func(t *testing.T, b []byte) {
		now += int64(time.Second)
		for _, tg := range muxes {
			d := tg.m.Process(b, now)
			if d.Reason == stats.Forwarded {
				if d.Len > len(b) || !d.Host.IsValid() || int(d.Rule) >= len(tg.set.Rules) || int(d.Backend) >= len(tg.set.Rules[d.Rule].Backends) {
					t.Fatalf("bad decision %+v for %d bytes", d, len(b))
				}
			}
			if len(b) > 0 && b[0]&1 == 1 {
				tg.m.SetHealth(int(b[0]>>1)%len(tg.set.Probes), b[0]&2 == 0)
			}
		}
	})
}

func BenchmarkProcess(b *testing.B) {
	for _, f := range fixture.Families {
		for _, bc := range []struct {
			name string
			flow bool
		}{{"established", true}, {"new-flow", false}} {
			b.Run(f.Name+"/"+bc.name, func(b *testing.B) {
				m, _ := newMux(b, f, 5, mux.Options{}, clone(web))
				pkts := make([][]byte, 1024)
				for i := range pkts {
					pkts[i] = pkttest.TCP(b, f.Host(1+i%250), uint16(1024+i), f.FIP, 80, syn, make([]byte, 64))
					m.Process(pkts[i], 0)
				}
				if !bc.flow {
					m, _ = newMux(b, f, 5, mux.Options{FlowLimit: 1}, clone(web))
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(pkts[0])))
				i := 0
				for b.Loop() {
					if d := m.Process(pkts[i&1023], int64(i)); d.Reason != stats.Forwarded {
						b.Fatal(d.Reason)
					}
					i++
				}
			})
		}
	}
}

// TestSNATReturn: a packet to an outbound SNAT port goes to the host of the
// member whose range holds the port; rule ports still win.
func TestSNATReturn(t *testing.T) { fixture.Each(t, testSNATReturn) }

func testSNATReturn(t *testing.T, f fixture.Family) {
	d := f.Deployment(2, clone(web))
	d.LoadBalancers[0].Type = schema.LBPublic // web gives its pool default SNAT on the frontend
	set, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	m := mux.New(set, hostOf, mux.Options{})
	for _, tt := range []struct {
		port    uint16
		reason  stats.Reason
		kind    encap.Kind
		backend uint16
	}{
		{1024, stats.Forwarded, encap.SNATReturn, 0},
		{2047, stats.Forwarded, encap.SNATReturn, 0},
		{2048, stats.Forwarded, encap.SNATReturn, 1},
		{3072, stats.NoRule, 0, 0},
		{80, stats.Forwarded, encap.Inbound, 0},
	} {
		flags := ack
		if tt.port == 80 {
			flags = syn
		}
		d := m.Process(pkttest.TCP(t, f.Host(20), 443, f.FIP, tt.port, flags, nil), 0)
		if d.Reason != tt.reason || d.Kind != tt.kind || (tt.kind == encap.SNATReturn && (d.Backend != tt.backend || d.Host.Addr() != netip.AddrFrom4([4]byte{198, 51, 100, byte(11 + tt.backend)}))) {
			t.Errorf("port %d: %+v; want %v kind %d backend %d", tt.port, d, tt.reason, tt.kind, tt.backend)
		}
	}
}

func TestLargerThanTheMTU(t *testing.T) {
	m, _ := newMux(t, fixture.IPv4, 2, mux.Options{}, clone(web))
	big := pkttest.TCP(t, client, 1, fixture.FIP, 80, ack, make([]byte, 1500-40+1))
	if d := m.Process(big, 0); d.Reason != stats.TooBig {
		t.Errorf("1501 bytes without DF: %v, want too_big", d.Reason)
	}
	big[6] |= 0x40 // DF
	binary.BigEndian.PutUint16(big[10:], 0)
	binary.BigEndian.PutUint16(big[10:], packet.HeaderChecksum(big))
	if d := m.Process(big, 0); d.Reason != stats.FragNeeded {
		t.Errorf("1501 bytes with DF: %v, want frag_needed", d.Reason)
	}
	icmp := m.FragNeeded(big, make([]byte, 128))
	d := pkttest.Decode(t, icmp)
	if d.ICMP == nil || d.ICMP.TypeCode.Code() != 4 || d.IP.SrcIP.String() != fixture.FIP || d.IP.DstIP.String() != client ||
		binary.BigEndian.Uint16(icmp[26:28]) != mux.DefaultMTU {
		t.Errorf("ICMP answer: %+v from %v to %v", d.ICMP, d.IP.SrcIP, d.IP.DstIP)
	}
	full := pkttest.TCP(t, client, 2, fixture.FIP, 80, syn, make([]byte, 1500-40))
	if d := m.Process(full, 0); d.Reason != stats.Forwarded {
		t.Errorf("1500 bytes: %v, want forwarded", d.Reason)
	}
	if m.FragNeeded(full, make([]byte, 128)) != nil {
		t.Error("FragNeeded answered a packet that fits")
	}
}

// TestLargerThanTheMTUIPv6: IPv6 packets are never fragmented on their
// way, so one larger than the virtual network's MTU is answered with an
// ICMPv6 packet too big from the frontend, quoting as much of it as fits
// in 1280 bytes.
func TestLargerThanTheMTUIPv6(t *testing.T) {
	f := fixture.IPv6
	m, _ := newMux(t, f, 2, mux.Options{}, clone(web))
	big := pkttest.TCP(t, f.Client, 1, f.FIP, 80, ack, make([]byte, 1500-60+1))
	if d := m.Process(big, 0); d.Reason != stats.FragNeeded {
		t.Errorf("1501 bytes: %v, want frag_needed", d.Reason)
	}
	icmp := m.FragNeeded(big, make([]byte, packet.PacketTooBigLen))
	d := pkttest.Decode(t, icmp)
	if d.ICMP6 == nil || d.ICMP6.TypeCode.Type() != 2 || d.Src().String() != f.FIP || d.Dst().String() != f.Client ||
		binary.BigEndian.Uint32(icmp[44:48]) != mux.DefaultMTU || len(icmp) != packet.PacketTooBigLen {
		t.Errorf("ICMPv6 answer: %+v from %v to %v, %d bytes", d.ICMP6, d.Src(), d.Dst(), len(icmp))
	}
	full := pkttest.TCP(t, f.Client, 2, f.FIP, 80, syn, make([]byte, 1500-60))
	if d := m.Process(full, 0); d.Reason != stats.Forwarded {
		t.Errorf("1500 bytes: %v, want forwarded", d.Reason)
	}
	if m.FragNeeded(full, make([]byte, packet.PacketTooBigLen)) != nil {
		t.Error("FragNeeded answered a packet that fits")
	}
}
