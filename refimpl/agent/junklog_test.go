package agent

import (
	"log"
	"strings"
	"testing"
	"time"
)

// TestJunkLog: one line per kind per second whatever the rate; the next
// line of a kind and Flush count the lines left out.
func TestJunkLog(t *testing.T) {
	var b strings.Builder
	j := newJunkLog(log.New(&b, "", 0))
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	j.now = func() time.Time { return now }
	for i := range 1000 { // 1000 datagrams in 0.999 s
		j.Printf("stranger %d", i)
		now = now.Add(time.Millisecond)
	}
	j.Printf("garbage %s", "x") // another kind, its own budget
	now = now.Add(time.Millisecond)
	j.Printf("stranger %d", 1001)
	j.Printf("stranger %d", 1002)
	j.Flush()
	j.Flush() // nothing left to report
	want := "stranger 0\n" +
		"garbage x\n" +
		"stranger 1001 (999 more lines like this left out since 12:00:00.000)\n" +
		"1 more lines like this left out since 12:00:01.001: stranger 1001\n"
	if b.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", b.String(), want)
	}
}
