package mux_test

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/flood"
	"github.com/lbcheck/lbcheck/refimpl/mux"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// TestFlood pushes 200 000 packets through Process: valid flows mixed with
// fresh 5-tuples, truncated, bad-checksum, fragmented, misaddressed and
// random packets. Every packet is counted under the reason its kind calls
// for (so the counters add up to what was sent), every valid flow stays on
// its backend even when the full flow table evicts it, the table never holds
// more than its limit, and the flood allocates nothing.
func TestFlood(t *testing.T) {
	const (
		sent  = 200_000
		limit = 256
		flows = 32
	)
	m, _ := newMux(t, fixture.IPv4, 4, mux.Options{FlowLimit: limit}, clone(web), clone(dns))
	g := flood.New(flood.Config{Seed: 7, Frontend: netip.MustParseAddr(fixture.FIP).As4(), TCPPort: 80, UDPPort: 53, NoRule: 81,
		Client: netip.MustParseAddr(client).As4(), Flows: flows, NewFlowNet: [3]byte{192, 0, 2}})
	var (
		ctr     stats.Counters
		perKind [flood.NumKinds]int
		wrong   [flood.NumKinds]int
		backend [flows]int
		moved   int
		maxLen  int
		buf     [flood.MaxLen]byte
	)
	for i := range backend {
		backend[i] = -1
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	now := int64(0)
	for range sent {
		now += int64(time.Microsecond)
		k, n, f := g.Next(buf[:])
		d := m.Process(buf[:n], now)
		ctr.Inc(d.Reason)
		perKind[k]++
		if d.Reason != k.Want() {
			wrong[k]++
		}
		if f >= 0 && d.Reason == stats.Forwarded {
			switch b := int(d.Backend); {
			case backend[f] < 0:
				backend[f] = b
			case backend[f] != b:
				moved++
			}
		}
		if l, _ := m.Flows(); l > maxLen {
			maxLen = l
		}
	}
	runtime.ReadMemStats(&after)

	for k := range flood.Kind(flood.NumKinds) {
		if perKind[k] == 0 {
			t.Errorf("the flood sent no %s packet", k)
		}
		if wrong[k] > 0 {
			t.Errorf("%d of %d %s packets were not counted as %s", wrong[k], perKind[k], k, k.Want())
		}
	}
	var counted uint64
	for r := range stats.Reason(255) {
		counted += ctr.Get(r)
	}
	if counted != sent {
		t.Errorf("counters add up to %d, sent %d: %s", counted, sent, jsonOf(&ctr))
	}
	if moved > 0 {
		t.Errorf("valid flows changed backend %d times under the flood", moved)
	}
	n, evicted := m.Flows()
	if maxLen > limit {
		t.Errorf("flow table held %d flows, limit %d", maxLen, limit)
	}
	if min := uint64(perKind[flood.NewFlow] - limit); evicted < min {
		t.Errorf("%d evictions after %d fresh flows into a %d-flow table, want at least %d", evicted, perKind[flood.NewFlow], limit, min)
	}
	if allocs := after.Mallocs - before.Mallocs; allocs > 1000 {
		t.Errorf("the flood of %d packets allocated %d times: Process must not allocate", sent, allocs)
	}
	t.Logf("sent %d, per kind %v; table %d/%d, evicted %d; counters %s; %d allocations, heap %d -> %d bytes",
		sent, perKind, n, limit, evicted, jsonOf(&ctr), after.Mallocs-before.Mallocs, before.HeapAlloc, after.HeapAlloc)
}

func jsonOf(c *stats.Counters) string {
	b, _ := c.MarshalJSON()
	return string(b)
}
