package host_test

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/host"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/flood"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// hostWant is how the host counts an inner packet of kind k behind a valid
// header: the mux would not have forwarded the last four kinds, so a header
// claiming a rule for them is an encapsulation error.
func hostWant(k flood.Kind) stats.Reason {
	switch k {
	case flood.Valid, flood.NewFlow:
		return stats.Delivered
	case flood.NotFrontend, flood.NoRule:
		return stats.EncapError
	}
	return k.Want()
}

// TestFlood feeds the host agent 100 000 encapsulated datagrams: flood
// packets behind valid headers, and headers with a bad magic, for another
// host's VM, cut short or naming no rule. Every datagram is counted under
// the expected reason, every delivered packet's reply from the VM is
// recognised and rewritten to come from the frontend, the flow table stays
// within its limit, and nothing allocates.
func TestFlood(t *testing.T) {
	const (
		sent  = 100_000
		limit = 128
	)
	_, set := newAgent(t, fixture.IPv4, "vm1")
	a := host.New(set, "vm1", host.Options{FlowLimit: limit})
	fip := netip.MustParseAddr(fixture.FIP).As4()
	g := flood.New(flood.Config{Seed: 3, Frontend: fip, TCPPort: 80, UDPPort: 53, NoRule: 81,
		Client: netip.MustParseAddr(client).As4(), Flows: 16, NewFlowNet: [3]byte{192, 0, 2}})
	rng := rand.New(rand.NewPCG(5, 6))
	var (
		ctr     stats.Counters
		buf     [encap.HeaderLen + flood.MaxLen]byte
		reply   [flood.MaxLen]byte
		wrong   = map[string]int{}
		replies int
		maxLen  int
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	now := int64(0)
	for range sent {
		now += int64(time.Microsecond)
		k, n, _ := g.Next(buf[encap.HeaderLen:])
		rule := uint16(0) // web: Tcp 80
		if n > 9 && buf[encap.HeaderLen+9] == packet.ProtoUDP {
			rule = 2 // dns: Udp 53
		}
		dgram, want, what := buf[:encap.HeaderLen+n], hostWant(k), k.String()
		switch v := rng.IntN(16); {
		case v < 2:
			encap.Put(buf[:], encap.Header{Rule: rule, Backend: 1})
			buf[0] = 'X'
			want, what = stats.EncapError, "bad magic"
		case v < 4:
			encap.Put(buf[:], encap.Header{Rule: rule, Backend: 0}) // vm0 is on another host
			want, what = stats.WrongHost, "wrong host"
		case v < 5:
			dgram = buf[:rng.IntN(encap.HeaderLen)]
			want, what = stats.EncapError, "short header"
		case v < 6:
			encap.Put(buf[:], encap.Header{Rule: uint16(len(set.Rules) + rng.IntN(100)), Backend: 1})
			want, what = stats.EncapError, "no such rule"
		default:
			encap.Put(buf[:], encap.Header{Rule: rule, Backend: 1})
		}
		out, r := a.Inbound(dgram, now)
		ctr.Inc(r)
		if r != want {
			wrong[what]++
		}
		if l, _ := a.Flows(); l > maxLen {
			maxLen = l
		}
		if r != stats.Delivered {
			continue
		}
		// The VM answers: swap addresses and ports (checksums stay valid).
		m := copy(reply[:], out)
		p := reply[:m]
		src, dst := [4]byte(p[12:16]), [4]byte(p[16:20])
		copy(p[12:16], dst[:])
		copy(p[16:20], src[:])
		sport, dport := binary.BigEndian.Uint16(p[20:22]), binary.BigEndian.Uint16(p[22:24])
		binary.BigEndian.PutUint16(p[20:22], dport)
		binary.BigEndian.PutUint16(p[22:24], sport)
		back, to, rr := a.Reply(p, now)
		ctr.Inc(rr)
		replies++
		fport := uint16(80)
		if rule == 2 {
			fport = 53
		}
		if rr != stats.Reply || to != packet.AddrFrom4(src) || [4]byte(back[12:16]) != fip || binary.BigEndian.Uint16(back[20:22]) != fport {
			wrong["reply"]++
		}
	}
	runtime.ReadMemStats(&after)

	for what, n := range wrong {
		t.Errorf("%d %s datagrams were counted under the wrong reason", n, what)
	}
	var counted uint64
	for r := range stats.Reason(255) {
		counted += ctr.Get(r)
	}
	if counted != uint64(sent+replies) {
		t.Errorf("counters add up to %d, want %d datagrams + %d replies", counted, sent, replies)
	}
	if replies == 0 {
		t.Error("nothing was delivered")
	}
	n, evicted := a.Flows()
	if maxLen > limit {
		t.Errorf("flow table held %d flows, limit %d", maxLen, limit)
	}
	if evicted == 0 {
		t.Error("no flow was evicted: the flood did not fill the table")
	}
	if allocs := after.Mallocs - before.Mallocs; allocs > 1000 {
		t.Errorf("the flood allocated %d times: Inbound and Reply must not allocate", allocs)
	}
	b, _ := ctr.MarshalJSON()
	t.Logf("sent %d, %d replies; table %d/%d, evicted %d; counters %s; %d allocations", sent, replies, n, limit, evicted, b, after.Mallocs-before.Mallocs)
}
