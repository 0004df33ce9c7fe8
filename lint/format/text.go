package format

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
)

// Text writes one line per finding in the form editors and CI logs
// understand, followed by its fix, if any, indented:
//
//	lb.yaml:12:7: error: two rules ... (LB2001)
//	    fix: ip addr add 203.0.113.10/32 dev lo
//	         ip addr ...
//
// What comes from the inputs (file names, messages, fixes, reasons) is
// escaped (safetext), so it adds no line and no terminal escape.
func Text(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	for _, f := range r.Findings {
		fmt.Fprintf(bw, "%s: %s: %s (%s)\n", location(f), f.Severity, safetext.Line(f.Message), tag(f))
		for i, line := range fixLines(f) {
			if i == 0 {
				fmt.Fprintf(bw, "    fix: %s\n", line)
			} else {
				fmt.Fprintf(bw, "         %s\n", line)
			}
		}
	}
	return bw.Flush()
}

// location is file:line:col, or "lbcheck" for a finding with no position
// (an internal error), escaped.
func location(f lint.Finding) string {
	if f.Pos.File == "" {
		return "lbcheck"
	}
	return safetext.Line(f.Pos.String())
}

// tag is the rule ID, plus the reason when the finding is suppressed,
// escaped.
func tag(f lint.Finding) string {
	if f.Suppressed != nil {
		return fmt.Sprintf("%s, suppressed: %s", f.Rule, safetext.Line(f.Suppressed.Reason))
	}
	return f.Rule
}

// fixLines are the lines of the finding's fix, each escaped; none when it
// has no fix.
func fixLines(f lint.Finding) []string {
	if f.Fix == "" {
		return nil
	}
	return strings.Split(safetext.Lines(strings.TrimRight(f.Fix, "\n")), "\n")
}
