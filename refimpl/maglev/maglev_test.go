package maglev_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/maglev"
)

func names(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("vm%d/ipconfig1", i)
	}
	return s
}

func TestEmpty(t *testing.T) {
	if got := maglev.New(nil, 0).Lookup(42); got != -1 {
		t.Fatalf("Lookup on empty table = %d, want -1", got)
	}
}

// TestBalance: every backend owns close to 1/N of the table.
func TestBalance(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 10} {
		tab := maglev.New(names(n), 0)
		count := make([]int, n)
		for h := range uint64(maglev.DefaultSize) {
			count[tab.Lookup(h)]++
		}
		ideal := float64(maglev.DefaultSize) / float64(n)
		for i, c := range count {
			if dev := math.Abs(float64(c)-ideal) / ideal; dev > 0.01 {
				t.Errorf("n=%d backend %d owns %d slots, %.2f%% off the ideal %.0f", n, i, c, dev*100, ideal)
			}
		}
	}
}

// TestRemovalRemapsAboutOneOverN removes one of N backends and measures the
// fraction of flows (hashes) that move. Only the removed backend's flows
// must move, plus a small Maglev disruption.
func TestRemovalRemapsAboutOneOverN(t *testing.T) {
	for _, n := range []int{3, 5, 10} {
		all := names(n)
		before := maglev.New(all, 0)
		removed := n / 2
		rest := append(append([]string(nil), all[:removed]...), all[removed+1:]...)
		after := maglev.New(rest, 0)
		const flows = 200000
		moved, movedSurvivors := 0, 0
		for i := range uint64(flows) {
			h := maglev.Mix(i)
			b := all[before.Lookup(h)]
			a := rest[after.Lookup(h)]
			if a != b {
				moved++
				if b != all[removed] {
					movedSurvivors++
				}
			}
		}
		frac := float64(moved) / flows
		t.Logf("n=%d: removing one backend moved %.2f%% of flows (1/N = %.2f%%); flows of surviving backends moved: %.2f%%",
			n, frac*100, 100/float64(n), float64(movedSurvivors)*100/flows)
		if frac < 1/float64(n)*0.95 || frac > 1/float64(n)*1.15 {
			t.Errorf("n=%d: moved fraction %.4f, want close to %.4f", n, frac, 1/float64(n))
		}
	}
}
