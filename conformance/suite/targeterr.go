package suite

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/reports"
)

// TargetError is a fault of the implementation under test, not of
// lbcheck's setup: its roles did not start (crashed, never printed ready),
// did not start again after a failed case, or ignored SIGTERM when stopped.
// The runner fails the affected cases with it and goes on with the next
// ones; a Provider returns it for such faults.
type TargetError struct{ Err error }

func (e *TargetError) Error() string { return e.Err.Error() }

func (e *TargetError) Unwrap() error { return e.Err }

// NotStartedError is what Run returns, with the whole report, when the
// target did not start for some deployments: their cases failed without a
// verdict on the implementation's behaviour, so the run is no verdict
// either (lbcheck conform exits 2).
type NotStartedError struct{ Deployments []string }

func (e *NotStartedError) Error() string {
	return fmt.Sprintf("the target did not start for %d deployment(s) (%s): their cases failed without running; the report says why", len(e.Deployments), strings.Join(e.Deployments, ", "))
}

// targetFault returns the TargetError in err's chain, or nil.
func targetFault(err error) *TargetError {
	var te *TargetError
	if errors.As(err, &te) {
		return te
	}
	return nil
}

// runState is what a run has recorded, shared by the goroutines running
// deployments: each deployment's results in its slot (plan order), the not
// supported ones after them, and the progress count.
type runState struct {
	r     *Runner
	total int // cases planned

	mu    sync.Mutex
	n     int                    // cases reported so far
	slots [][]reports.CaseResult // per group, in plan order
	tail  []reports.CaseResult   // not supported
}

// add records a case's result in group gi and prints its progress line,
// reason and (verbose) log lines in one write.
func (st *runState) add(gi int, res reports.CaseResult, logs []string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.n++
	st.slots[gi] = append(st.slots[gi], res)
	if st.r.Progress == nil {
		return
	}
	var b strings.Builder
	status := map[string]string{reports.StatusPassed: "ok", reports.StatusFailed: "FAIL", reports.StatusSkipped: "skip"}[res.Status]
	fmt.Fprintf(&b, "[%d/%d] %s ... %s (%.1fs)\n", st.n, st.total, safetext.Line(res.Name), status, res.DurationSec)
	if res.Status != reports.StatusPassed {
		fmt.Fprintf(&b, "%s\n", indent(res.Reason))
	}
	if st.r.Verbose && len(logs) > 0 {
		fmt.Fprintf(&b, "%s\n", indent(strings.Join(logs, "\n")))
	}
	io.WriteString(st.r.Progress, b.String())
}

// ran reports whether group gi has a result.
func (st *runState) ran(gi int) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.slots[gi]) > 0
}

// failCases records cases of group gi as failed with reason, without
// running them.
func (st *runState) failCases(gi int, cases []planned, reason string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, p := range cases {
		st.n++
		res := p.result()
		res.Status, res.Reason = reports.StatusFailed, reason
		st.slots[gi] = append(st.slots[gi], res)
		if st.r.Progress != nil {
			fmt.Fprintf(st.r.Progress, "[%d/%d] %s ... FAIL (not run)\n%s\n", st.n, st.total, safetext.Line(p.name), indent(reason))
		}
	}
}

// notSupported records a case the implementation lacks features for,
// without running it.
func (st *runState) notSupported(u notSupported) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.n++
	missing := features.Strings(u.missing)
	res := u.result()
	res.Status, res.Unsupported = reports.StatusNotSupported, missing
	res.Reason = fmt.Sprintf("needs %s, which the implementation does not declare (target manifest features:, or --all-features)", strings.Join(missing, ", "))
	st.tail = append(st.tail, res)
	if st.r.Progress != nil {
		fmt.Fprintf(st.r.Progress, "[%d/%d] %s ... not supported (needs %s)\n", st.n, st.total, safetext.Line(u.name), strings.Join(missing, ", "))
	}
}

// failLast fails the last case group gi ran (the target misbehaved after
// it, e.g. ignored SIGTERM when stopped) and says so in the progress
// output.
func (st *runState) failLast(gi int, reason string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := &st.slots[gi][len(st.slots[gi])-1]
	c.Status = reports.StatusFailed
	c.Reason = joinReason(c.Reason, reason)
	if st.r.Progress != nil {
		fmt.Fprintf(st.r.Progress, "%s now FAIL:\n%s\n", safetext.Line(c.Name), indent(reason))
	}
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}
