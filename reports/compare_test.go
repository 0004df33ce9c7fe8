package reports

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// kase is a case result with the given status, needing features.
func kase(name, profile, status string, features ...string) CaseResult {
	return CaseResult{Name: name, Profile: profile, Status: status, Features: features,
		Source: "https://learn.microsoft.com/azure/load-balancer/" + strings.ToLower(name)}
}

// unsupported is a not-supported case lacking the feature missing.
func unsupported(name, profile, missing string, features ...string) CaseResult {
	c := kase(name, profile, StatusNotSupported, features...)
	c.Unsupported = []string{missing}
	c.Reason = "needs undeclared feature " + missing
	return c
}

// report is a report of the implementation, run at minute min of a day.
func report(name, version string, min int, declared []string, cases ...CaseResult) *ConformanceReport {
	return &ConformanceReport{APIVersion: ConformanceAPIVersion, Kind: ConformanceKind,
		Implementation: Implementation{Name: name, Version: version, Features: declared},
		Environment:    Environment{LBCheck: "devel"},
		Date:           time.Date(2026, 11, 25, 10, min, 0, 0, time.UTC), Cases: cases}
}

// compareFixture is three implementations: ref passes everything it runs
// (and declares every extended feature); acme fails FloatingInbound and
// lacks tcp-reset; mini runs only part of the suite, skips
// HealthProbeDown and lacks health-probe for HTTPProbe although it
// declares health-probe.
func compareFixture() []*ConformanceReport {
	return []*ConformanceReport{
		report("ref", "", 0, []string{"health-probe", "http-probe", "tcp-reset"},
			kase("NonFloatingInbound", "core", StatusPassed, "load-balancing-rule"),
			kase("IdleReset", "extended", StatusPassed, "tcp-reset"),
			kase("FloatingInbound", "core", StatusPassed, "load-balancing-rule", "floating-ip"),
			kase("HealthProbeDown", "extended", StatusPassed, "health-probe"),
			kase("HTTPProbe", "extended", StatusPassed, "health-probe", "http-probe"),
		),
		report("acme", "0.4.1", 1, []string{"health-probe", "http-probe"},
			kase("NonFloatingInbound", "core", StatusPassed, "load-balancing-rule"),
			unsupported("IdleReset", "extended", "tcp-reset", "tcp-reset"),
			func() CaseResult {
				c := kase("FloatingInbound", "core", StatusFailed, "load-balancing-rule", "floating-ip")
				c.Reason = "the VM received the SYN addressed to its DIP"
				return c
			}(),
			kase("HealthProbeDown", "extended", StatusPassed, "health-probe"),
			kase("HTTPProbe", "extended", StatusPassed, "health-probe", "http-probe"),
		),
		report("mini", "1", 2, []string{"health-probe"},
			kase("NonFloatingInbound", "core", StatusPassed, "load-balancing-rule"),
			kase("HealthProbeDown", "extended", StatusSkipped, "health-probe"),
			unsupported("HTTPProbe", "extended", "http-probe", "health-probe", "http-probe"),
			kase("OnlyMini", "core", StatusPassed, "load-balancing-rule", "dsr"),
		),
	}
}

func TestCompareColumns(t *testing.T) {
	cmp, err := Compare(compareFixture())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		label, result string
		stats         Statistics
		profiles      string
	}{
		{"ref", ResultSuccess, Statistics{Passed: 5}, "core=success extended=success"},
		{"acme 0.4.1", ResultFailure, Statistics{Passed: 3, Failed: 1, NotSupported: 1}, "core=failure extended=partial"},
		{"mini 1", ResultPartial, Statistics{Passed: 2, Skipped: 1, NotSupported: 1}, "core=success extended=partial"},
	}
	if len(cmp.Columns) != len(want) {
		t.Fatalf("%d columns, want %d", len(cmp.Columns), len(want))
	}
	for i, w := range want {
		c := cmp.Columns[i]
		var profiles []string
		for _, p := range c.Profiles {
			profiles = append(profiles, p.Name+"="+p.Result)
		}
		if c.Label != w.label || c.Result != w.result || c.Statistics != w.stats || strings.Join(profiles, " ") != w.profiles {
			t.Errorf("column %d: %q %s %+v %v, want %q %s %+v %s", i, c.Label, c.Result, c.Statistics, profiles, w.label, w.result, w.stats, w.profiles)
		}
	}
}

func TestCompareCases(t *testing.T) {
	cmp, err := Compare(compareFixture())
	if err != nil {
		t.Fatal(err)
	}
	// Core first, each profile in the order of the first report that has
	// the case; OnlyMini, in the last report alone, ends the core cases.
	want := []struct {
		name, profile, features string
		cells                   []string
	}{
		{"NonFloatingInbound", "core", "load-balancing-rule", []string{"passed", "passed", "passed"}},
		{"FloatingInbound", "core", "load-balancing-rule floating-ip", []string{"passed", "failed", "absent"}},
		{"OnlyMini", "core", "load-balancing-rule dsr", []string{"absent", "absent", "passed"}},
		{"IdleReset", "extended", "tcp-reset", []string{"passed", "not-supported", "absent"}},
		{"HealthProbeDown", "extended", "health-probe", []string{"passed", "passed", "skipped"}},
		{"HTTPProbe", "extended", "health-probe http-probe", []string{"passed", "passed", "not-supported"}},
	}
	if len(cmp.Cases) != len(want) {
		t.Fatalf("%d case rows, want %d", len(cmp.Cases), len(want))
	}
	for i, w := range want {
		row := cmp.Cases[i]
		if row.Name != w.name || row.Profile != w.profile || strings.Join(row.Features, " ") != w.features || strings.Join(statuses(row.Cells), " ") != strings.Join(w.cells, " ") {
			t.Errorf("case row %d: %s %s [%s] %v, want %s %s [%s] %v", i, row.Name, row.Profile, strings.Join(row.Features, " "), statuses(row.Cells), w.name, w.profile, w.features, w.cells)
		}
	}
	if got := cmp.Cases[1].Cells[1].Note; got != "the VM received the SYN addressed to its DIP" {
		t.Errorf("failed cell's note %q, want the case's reason", got)
	}
}

func TestCompareFeatures(t *testing.T) {
	cmp, err := Compare(compareFixture())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		cases string
		cells []string
	}{
		// acme failed FloatingInbound; mini passed NonFloatingInbound and
		// OnlyMini but has no FloatingInbound; ref has no OnlyMini.
		{"load-balancing-rule", "NonFloatingInbound FloatingInbound OnlyMini", []string{"partial", "failed", "partial"}},
		// Core (nobody declares or lacks it): mini ran none of its cases.
		{"floating-ip", "FloatingInbound", []string{"passed", "failed", "untested"}},
		{"dsr", "OnlyMini", []string{"untested", "untested", "passed"}},
		// acme's case is not supported; mini does not declare it.
		{"tcp-reset", "IdleReset", []string{"passed", "not-supported", "not-supported"}},
		// mini skipped one and its other is not supported for http-probe.
		{"health-probe", "HealthProbeDown HTTPProbe", []string{"passed", "passed", "untested"}},
		{"http-probe", "HTTPProbe", []string{"passed", "passed", "not-supported"}},
	}
	if len(cmp.Features) != len(want) {
		t.Fatalf("%d feature rows %v, want %d", len(cmp.Features), cmp.Features, len(want))
	}
	for i, w := range want {
		row := cmp.Features[i]
		if row.Name != w.name || strings.Join(row.Cases, " ") != w.cases || strings.Join(statuses(row.Cells), " ") != strings.Join(w.cells, " ") {
			t.Errorf("feature row %d: %s [%s] %v, want %s [%s] %v", i, row.Name, strings.Join(row.Cases, " "), statuses(row.Cells), w.name, w.cases, w.cells)
		}
	}
}

// TestCompareFeatureRule runs the feature rule on one feature and two
// implementations, the second under test.
func TestCompareFeatureRule(t *testing.T) {
	const f = "idle-timeout"
	full := []CaseResult{kase("A", "extended", StatusPassed, f), kase("B", "extended", StatusPassed, f)}
	tests := []struct {
		name     string
		declared []string
		cases    []CaseResult
		want     string
	}{
		{"all passed", []string{f}, full, StatusPassed},
		{"one failed", []string{f}, []CaseResult{kase("A", "extended", StatusPassed, f), kase("B", "extended", StatusFailed, f)}, StatusFailed},
		{"failure wins over not declared", nil, []CaseResult{kase("A", "extended", StatusFailed, f)}, StatusFailed},
		{"unknown status is a failure", []string{f}, []CaseResult{kase("A", "extended", "exploded", f), kase("B", "extended", StatusPassed, f)}, StatusFailed},
		{"one skipped", []string{f}, []CaseResult{kase("A", "extended", StatusPassed, f), kase("B", "extended", StatusSkipped, f)}, FeaturePartial},
		{"one absent", []string{f}, []CaseResult{kase("A", "extended", StatusPassed, f)}, FeaturePartial},
		{"other feature missing", []string{f}, []CaseResult{kase("A", "extended", StatusPassed, f), unsupported("B", "extended", "hairpin", f, "hairpin")}, FeaturePartial},
		{"cases not supported", nil, []CaseResult{unsupported("A", "extended", f, f), unsupported("B", "extended", f, f)}, StatusNotSupported},
		{"not declared, no cases", nil, nil, StatusNotSupported},
		{"declared, no cases", []string{f}, nil, FeatureUntested},
		{"all skipped", []string{f}, []CaseResult{kase("A", "extended", StatusSkipped, f)}, FeatureUntested},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmp, err := Compare([]*ConformanceReport{
				report("ref", "", 0, []string{f}, full...),
				report("other", "", 0, tt.declared, tt.cases...),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(cmp.Features) == 0 || cmp.Features[0].Name != f {
				t.Fatalf("feature rows %v, want %s first", cmp.Features, f)
			}
			if got := cmp.Features[0].Cells[1]; got.Status != tt.want {
				t.Errorf("cell %+v, want %s", got, tt.want)
			}
		})
	}
}

func TestCompareSameImplementation(t *testing.T) {
	a := report("ref", "1.0", 0, nil, kase("A", "core", StatusPassed))
	b := report("ref", "1.0", 5, nil, kase("A", "core", StatusFailed))
	other := report("ref", "1.1", 0, nil, kase("A", "core", StatusPassed))
	cmp, err := Compare([]*ConformanceReport{a, other, b})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range cmp.Columns {
		labels = append(labels, c.Label)
	}
	if want := "ref 1.0 (2026-11-25 10:00:00 UTC)|ref 1.1|ref 1.0 (2026-11-25 10:05:00 UTC)"; strings.Join(labels, "|") != want {
		t.Errorf("labels %q, want %q", strings.Join(labels, "|"), want)
	}

	_, err = Compare([]*ConformanceReport{a, other, a})
	var same *SameRunError
	if !errors.As(err, &same) || same.First != 0 || same.Second != 2 {
		t.Fatalf("the same run twice: error %v, want a SameRunError for reports 0 and 2", err)
	}
	if want := "reports 1 and 3 are both ref 1.0 of 2026-11-25 10:00:00 UTC: give each run once, or compare runs of different dates"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCompareErrors(t *testing.T) {
	one := report("ref", "", 0, nil, kase("A", "core", StatusPassed))
	dup := report("acme", "", 0, nil, kase("A", "core", StatusPassed), kase("A", "core", StatusFailed))
	tests := []struct {
		name string
		reps []*ConformanceReport
		want string
	}{
		{"one report", []*ConformanceReport{one}, "a comparison needs two or more reports, got 1"},
		{"duplicate case", []*ConformanceReport{one, dup}, `report 2 (acme) has two cases named "A": cases are compared by name; compare reports of one run each`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(tt.reps)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// renderCompared compares reps and renders the comparison with write.
func renderCompared(t *testing.T, reps []*ConformanceReport, write func(io.Writer, *Comparison) error) []byte {
	t.Helper()
	cmp, err := Compare(reps)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := write(&buf, cmp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func statuses(cells []Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c.Status
	}
	return out
}
