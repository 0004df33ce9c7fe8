package format

import (
	"fmt"
	"io"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/reports"
)

// noFile names the suite of findings that have no file (internal errors).
const noFile = "lbcheck"

// JUnit writes one testsuite per checked file and one testcase per finding,
// each a failure carrying the message and file:line:col, or, for a finding
// that does not fail the run (Report.Fails: below --fail-on), a passing
// testcase with the same text as its output, so JUnit's failures and the
// exit status agree. A file without findings gets one passing testcase, so
// that CI shows it was checked. Shown suppressed findings are skipped
// testcases. What comes from the
// inputs is escaped field by field (safetext), so a failure's text has the
// lines this writes and no others.
func JUnit(w io.Writer, r *Report) error {
	byFile := map[string][]lint.Finding{}
	var names []string
	for _, f := range r.Findings {
		if f.Pos.File == "" {
			if byFile[noFile] == nil {
				names = append(names, noFile)
			}
			byFile[noFile] = append(byFile[noFile], f)
		}
	}
	for _, f := range r.Findings {
		if f.Pos.File != "" {
			byFile[f.Pos.File] = append(byFile[f.Pos.File], f)
		}
	}
	names = append(names, r.files()...)
	out := reports.JUnitSuites{Name: "lbcheck lint"}
	for _, name := range names {
		s := reports.JUnitSuite{Name: name}
		for _, f := range byFile[name] {
			s.Cases = append(s.Cases, junitTestcase(name, f, r.fails(f)))
		}
		if len(s.Cases) == 0 {
			s.Cases = []reports.JUnitCase{{Name: "lint", Classname: name}}
		}
		for _, c := range s.Cases {
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			if c.Skipped != nil {
				s.Skipped++
			}
		}
		out.Add(s)
	}
	return reports.EncodeJUnit(w, &out)
}

func junitTestcase(suite string, f lint.Finding, fails bool) reports.JUnitCase {
	name := f.Rule
	switch {
	case f.Object != "":
		name += " " + safetext.Line(f.Object)
	case f.Pos.Line > 0:
		name += fmt.Sprintf(" line %d", f.Pos.Line)
	}
	c := reports.JUnitCase{Name: name, Classname: suite}
	if f.Suppressed != nil {
		c.Skipped = &reports.JUnitMessage{Message: "suppressed: " + safetext.Line(f.Suppressed.Reason)}
		return c
	}
	msg := safetext.Line(f.Message)
	var text strings.Builder
	fmt.Fprintf(&text, "%s: %s: %s (%s)", location(f), f.Severity, msg, f.Rule)
	if f.Fix != "" {
		fmt.Fprintf(&text, "\nfix: %s", strings.Join(fixLines(f), "\n"))
	}
	if f.Source != "" {
		fmt.Fprintf(&text, "\nsee: %s", f.Source)
	}
	if !fails {
		c.SystemOut = text.String()
		return c
	}
	c.Failure = &reports.JUnitMessage{Message: msg, Type: f.Severity.String(), Text: text.String()}
	return c
}
