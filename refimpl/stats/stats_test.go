package stats_test

import (
	"encoding/json"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/stats"
)

func TestJSON(t *testing.T) {
	var c stats.Counters
	c.Inc(stats.Forwarded)
	c.Inc(stats.Forwarded)
	c.Add(stats.NoRule, 5)
	c.Inc(stats.Reason(250)) // out of range: ignored, no panic
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if m["forwarded"] != 2 || m["no_rule"] != 5 || m["rx"] != 0 {
		t.Errorf("got %s", b)
	}
	if _, ok := m["replies"]; !ok {
		t.Errorf("every counter must be present: %s", b)
	}
	if stats.NoHealthyBackend.String() != "no_healthy_backend" {
		t.Errorf("name %q", stats.NoHealthyBackend)
	}
}
