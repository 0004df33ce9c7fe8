package format

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
	"gotest.tools/v3/golden"
)

// sampleReport covers every case a formatter must handle: fixes over
// several lines, every severity, a suppressed finding, a finding without a
// position, a finding for a rule missing from the catalogue, characters
// that need escaping, and a checked file without findings.
func sampleReport() *Report {
	rules := []*lint.Rule{
		lint.MetaRule(lint.SchemaViolation),
		lint.MetaRule(lint.InternalError),
		{ID: "LB2001", Severity: lint.Error, Doc: lint.Doc{
			Title: "two rules give the same destination", Text: "Both rules deliver to one socket.",
			Fix: "Change one backendPort.", Source: "https://learn.microsoft.com/azure/load-balancer/load-balancer-floating-ip"}},
		{ID: "LB3004", Severity: lint.Warning, Doc: lint.Doc{
			Title: "loopback prefix too wide", Text: "A /24 on lo captures the whole subnet.",
			Fix: "Use /32.", Source: "https://learn.microsoft.com/azure/load-balancer/load-balancer-floating-ip"}},
	}
	pos := func(file string, line, col int) schema.Pos { return schema.Pos{File: file, Line: line, Column: col} }
	findings := []lint.Finding{
		{Rule: "LB0004", Severity: lint.Error, Message: "internal error: rule LB2999 crashed (boom)", Source: rules[1].Doc.Source},
		{Rule: "LB0001", Severity: lint.Error, Message: `probes.0.port: invalid value 70000 (out of bound <=65535)`,
			Pos: pos("dir/a b,c:d.yaml", 3, 11), Source: rules[0].Doc.Source},
		{Rule: "LB2001", Severity: lint.Error, Message: "rules https and https2 both deliver to 203.0.113.10:443/Tcp; 100% of one is lost",
			Pos: pos("lb.yaml", 12, 7), Object: "loadBalancers.web.loadBalancingRules.https2", Source: rules[2].Doc.Source,
			Fix: "set backendPort: 8443 on rule https2"},
		{Rule: "LB3004", Severity: lint.Warning, Message: "lo has 203.0.113.10/24 <wide>",
			Pos: pos("lb.yaml", 40, 9), Object: "guests.vm1.interfaces.lo", Source: rules[3].Doc.Source,
			Fix: "ip addr del 203.0.113.10/24 dev lo\nip addr add 203.0.113.10/32 dev lo"},
		{Rule: "LB3004", Severity: lint.Warning, Message: "lo has 203.0.113.11/24",
			Pos: pos("lb.yaml", 41, 9), Object: "guests.vm2.interfaces.lo", Source: rules[3].Doc.Source,
			Suppressed: &lint.Suppression{Reason: "lab only & temporary", Pos: pos("lb.yaml", 40, 1)}},
		{Rule: "LB7777", Severity: lint.Info, Message: "note from a newer loader", Pos: pos("lb.yaml", 50, 1)},
	}
	exit := 1
	return &Report{Findings: findings, Rules: rules, Files: []string{"clean.yaml", "dir/a b,c:d.yaml", "lb.yaml"}, Version: "v1.2.3",
		Root: "/src/repo", ExitCode: &exit, Skipped: []Skipped{{File: "k8s/svc.yaml", Why: "a Kubernetes manifest (kind: Service)"}}}
}

func render(t *testing.T, name string) []byte {
	t.Helper()
	return renderReport(t, name, sampleReport())
}

func renderReport(t *testing.T, name string, r *Report) []byte {
	t.Helper()
	f, ok := Lookup(name)
	if !ok {
		t.Fatalf("format %q not registered", name)
	}
	var buf bytes.Buffer
	if err := f.Format(&buf, r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return buf.Bytes()
}

// TestGolden compares every format with its golden file in testdata
// (gotest.tools golden: `go test -update` rewrites them; review the diff).
func TestGolden(t *testing.T) {
	for _, name := range []string{"text", "json", "sarif", "junit", "github"} {
		t.Run(name, func(t *testing.T) {
			golden.Assert(t, string(render(t, name)), "report."+name+".golden")
		})
	}
}

func TestNames(t *testing.T) {
	want := []string{"github", "html", "json", "junit", "sarif", "text"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestText(t *testing.T) {
	out := string(render(t, "text"))
	for _, want := range []string{
		"lbcheck: error: internal error: rule LB2999 crashed (boom) (LB0004)\n",
		"lb.yaml:12:7: error: rules https and https2 both deliver to 203.0.113.10:443/Tcp; 100% of one is lost (LB2001)\n    fix: set backendPort: 8443 on rule https2\n",
		"    fix: ip addr del 203.0.113.10/24 dev lo\n         ip addr add 203.0.113.10/32 dev lo\n",
		"lb.yaml:41:9: warning: lo has 203.0.113.11/24 (LB3004, suppressed: lab only & temporary)\n",
		"lb.yaml:50:1: info: note from a newer loader (LB7777)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestJSONShape(t *testing.T) {
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Summary  map[string]any   `json:"summary"`
	}
	if err := json.Unmarshal(render(t, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 6 {
		t.Fatalf("%d findings, want 6", len(doc.Findings))
	}
	for _, f := range doc.Findings {
		for _, key := range []string{"rule", "severity", "message", "file", "line", "column", "object", "source"} {
			if _, ok := f[key]; !ok {
				t.Errorf("finding %v lacks %q", f, key)
			}
		}
	}
	f := doc.Findings[2]
	if f["rule"] != "LB2001" || f["severity"] != "error" || f["file"] != "lb.yaml" || f["line"] != 12.0 || f["column"] != 7.0 ||
		f["object"] != "loadBalancers.web.loadBalancingRules.https2" || f["fix"] != "set backendPort: 8443 on rule https2" {
		t.Errorf("finding 2 = %v", f)
	}
	want := map[string]any{"errors": 3.0, "warnings": 1.0, "files": 3.0}
	if len(doc.Summary) != 3 || doc.Summary["errors"] != want["errors"] || doc.Summary["warnings"] != want["warnings"] || doc.Summary["files"] != want["files"] {
		t.Errorf("summary = %v, want %v (suppressed findings do not count)", doc.Summary, want)
	}
}

func TestJSONEmptyFindingsIsArray(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, &Report{Files: []string{"a.yaml"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"findings": []`) {
		t.Errorf("empty report renders findings as %s", buf.String())
	}
}

func TestJUnit(t *testing.T) {
	var doc reports.JUnitSuites
	if err := xml.Unmarshal(render(t, "junit"), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 7 || doc.Failures != 5 || doc.Skipped != 1 {
		t.Errorf("totals tests=%d failures=%d skipped=%d, want 7, 5, 1", doc.Tests, doc.Failures, doc.Skipped)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if want := []string{"lbcheck", "clean.yaml", "dir/a b,c:d.yaml", "lb.yaml"}; !slices.Equal(names, want) {
		t.Errorf("suites %q, want %q", names, want)
	}
	if c := doc.Suites[1].Cases; len(c) != 1 || c[0].Failure != nil {
		t.Errorf("clean file should have one passing testcase, got %+v", c)
	}
	c := doc.Suites[3].Cases[0]
	if c.Name != "LB2001 loadBalancers.web.loadBalancingRules.https2" || c.Failure == nil ||
		!strings.HasPrefix(c.Failure.Text, "lb.yaml:12:7: error: rules https") || c.Failure.Type != "error" {
		t.Errorf("LB2001 testcase = %+v", c)
	}
}

// TestJUnitAgreesWithFailOn: with errors failing the run (--fail-on error),
// the warning is a passing testcase whose output carries the finding.
func TestJUnitAgreesWithFailOn(t *testing.T) {
	r := sampleReport()
	r.Fails = func(f lint.Finding) bool { return f.Severity >= lint.Error }
	var buf bytes.Buffer
	if err := JUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc reports.JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 7 || doc.Failures != 3 || doc.Skipped != 1 {
		t.Errorf("totals tests=%d failures=%d skipped=%d, want 7, 3, 1 (the warning and the info finding pass)", doc.Tests, doc.Failures, doc.Skipped)
	}
	var warning *reports.JUnitCase
	for _, s := range doc.Suites {
		for i, c := range s.Cases {
			if c.Name == "LB3004 guests.vm1.interfaces.lo" {
				warning = &s.Cases[i]
			}
		}
	}
	if warning == nil || warning.Failure != nil || !strings.Contains(warning.SystemOut, "warning:") {
		t.Errorf("the warning's testcase = %+v, want passing with the finding as its output", warning)
	}
	// --fail-on never: nothing fails.
	r.Fails = func(lint.Finding) bool { return false }
	buf.Reset()
	if err := JUnit(&buf, r); err != nil || strings.Contains(buf.String(), "<failure") {
		t.Errorf("--fail-on never still writes failures (%v)", err)
	}
}

func TestGitHubEscaping(t *testing.T) {
	tests := []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"x:y,z", "x:y,z", "x%3Ay%2Cz"},
	}
	for _, tt := range tests {
		if got := escapeData(tt.in); got != tt.data {
			t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeProperty(tt.in); got != tt.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.prop)
		}
	}
	out := string(render(t, "github"))
	for _, want := range []string{
		"::error title=LB0004::internal error",
		"::error file=dir/a b%2Cc%3Ad.yaml,line=3,col=11,title=LB0001::probes.0.port",
		"::warning file=lb.yaml,line=40,col=9,title=LB3004::lo has 203.0.113.10/24 <wide>%0Afix: ip addr del 203.0.113.10/24 dev lo%0Aip addr add",
		"::notice file=lb.yaml,line=41,col=9,title=LB3004::lo has 203.0.113.11/24%0A(suppressed: lab only & temporary)",
		"100%25 of one is lost",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("github output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 6 {
		t.Errorf("%d lines, want one per finding (6): a message newline was not escaped", n)
	}
}

func TestSummaryString(t *testing.T) {
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{}, "0 errors, 0 warnings in 0 files"},
		{Summary{Errors: 1, Warnings: 1, Files: 1}, "1 error, 1 warning in 1 file"},
		{Summary{Errors: 2, Warnings: 3, Files: 4, Suppressed: 1}, "2 errors, 3 warnings in 4 files (1 suppressed shown)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestRegister(t *testing.T) {
	Register("test-only", Func(Text))
	defer delete(registry, "test-only")
	if _, ok := Lookup("test-only"); !ok {
		t.Error("registered format not found")
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a taken name did not panic")
		}
	}()
	Register("text", Func(Text))
}
