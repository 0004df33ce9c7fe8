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
		Findings: r.Findings,
		Titles:   map[string]string{},
		Sources:  make(map[string]string, len(r.Sources)),
		Version:  r.Version,
		Date:     time.Now().UTC(),
	}
	for file, src := range r.Sources {
		out.Sources[file] = string(src)
	}
	for _, f := range r.Findings {
		if rule := r.rule(f.Rule); rule != nil {
			out.Titles[f.Rule] = rule.Doc.Title
		}
	}
	return reports.WriteLintHTML(w, out)
}
