// Package baseline records the findings a repository accepts for now
// (lbcheck lint --write-baseline) and leaves them out of later runs
// (--baseline), so a CI job fails only on what a change adds. A finding is
// matched by its rule and lint.Fingerprint (rule, object path or file, and
// message without digits), so it stays matched when lines move.
package baseline

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/lint"
)

// The baseline document.
const (
	APIVersion = "lbcheck.io/v1alpha1"
	Kind       = "LintBaseline"
)

// MaxSize is the largest baseline file Read reads.
const MaxSize = 16 << 20

// Entry is one accepted finding: what it is about, for people reading the
// file, and its fingerprint, which is what matches.
type Entry struct {
	Rule        string `json:"rule"`
	Object      string `json:"object,omitempty"`
	File        string `json:"file,omitempty"`
	Message     string `json:"message"`
	Fingerprint string `json:"fingerprint"`
}

// Baseline is a set of accepted findings.
type Baseline struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Findings   []Entry `json:"findings"`
}

// Of is the baseline of findings: every one not suppressed.
func Of(findings []lint.Finding) *Baseline {
	b := &Baseline{APIVersion: APIVersion, Kind: Kind, Findings: []Entry{}}
	for _, f := range findings {
		if f.Suppressed == nil {
			b.Findings = append(b.Findings, Entry{Rule: f.Rule, Object: f.Object, File: f.Pos.File, Message: f.Message, Fingerprint: lint.Fingerprint(f)})
		}
	}
	return b
}

// Write writes b as indented JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(b)
}

// Read reads a baseline file (a regular file of at most MaxSize bytes).
func Read(path string) (*Baseline, error) {
	data, err := safefile.ReadFile(path, MaxSize)
	if err != nil {
		return nil, err
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: not a baseline (%v): write one with lbcheck lint --write-baseline", path, err)
	}
	if b.APIVersion != APIVersion || b.Kind != Kind {
		return nil, fmt.Errorf("%s: apiVersion %q kind %q, want %s %s: write one with lbcheck lint --write-baseline", path, b.APIVersion, b.Kind, APIVersion, Kind)
	}
	return &b, nil
}

// Filter returns the findings b does not hold and how many it left out.
// Each entry accepts one finding: a second finding like an accepted one is
// new. Suppressed findings pass through.
func (b *Baseline) Filter(findings []lint.Finding) (kept []lint.Finding, known int) {
	left := map[string]int{}
	for _, e := range b.Findings {
		left[e.Rule+"\x00"+e.Fingerprint]++
	}
	for _, f := range findings {
		k := f.Rule + "\x00" + lint.Fingerprint(f)
		if f.Suppressed == nil && left[k] > 0 {
			left[k]--
			known++
			continue
		}
		kept = append(kept, f)
	}
	return kept, known
}
