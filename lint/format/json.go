package format

import (
	"encoding/json"
	"io"

	"github.com/lbcheck/lbcheck/lint"
)

// jsonFinding is the stable JSON shape of a finding (DESIGN.md).
type jsonFinding struct {
	Rule       string            `json:"rule"`
	Severity   lint.Severity     `json:"severity"`
	Message    string            `json:"message"`
	File       string            `json:"file"`
	Line       int               `json:"line"`
	Column     int               `json:"column"`
	Object     string            `json:"object"`
	Source     string            `json:"source"`
	Fix        string            `json:"fix,omitempty"`
	Suppressed *lint.Suppression `json:"suppressed,omitempty"`
}

type jsonReport struct {
	Findings []jsonFinding `json:"findings"`
	Summary  Summary       `json:"summary"`
}

// JSON writes {"findings":[...],"summary":{"errors","warnings","files",
// "loadBalancers":{"checked","partly","notDeployed"}}}.
func JSON(w io.Writer, r *Report) error {
	out := jsonReport{Findings: []jsonFinding{}, Summary: r.Summary()}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{
			Rule: f.Rule, Severity: f.Severity, Message: f.Message,
			File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column,
			Object: f.Object, Source: f.Source, Fix: f.Fix, Suppressed: f.Suppressed,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
