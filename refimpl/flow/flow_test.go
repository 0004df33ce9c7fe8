package flow_test

import (
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/flow"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

func key(port uint16) packet.Tuple {
	return packet.Tuple{Src: packet.AddrFrom4([4]byte{198, 51, 100, 100}), Dst: packet.AddrFrom4([4]byte{203, 0, 113, 10}), SrcPort: port, DstPort: 80, Proto: 6}
}

// key6 is key in IPv6: the same ports, and addresses whose last four bytes
// are key's.
func key6(port uint16) packet.Tuple {
	k := key(port)
	k.Src[0], k.Src[1], k.Dst[0], k.Dst[1] = 0x20, 0x01, 0x20, 0x01
	return k
}

// keys are key and key6, by family.
var keys = []struct {
	name string
	key  func(uint16) packet.Tuple
}{{"ipv4", key}, {"ipv6", key6}}

// TestFamiliesApart: an IPv6 flow is not the IPv4 flow with the same ports
// and last four address bytes.
func TestFamiliesApart(t *testing.T) {
	tab := flow.New[int](4)
	tab.Put(key(1), 4, 0, 100)
	if _, st := tab.Lookup(key6(1), 0); st != flow.Miss {
		t.Fatalf("IPv6 flow found the IPv4 one: %v", st)
	}
	tab.Put(key6(1), 6, 0, 100)
	if v, st := tab.Lookup(key(1), 0); st != flow.Hit || *v != 4 || tab.Len() != 2 {
		t.Errorf("IPv4 flow %v %v, len %d; want hit 4, two flows", v, st, tab.Len())
	}
}

func TestLookupPutIdle(t *testing.T) {
	const idle = 100
	tab := flow.New[int](4)
	if _, st := tab.Lookup(key(1), 0); st != flow.Miss {
		t.Fatalf("empty table: %v", st)
	}
	tab.Put(key(1), 7, 0, idle)
	if v, st := tab.Lookup(key(1), 100); st != flow.Hit || *v != 7 {
		t.Fatalf("at idle limit: %v %v, want hit 7", v, st)
	}
	// The hit at 100 reset the idle clock: still alive at 200.
	if _, st := tab.Lookup(key(1), 200); st != flow.Hit {
		t.Fatalf("refreshed entry: %v, want hit", st)
	}
	if _, st := tab.Lookup(key(1), 301); st != flow.Expired {
		t.Fatalf("idle entry: %v, want expired", st)
	}
	// A lookup does not revive it, nor forget it.
	if _, st := tab.Lookup(key(1), 302); st != flow.Expired || tab.Len() != 1 {
		t.Fatalf("idle entry looked up again: %v len %d, want expired, still counted until Expire", st, tab.Len())
	}
	if n := tab.Expire(302, 4, nil); n != 1 || tab.Len() != 0 {
		t.Fatalf("Expire: %d expired, len %d; want 1 and 0", n, tab.Len())
	}
	if _, st := tab.Lookup(key(1), 400); st != flow.Expired {
		t.Fatalf("expired flow within one more idle timeout: %v, want expired", st)
	}
	// Put revives the 5-tuple as a new flow.
	tab.Put(key(1), 8, 400, idle)
	if v, st := tab.Lookup(key(1), 450); st != flow.Hit || *v != 8 || tab.Len() != 1 {
		t.Fatalf("replaced expired flow: %v %v len %d, want hit 8", v, st, tab.Len())
	}
}

func TestExpiredFlowsForgottenAfterAnotherTimeout(t *testing.T) {
	const idle = 100
	tab := flow.New[int](4)
	tab.Put(key(1), 1, 0, idle)
	tab.Expire(101, 4, nil)
	tab.Expire(200, 4, nil)
	if _, st := tab.Lookup(key(1), 200); st != flow.Expired {
		t.Fatalf("at twice the timeout: %v, want expired", st)
	}
	tab.Expire(201, 4, nil)
	if _, st := tab.Lookup(key(1), 201); st != flow.Miss {
		t.Fatalf("past twice the timeout: %v, want miss", st)
	}
}

func TestLRUEviction(t *testing.T) {
	tab := flow.New[uint16](3)
	for p := uint16(1); p <= 3; p++ {
		if tab.Put(key(p), p, int64(p), 1000) {
			t.Fatalf("eviction before full at %d", p)
		}
	}
	tab.Lookup(key(1), 10) // 1 is now the most recent; 2 the least
	if !tab.Put(key(4), 4, 11, 1000) {
		t.Fatal("full table must evict")
	}
	if _, st := tab.Lookup(key(2), 12); st != flow.Miss {
		t.Errorf("LRU flow 2 still present: %v", st)
	}
	for _, p := range []uint16{1, 3, 4} {
		if v, st := tab.Lookup(key(p), 12); st != flow.Hit || *v != p {
			t.Errorf("flow %d: %v %v", p, v, st)
		}
	}
	if tab.Evicted() != 1 || tab.Len() != 3 {
		t.Errorf("evicted %d len %d, want 1 and 3", tab.Evicted(), tab.Len())
	}
	// Replacing an existing key never evicts.
	if tab.Put(key(3), 33, 13, 1000) {
		t.Error("replace evicted")
	}
	tab.Delete(key(3))
	if _, st := tab.Lookup(key(3), 14); st != flow.Miss || tab.Len() != 2 {
		t.Errorf("deleted flow: %v len %d", st, tab.Len())
	}
}

func TestExpire(t *testing.T) {
	tab := flow.New[int](8)
	tab.Put(key(1), 1, 0, 10)   // expires after 10
	tab.Put(key(2), 2, 5, 1000) // long-lived
	tab.Put(key(3), 3, 6, 10)
	var seen []int
	if n := tab.Expire(20, 8, func(k packet.Tuple, v *int) { seen = append(seen, *v) }); n != 2 {
		t.Fatalf("Expire expired %d, want 2", n)
	}
	if len(seen) != 2 || seen[0]+seen[1] != 4 {
		t.Errorf("Expire called back for %v, want flows 1 and 3", seen)
	}
	if n := tab.Expire(21, 8, func(packet.Tuple, *int) { t.Error("called back twice for one flow") }); n != 0 {
		t.Errorf("second Expire expired %d, want 0", n)
	}
	if _, st := tab.Lookup(key(2), 21); st != flow.Hit {
		t.Fatalf("live flow removed: %v", st)
	}
}

func TestExpiredFlowsGoFirst(t *testing.T) {
	tab := flow.New[int](2)
	tab.Put(key(1), 1, 0, 10)
	tab.Put(key(2), 2, 5, 1000)
	tab.Expire(20, 2, nil)
	if tab.Put(key(3), 3, 21, 1000) {
		t.Error("replacing an expired flow counted as an eviction")
	}
	if _, st := tab.Lookup(key(2), 22); st != flow.Hit {
		t.Errorf("live flow 2 was dropped instead of expired flow 1: %v", st)
	}
	if tab.Evicted() != 0 || tab.Len() != 2 {
		t.Errorf("evicted %d len %d, want 0 and 2", tab.Evicted(), tab.Len())
	}
}

func TestReuseAfterChurn(t *testing.T) {
	tab := flow.New[int](16)
	for i := range 10000 {
		tab.Put(key(uint16(i)), i, int64(i), 1<<40)
		if tab.Len() > 16 {
			t.Fatalf("len %d exceeds limit", tab.Len())
		}
	}
	for i := 10000 - 16; i < 10000; i++ {
		if v, st := tab.Lookup(key(uint16(i)), 10001); st != flow.Hit || *v != i {
			t.Fatalf("recent flow %d: %v %v", i, v, st)
		}
	}
}

func BenchmarkLookupHit(b *testing.B) {
	for _, k := range keys {
		b.Run(k.name, func(b *testing.B) {
			tab := flow.New[int](1 << 16)
			for i := range 1 << 16 {
				tab.Put(k.key(uint16(i)), i, 0, 1<<40)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tab.Lookup(k.key(uint16(i)), int64(i))
			}
		})
	}
}

func BenchmarkPutEvict(b *testing.B) {
	for _, k := range keys {
		b.Run(k.name, func(b *testing.B) {
			tab := flow.New[int](1 << 12)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				t := k.key(uint16(i))
				t.Src[15] = byte(i >> 16)
				tab.Put(t, i, int64(i), 1<<40)
			}
		})
	}
}
