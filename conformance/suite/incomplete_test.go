package suite

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
)

// interruptRun is the cancel function of the run TestInterruptedRunIsIncomplete
// interrupts from inside its second case (as Ctrl-C would, mid-case).
var interruptRun context.CancelFunc

func init() {
	for _, c := range []*Case{
		{ShortName: "ZzIncompleteA1Passes", Deployment: "incomplete-a.yaml", Run: func(t *T) {}},
		{ShortName: "ZzIncompleteA2Interrupted", Deployment: "incomplete-a.yaml", Run: func(t *T) {
			interruptRun()
			t.ExpectNone(t.Mux(), Step{What: "waits for the interrupt", Match: pkt.Match{DstPort: 1}, Timeout: 5 * time.Second})
		}},
		{ShortName: "ZzIncompleteB1NeverRuns", Deployment: "incomplete-b.yaml", Run: func(t *T) {}},
		{ShortName: "ZzIncompleteB2NeverRuns", Deployment: "incomplete-b.yaml", Run: func(t *T) {}},
	} {
		registerTestCase(c, "incomplete_test.go")
	}
}

// TestInterruptedRunIsIncomplete interrupts a run during its second case:
// the report says incomplete (not success, although every case that ran
// passed or was cut short) and names the cases that never ran, and so do
// its JUnit and HTML renderings.
func TestInterruptedRunIsIncomplete(t *testing.T) {
	labtest.RequireRoot(t)
	ref, err := target.Ref()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	interruptRun = cancel
	r := Runner{Provider: &Lab{Target: ref}, Options: Options{
		Select:      regexp.MustCompile("^ZzIncomplete"),
		Fixtures:    runnerFixtures,
		CaseTimeout: 20 * time.Second,
		Parallel:    1, // B's cases must not start beside A's
	}}
	rep, err := r.Run(ctx)
	if err == nil {
		t.Error("Run of an interrupted suite returned no error (the CLI exits 2 on it)")
	}
	if want := []string{"ZzIncompleteB1NeverRuns", "ZzIncompleteB2NeverRuns"}; rep.Result != reports.ResultIncomplete || !slices.Equal(rep.NotRun, want) {
		t.Fatalf("result %q, not run %q; want incomplete, %q", rep.Result, rep.NotRun, want)
	}
	var junit, page strings.Builder
	if err := reports.WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	if err := reports.WriteConformanceHTML(&page, rep, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range rep.NotRun {
		if !strings.Contains(junit.String(), `<testcase name="`+name+`" classname="lbcheck.conformance.notrun">`) || !strings.Contains(page.String(), name) {
			t.Errorf("%s is not named in the JUnit or the HTML report", name)
		}
	}
	if !strings.Contains(junit.String(), `<error message="never ran`) || !strings.Contains(page.String(), `id="not-run"`) {
		t.Errorf("JUnit or HTML do not mark the cases that never ran:\n%s", junit.String())
	}
}
