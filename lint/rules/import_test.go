package rules

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// TestImportedUnknowns lints fixtures/lint/unknown with every rule: an ARM
// template whose parameters without defaultValue leave enableTcpReset of
// Floating IP rule "web" and the backend ports of rules "batch-a" and
// "batch-b" unknown, and a guest that lacks web's frontend IP. The unknown
// enableTcpReset must not hide LB3001; the unknown backend ports (zero in
// the model, so equal) must keep LB1003 silent for batch-a and batch-b
// while it still reports the known clash of api-a and api-b. The importer
// reports each unknown value (LB0010).
func TestImportedUnknowns(t *testing.T) {
	d, issues, err := importer.LoadFiles(importer.Auto, []string{filepath.Join(fixtures, "lint", "unknown")}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range lint.Run(d, issues, All, nil) {
		got = append(got, fmt.Sprintf("%s %s:%d", f.Rule, filepath.Base(f.Pos.File), f.Pos.Line))
	}
	slices.Sort(got)
	want := []string{
		"LB0010 lb.json:41", // web.enableTcpReset
		"LB0010 lb.json:70", // batch-a.backendPort
		"LB0010 lb.json:70", // batch-a skipped by LB1003, LB9003
		"LB0010 lb.json:80", // batch-b.backendPort
		"LB0010 lb.json:80", // batch-b skipped by LB1003, LB9003
		"LB1003 lb.json:60", // api-b.backendPort
		"LB3001 guests.yaml:6",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings (rule file:line):\n%q\nwant:\n%q", got, want)
	}
}
