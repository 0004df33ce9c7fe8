package format

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/lbcheck/lbcheck/lint"
)

// The subset of SARIF 2.1.0 lbcheck writes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool               sarifTool                `json:"tool"`
		Invocations        []sarifInvocation        `json:"invocations,omitempty"`
		OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
		Results            []sarifResult            `json:"results"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool                `json:"executionSuccessful"`
		ExitCode            int                 `json:"exitCode"`
		Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string             `json:"id"`
		ShortDescription     sarifMessage       `json:"shortDescription"`
		FullDescription      sarifMessage       `json:"fullDescription"`
		Help                 sarifMultiformat   `json:"help"`
		HelpURI              string             `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifMultiformat struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           *int               `json:"ruleIndex,omitempty"`
		Level               string             `json:"level"`
		Message             sarifMessage       `json:"message"`
		Locations           []sarifLocation    `json:"locations,omitempty"`
		PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		Properties          map[string]string  `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	sarifLogical struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification,omitempty"`
	}
)

// Tool identity in SARIF.
const (
	toolName       = "lbcheck"
	informationURI = "https://github.com/lbcheck/lbcheck"
	sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
)

// srcRoot is the uriBaseId of the files under Report.Root.
const srcRoot = "%SRCROOT%"

// fingerprintKey names lbcheck's partial fingerprint (version 1).
const fingerprintKey = "lbcheckFinding/v1"

// SARIF writes a SARIF 2.1.0 log with one run: a rule descriptor for every
// rule in the catalogue and one result per finding, files under
// Report.Root relative to %SRCROOT% (originalUriBaseIds gives its file:
// URI), each result with a partial fingerprint of its rule, object and
// message (lint.Fingerprint: stable when lines move), and an invocation with the
// exit status and a notification per skipped file. Suppressed findings
// carry an inSource suppression with the directive's reason. GitHub code
// scanning takes such a log as it is.
func SARIF(w io.Writer, r *Report) error {
	driver := sarifDriver{Name: toolName, Version: r.Version, InformationURI: informationURI, Rules: []sarifRule{}}
	index := map[string]int{}
	for i, rule := range r.Rules {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, sarifDescriptor(rule))
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	if r.Root != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: dirURI(r.Root)}}
	}
	if r.ExitCode != nil {
		inv := sarifInvocation{ExecutionSuccessful: *r.ExitCode != 2, ExitCode: *r.ExitCode}
		for _, s := range r.Skipped {
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note",
				Message:   sarifMessage{Text: "skipped: " + s.Why + ", not a deployment"},
				Locations: []sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: r.artifact(s.File)}}}})
		}
		for _, s := range r.Unreadable {
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "error",
				Message:   sarifMessage{Text: "cannot read: " + s.Why},
				Locations: []sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: r.artifact(s.File)}}}})
		}
		run.Invocations = []sarifInvocation{inv}
	}
	for _, f := range r.Findings {
		res := sarifResult{RuleID: f.Rule, Level: sarifLevel(f.Severity), Message: sarifMessage{Text: f.Message},
			PartialFingerprints: map[string]string{fingerprintKey: lint.Fingerprint(f)}}
		if i, ok := index[f.Rule]; ok {
			res.RuleIndex = &i
		}
		var loc sarifLocation
		if f.Pos.File != "" {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: r.artifact(f.Pos.File)}
			if f.Pos.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Pos.Line, StartColumn: f.Pos.Column}
			}
		}
		if f.Object != "" {
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Object}}
		}
		if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
			res.Locations = []sarifLocation{loc}
		}
		if f.Suppressed != nil {
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Suppressed.Reason}}
		}
		if f.Fix != "" {
			res.Properties = map[string]string{"fix": f.Fix}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifDescriptor(rule *lint.Rule) sarifRule {
	d := rule.Doc
	text := d.Text
	md := d.Text
	if d.Fix != "" {
		text += "\n\nFix: " + d.Fix
		md += "\n\n**Fix:** " + d.Fix
	}
	if d.Source != "" {
		text += "\n\nSource: " + d.Source
		md += "\n\nSource: <" + d.Source + ">"
	}
	return sarifRule{
		ID:                   rule.ID,
		ShortDescription:     sarifMessage{Text: d.Title},
		FullDescription:      sarifMessage{Text: d.Text},
		Help:                 sarifMultiformat{Text: text, Markdown: md},
		HelpURI:              d.Source,
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(rule.Severity)},
	}
}

func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "error"
	case lint.Warning:
		return "warning"
	default:
		return "note"
	}
}

// artifact locates a file: under Root relative to %SRCROOT%, elsewhere
// (or with no Root) as fileURI.
func (r *Report) artifact(name string) sarifArtifact {
	if r.Root == "" {
		return sarifArtifact{URI: fileURI(name)}
	}
	abs := name
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(r.Root, name)
	}
	rel, err := filepath.Rel(r.Root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return sarifArtifact{URI: fileURI(abs)}
	}
	return sarifArtifact{URI: fileURI(rel), URIBaseID: srcRoot}
}

// dirURI is the file: URI of a directory, with the trailing slash SARIF
// wants of a base.
func dirURI(dir string) string {
	return (&url.URL{Scheme: "file", Path: strings.TrimSuffix(filepath.ToSlash(dir), "/") + "/"}).String()
}

// fileURI turns a file name into a URI reference: relative paths stay
// relative (code-scanning services resolve them against the repository
// root), absolute ones become file: URIs.
func fileURI(name string) string {
	p := filepath.ToSlash(name)
	if filepath.IsAbs(name) {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	p = strings.TrimPrefix(p, "./")
	return (&url.URL{Path: p}).String()
}
