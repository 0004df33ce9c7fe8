package format

import (
	"encoding/json"
	"io"

	"github.com/lbcheck/lbcheck/lint"
)

type jsonReport struct {
	Findings []lint.Finding `json:"findings"`
	Summary  Summary        `json:"summary"`
}

// JSON writes {"findings":[...],"summary":{"errors","warnings","files",
// "loadBalancers":{"checked","partly","notDeployed"}}}.
func JSON(w io.Writer, r *Report) error {
	out := jsonReport{Findings: r.Findings, Summary: r.Summary()}
	if out.Findings == nil {
		out.Findings = []lint.Finding{} // [], not null
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
