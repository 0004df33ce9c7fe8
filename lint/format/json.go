package format

import (
	_ "embed"
	"encoding/json"
	"io"

	"github.com/lbcheck/lbcheck/lint"
)

// The JSON result document (lint --format json); JSONSchema describes it.
const (
	JSONAPIVersion = "lbcheck.io/v1alpha1"
	JSONKind       = "LintResult"
)

// JSONSchema is the JSON Schema (2020-12) of what JSON writes.
//
//go:embed lint-result.schema.json
var JSONSchema []byte

type jsonReport struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Version    string         `json:"lbcheckVersion,omitempty"`
	Findings   []lint.Finding `json:"findings"`
	Summary    Summary        `json:"summary"`
}

// JSON writes {"apiVersion","kind":"LintResult","lbcheckVersion",
// "findings":[...],"summary":{"errors","warnings","files",
// "loadBalancers":{"checked","partly","notDeployed"}}}, as JSONSchema
// describes.
func JSON(w io.Writer, r *Report) error {
	out := jsonReport{APIVersion: JSONAPIVersion, Kind: JSONKind, Version: r.Version, Findings: r.Findings, Summary: r.Summary()}
	if out.Findings == nil {
		out.Findings = []lint.Finding{} // [], not null
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
