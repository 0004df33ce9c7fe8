package suite

import (
	"errors"
	"fmt"
	"strings"

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

// failCases records cases as failed with reason, without running them.
func (r *Runner) failCases(cases []planned, reason string, n *int, total int, rep *reports.ConformanceReport) {
	for _, p := range cases {
		*n++
		res := p.result()
		res.Status, res.Reason = reports.StatusFailed, reason
		rep.Cases = append(rep.Cases, res)
		if r.Progress != nil {
			fmt.Fprintf(r.Progress, "[%d/%d] %s ... FAIL (not run)\n%s\n", *n, total, safetext.Line(p.name), indent(reason))
		}
	}
}

// notSupported records a case the implementation lacks features for,
// without running it.
func (r *Runner) notSupported(u notSupported, n *int, total int, rep *reports.ConformanceReport) {
	*n++
	missing := features.Strings(u.missing)
	res := u.result()
	res.Status, res.Unsupported = reports.StatusNotSupported, missing
	res.Reason = fmt.Sprintf("needs %s, which the implementation does not declare (target manifest features:, or --all-features)", strings.Join(missing, ", "))
	rep.Cases = append(rep.Cases, res)
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "[%d/%d] %s ... not supported (needs %s)\n", *n, total, safetext.Line(u.name), strings.Join(missing, ", "))
	}
}

// failLast fails the last case run (the target misbehaved after it, e.g.
// ignored SIGTERM when stopped) and says so in the progress output.
func (r *Runner) failLast(rep *reports.ConformanceReport, reason string) {
	c := &rep.Cases[len(rep.Cases)-1]
	c.Status = reports.StatusFailed
	c.Reason = joinReason(c.Reason, reason)
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "%s now FAIL:\n%s\n", safetext.Line(c.Name), indent(reason))
	}
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}
