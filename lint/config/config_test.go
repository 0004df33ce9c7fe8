package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/lint"
)

func write(t *testing.T, dir, name, src string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const sample = `include: [deploy]
exclude: ["legacy/**", "**/*.draft.yaml"]
rules:
  LB2003: "off"
  LB9001: error
failOn: warning
formats: [text, sarif=lbcheck.sarif]
suppressions:
  - rule: LB3*
    object: guests.web-1
    reason: the image sets it at boot
  - rule: LB2001
    object: loadBalancers.old
    reason: retired next sprint
    expires: 2026-11-30
`

func TestLoadFindAndApply(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, FileName, sample)
	write(t, dir, "deploy/lb.yaml", "loadBalancers: []\n")
	if got, _ := filepath.Abs(Find(filepath.Join(dir, "deploy"))); got != p {
		t.Fatalf("Find from a subdirectory = %q, want %q", got, p)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.FailOn != "warning" || len(c.Formats) != 2 || c.Rules["LB2003"] != "off" || len(c.Suppressions) != 2 || c.Suppressions[1].Pos.Line != 12 {
		t.Errorf("loaded %+v", c)
	}
	paths, err := c.Paths()
	if err != nil || len(paths) != 1 || (paths[0] != filepath.Join(dir, "deploy") && !strings.HasSuffix(paths[0], "deploy")) {
		t.Errorf("Paths = %v, %v", paths, err)
	}
	for p, want := range map[string]bool{"legacy/a/lb.yaml": true, "deploy/x.draft.yaml": true, "deploy/lb.yaml": false} {
		if got := c.Excluded(filepath.Join(dir, p)); got != want {
			t.Errorf("Excluded(%s) = %v, want %v", p, got, want)
		}
	}
	findings := []lint.Finding{
		{Rule: "LB2003", Severity: lint.Warning, Object: "loadBalancers.web"},
		{Rule: "LB9001", Severity: lint.Info, Object: "loadBalancers.web.probes.p"},
		{Rule: "LB3004", Severity: lint.Warning, Object: "guests.web-1.interfaces.lo"},
		{Rule: "LB3004", Severity: lint.Warning, Object: "guests.web-10.interfaces.lo"},
		{Rule: "LB2001", Severity: lint.Error, Object: "loadBalancers.old.loadBalancingRules.b"},
	}
	out := c.Apply(findings, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), true)
	var got []string
	for _, f := range out {
		s := f.Rule + " " + f.Severity.String() + " " + f.Object
		if f.Suppressed != nil {
			s += " suppressed"
		}
		got = append(got, s)
	}
	want := []string{
		"LB9001 error loadBalancers.web.probes.p",              // re-graded
		"LB3004 warning guests.web-1.interfaces.lo suppressed", // inside the object
		"LB3004 warning guests.web-10.interfaces.lo",           // another object
		"LB2001 error loadBalancers.old.loadBalancingRules.b",  // the suppression expired
		"LB0005 warning ", // ... and says so
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Apply:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := c.CheckRules([]*lint.Rule{{ID: "LB2003"}}); err == nil || !strings.Contains(err.Error(), "LB9001") {
		t.Errorf("CheckRules = %v, want it to name LB9001", err)
	}
}

// TestIncludeOverlapsAndExpiryDay: globs that overlap list a path once and
// each counts as matching; a suppression still applies on its expires day.
func TestIncludeOverlapsAndExpiryDay(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, FileName, "include: [deploy, deploy/lb.yaml, \"**/*.json\"]\n")
	write(t, dir, "deploy/lb.yaml", "loadBalancers: []\n")
	write(t, dir, "deploy/t.json", "{}\n")
	write(t, dir, "other/t.json", "{}\n")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.Paths()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range paths {
		got = append(got, filepath.Base(filepath.Dir(q))+"/"+filepath.Base(q))
	}
	if want := []string{filepath.Base(dir) + "/deploy", "other/t.json"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Paths = %v (%v), want %v", got, paths, want)
	}
	s := Suppression{Expires: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	for day, want := range map[int]bool{2: false, 3: false, 4: true} {
		if got := s.expired(time.Date(2026, 12, day, 23, 0, 0, 0, time.Local)); got != want {
			t.Errorf("expires 2026-12-03, on the %dth: expired %v, want %v", day, got, want)
		}
	}
}

func TestUnusedSuppressionOnlyForWholeRuns(t *testing.T) {
	c := &Config{Suppressions: []Suppression{{Rule: "LB2001", Object: "loadBalancers.x", Reason: "r"}}}
	if out := c.Apply(nil, time.Now(), false); len(out) != 0 {
		t.Errorf("a partial run reports %v", out)
	}
	if out := c.Apply(nil, time.Now(), true); len(out) != 1 || out[0].Rule != lint.UnusedSuppression {
		t.Errorf("a whole run reports %v, want one unused suppression", out)
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct{ src, want string }{
		"unknown key":  {"includes: [x]\n", "includes"},
		"no reason":    {"suppressions: [{rule: LB2001, object: a}]\n", "reason"},
		"bad severity": {"rules: {LB2001: fatal}\n", "LB2001"},
		"bad date":     {"suppressions: [{rule: LB2001, object: a, reason: r, expires: soon}]\n", "expires"},
		"syntax":       {"rules: [\n", FileName},
	} {
		p := write(t, dir, name+"/"+FileName, tt.src)
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		g, p string
		want bool
	}{
		{"legacy/**", "legacy/a/b.yaml", true}, {"legacy/**", "legacy", true}, {"**/*.draft.yaml", "a.draft.yaml", true},
		{"**/*.draft.yaml", "x/y/a.draft.yaml", true}, {"deploy/*.yaml", "deploy/a/b.yaml", false}, {"deploy", "deploy", true},
	} {
		if got := Match(tt.g, tt.p); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.g, tt.p, got, tt.want)
		}
	}
}
