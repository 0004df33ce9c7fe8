package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safetext"
)

// WriteJUnit writes r as JUnit XML: one testsuite per profile, one testcase
// per case. A failed case's failure message is its reason; the body lists
// the failed checks with their field differences, the expectation and its
// source.
func WriteJUnit(w io.Writer, r *ConformanceReport) error {
	doc := JUnitSuites{Name: "lbcheck conformance: " + r.Implementation.Name, Time: junitTime(r.DurationSec)}
	profiles, _ := Summarize(r.Cases)
	props := &JUnitProperties{Property: []JUnitProperty{
		{"implementation", r.Implementation.Name},
		{"implementation.version", r.Implementation.Version},
		{"kernel", r.Environment.Kernel},
		{"lbcheck", r.Environment.LBCheck},
	}}
	for _, p := range profiles {
		s := JUnitSuite{Name: p.Name, Errors: new(0), Properties: props}
		if !r.Date.IsZero() {
			s.Timestamp = r.Date.UTC().Format("2006-01-02T15:04:05")
		}
		var secs float64
		for _, c := range r.Cases {
			if c.Profile != p.Name {
				continue
			}
			secs += c.DurationSec
			s.Cases = append(s.Cases, junitCaseOf(c))
		}
		s.Tests, s.Failures, s.Skipped = p.Statistics.Total(), p.Statistics.Failed, p.Statistics.Skipped+p.Statistics.NotSupported
		s.Time = junitTime(secs)
		doc.Add(s)
	}
	if len(r.NotRun) > 0 {
		s := JUnitSuite{Name: "not run", Errors: new(len(r.NotRun)), Properties: props}
		for _, name := range r.NotRun {
			s.Cases = append(s.Cases, JUnitCase{Name: name, Classname: "lbcheck.conformance.notrun",
				Error: &JUnitMessage{Message: "never ran: the run stopped before this case (result incomplete)", Type: "Incomplete"}})
		}
		s.Tests = len(r.NotRun)
		doc.Add(s)
	}
	return EncodeJUnit(w, &doc)
}

func junitCaseOf(c CaseResult) JUnitCase {
	jc := JUnitCase{Name: c.Name, Classname: "lbcheck.conformance." + c.Profile, Time: junitTime(c.DurationSec)}
	switch c.Status {
	case StatusPassed:
	case StatusSkipped:
		jc.Skipped = &JUnitMessage{Message: c.Reason}
	case StatusNotSupported:
		jc.Skipped = &JUnitMessage{Message: "not supported: " + c.Reason}
	default:
		msg := c.Reason
		if msg == "" {
			msg = "case " + c.Status
		}
		jc.Failure = &JUnitMessage{Message: msg, Type: "ConformanceFailure", Text: failureText(c)}
	}
	return jc
}

// failureText explains a failed case for a CI log, one line per failed
// check, expectation and source; each line is escaped (safetext), as a
// report read back may hold anything.
func failureText(c CaseResult) string {
	var out strings.Builder
	for _, ch := range c.Checks {
		if ch.OK {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s", ch.Point, ch.What)
		switch {
		case ch.Negative && ch.Observed != nil:
			fmt.Fprintf(&b, ": unexpected packet %s", FormatHeaders(*ch.Observed))
		case ch.Observed == nil && !ch.Negative:
			fmt.Fprintf(&b, ": nothing arrived (expected %s)", FormatHeaders(ch.Expected))
		default:
			if m := Mismatches(ch.FieldDiffs()); len(m) > 0 {
				fmt.Fprintf(&b, ": %s", strings.Join(m, "; "))
			}
		}
		if ch.Message != "" {
			fmt.Fprintf(&b, " (%s)", ch.Message)
		}
		fmt.Fprintln(&out, safetext.Line(b.String()))
	}
	if c.Expectation != "" {
		fmt.Fprintln(&out, "expectation:", safetext.Line(c.Expectation))
	}
	if c.Source != "" {
		fmt.Fprintln(&out, "source:", safetext.Line(c.Source))
	}
	return out.String()
}

func junitTime(secs float64) string { return fmt.Sprintf("%.3f", secs) }
