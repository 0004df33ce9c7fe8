package target

import (
	"fmt"
	"strings"
	"time"
)

// Timeouts bound every wait of a conformance run. The defaults are the
// maxima a conformant implementation meets on a loaded 2-core machine; an
// implementation that needs more sets them in its manifest (timeouts:) or
// the user on the command line (--timeout NAME=DURATION), and the report
// records the values used. Nothing waits longer than its bound, and a wait
// ends as soon as what it waits for happens: a case that passes takes the
// time the implementation takes.
type Timeouts struct {
	// Ready: a role prints "ready" on stdout after it starts.
	Ready time.Duration
	// Stop: a role exits after SIGTERM, before everything in its cgroup
	// is killed.
	Stop time.Duration
	// Deliver: a packet the implementation forwards reaches the point
	// where it must arrive (the client, a VM's NIC).
	Deliver time.Duration
	// Quiet: how long a negative check watches for a packet that must not
	// arrive when no later packet on the same path closes the check.
	Quiet time.Duration
	// Probe: beyond the fixture's probe interval × threshold, the time a
	// member's probe verdict takes to change where new flows go.
	Probe time.Duration
}

// DefaultTimeouts are the documented maxima.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Ready:   10 * time.Second,
		Stop:    2 * time.Second,
		Deliver: 2 * time.Second,
		Quiet:   300 * time.Millisecond,
		Probe:   2 * time.Second,
	}
}

// OrDefault returns t with every unset (zero) timeout at its default.
func (t Timeouts) OrDefault() Timeouts { return DefaultTimeouts().With(t) }

// With returns t with every timeout set in over (non-zero) replaced by
// over's: the command line's over the manifest's.
func (t Timeouts) With(over Timeouts) Timeouts {
	for _, n := range TimeoutNames {
		if v := *over.field(n); v != 0 {
			*t.field(n) = v
		}
	}
	return t
}

// MaxTimeout is the largest value any timeout may take.
const MaxTimeout = 5 * time.Minute

// TimeoutNames are the names of the timeouts, as manifests and
// --timeout spell them.
var TimeoutNames = []string{"ready", "stop", "deliver", "quiet", "probe"}

func (t *Timeouts) field(name string) *time.Duration {
	switch name {
	case "ready":
		return &t.Ready
	case "stop":
		return &t.Stop
	case "deliver":
		return &t.Deliver
	case "quiet":
		return &t.Quiet
	case "probe":
		return &t.Probe
	}
	return nil
}

// Set sets the timeout name to value (a Go duration such as 1.5s or 300ms,
// positive and at most MaxTimeout).
func (t *Timeouts) Set(name, value string) error {
	f := t.field(name)
	if f == nil {
		return fmt.Errorf("unknown timeout %q (want one of %s)", name, strings.Join(TimeoutNames, ", "))
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 || d > MaxTimeout {
		return fmt.Errorf("timeout %s: %q is no duration between 0 and %v (e.g. 2s, 300ms)", name, value, MaxTimeout)
	}
	*f = d
	return nil
}

// SetFlag sets one NAME=DURATION pair, as --timeout gives it.
func (t *Timeouts) SetFlag(arg string) error {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return fmt.Errorf("--timeout %q: want NAME=DURATION, e.g. deliver=5s (names: %s)", arg, strings.Join(TimeoutNames, ", "))
	}
	return t.Set(name, value)
}

// Strings returns every timeout by name, for the report.
func (t Timeouts) Strings() map[string]string {
	out := make(map[string]string, len(TimeoutNames))
	for _, n := range TimeoutNames {
		out[n] = t.field(n).String()
	}
	return out
}
