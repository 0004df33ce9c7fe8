package agent_test

import (
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/agent"
)

// FuzzParseHealthReport: the mux's control port reads datagrams from the
// fabric; any datagram is either an error or a report that survives a
// Marshal/Parse round trip.
func FuzzParseHealthReport(f *testing.F) {
	f.Add(agent.HealthReport{V: agent.ControlVersion, Host: 1, Probe: "lb/p/10.1.0.4", Up: true}.Marshal())
	f.Add([]byte(`{"v":2,"probe":"x"}`))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := agent.ParseHealthReport(b)
		if err != nil {
			return
		}
		again, err := agent.ParseHealthReport(r.Marshal())
		if err != nil || again != r {
			t.Fatalf("round trip of %q: %+v -> %+v, %v", b, r, again, err)
		}
	})
}
