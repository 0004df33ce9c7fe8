package conformance_test

import (
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/reports"
)

// BenchmarkSuite times the built-in suite against the reference forwarder
// (as root): the whole suite and the core profile, topologies and target
// start-up included, as `lbcheck conform` runs them. The goal on 2 cores
// is a full run in 4 s and a core run in 2 s; `make bench` prints the
// figures (s/suite) beside the number of cases. A run where a case does
// not pass fails the benchmark: a fast wrong answer is no figure. The
// lbcheck binary the roles run is built before the clock starts.
func BenchmarkSuite(b *testing.B) {
	if _, err := lbbin.Path(); err != nil {
		b.Fatal(err)
	}
	for _, p := range []struct{ name, profile string }{{"full", ""}, {"core", suite.Core}} {
		b.Run(p.name, func(b *testing.B) {
			var cases int
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				rep, err := runSuite(b, p.profile, nil)
				total += time.Since(start)
				if err != nil {
					b.Fatalf("setup: %v", err)
				}
				for _, c := range rep.Cases {
					if c.Status != reports.StatusPassed {
						b.Fatalf("%s: %s\n%s", c.Name, c.Status, c.Reason)
					}
				}
				cases = len(rep.Cases)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/suite")
			b.ReportMetric(float64(cases), "cases")
		})
	}
}
