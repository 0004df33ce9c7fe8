package format

import (
	"io"
	"time"

	"github.com/lbcheck/lbcheck/reports"
)

// HTML writes one self-contained page that shows each finding under the
// offending lines of the user's file (reports.WriteLintHTML).
func HTML(w io.Writer, r *Report) error {
	out := &reports.LintReport{
		Sources: make(map[string]string, len(r.Sources)),
		Version: r.Version,
		Date:    time.Now().UTC(),
	}
	for file, src := range r.Sources {
		out.Sources[file] = string(src)
	}
	for _, f := range r.Findings {
		lf := reports.LintFinding{
			Rule: f.Rule, Severity: f.Severity.String(), Message: f.Message,
			File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column,
			Object: f.Object, Fix: f.Fix, Source: f.Source,
		}
		if rule := r.rule(f.Rule); rule != nil {
			lf.Title = rule.Doc.Title
		}
		if f.Suppressed != nil {
			lf.Suppressed = f.Suppressed.Reason
		}
		out.Findings = append(out.Findings, lf)
	}
	return reports.WriteLintHTML(w, out)
}
