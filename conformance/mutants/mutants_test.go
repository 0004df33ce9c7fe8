package mutants_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/cases"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/mutants"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
)

// TestCatchesNamesMutants checks the cases' Catches against the mutants:
// every name is a mutant, every mutant without a Gap is named by a case,
// and one that must be caught by the core profile by a core case.
func TestCatchesNamesMutants(t *testing.T) {
	by := catchers()
	for name := range by {
		if _, ok := mutants.ByName(name); !ok {
			t.Errorf("a case catches %q, which is no mutant", name)
		}
	}
	for _, m := range mutants.All {
		cs := by[m.Name]
		switch {
		case m.Gap == "" && len(cs) == 0:
			t.Errorf("mutant %s: no case names it in Catches", m.Name)
		case m.Gap != "" && len(cs) > 0:
			t.Errorf("mutant %s is caught by %v: remove its Gap", m.Name, names(cs))
		case m.Core && !slices.ContainsFunc(cs, func(c *suite.Case) bool { return c.Profile == suite.Core }):
			t.Errorf("mutant %s must be caught by the core profile; caught only by %v", m.Name, names(cs))
		}
	}
}

// TestMutantsApply checks that every mutant's text occurs once in the
// source (without building), so a refactoring that moves it fails here,
// not in the long runs.
func TestMutantsApply(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range mutants.All {
		if seen[m.Name] {
			t.Errorf("two mutants are named %s", m.Name)
		}
		seen[m.Name] = true
		src, err := os.ReadFile(filepath.Join("../..", m.File))
		if err != nil {
			t.Errorf("mutant %s: %v", m.Name, err)
			continue
		}
		if _, err := m.Apply(src); err != nil {
			t.Error(err)
		}
	}
}

// TestMutantsCaught builds every mutant that is no Gap and runs the cases
// that name it against it: each of them must fail.
func TestMutantsCaught(t *testing.T) {
	labtest.RequireRoot(t)
	w := workspace(t)
	by := catchers()
	for _, m := range mutants.All {
		if m.Gap != "" || len(by[m.Name]) == 0 {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			rep := runMutant(t, w, m, "^("+strings.Join(names(by[m.Name]), "|")+")$", "")
			for _, c := range rep.Cases {
				if c.Status != reports.StatusFailed {
					t.Errorf("%s %s against mutant %s (%s), which it names in Catches\n%s", c.Name, c.Status, m.Name, m.Breaks, c.Reason)
				}
			}
			if !m.Azure {
				return
			}
			// Within Azure's documented behaviour: the core profile passes.
			for _, c := range runMutant(t, w, m, "", suite.Core).Cases {
				if c.Status == reports.StatusFailed {
					t.Errorf("core case %s fails against mutant %s, which Azure's documented behaviour allows (%s)\n%s", c.Name, m.Name, m.Breaks, c.Reason)
				}
			}
		})
	}
}

// TestMutantScore runs the whole suite against every mutant and prints
// which cases catch it: `make mutants` (LBCHECK_MUTANT_SCORE=1).
func TestMutantScore(t *testing.T) {
	if os.Getenv("LBCHECK_MUTANT_SCORE") == "" {
		t.Skip("scores every mutant against the whole suite (minutes): make mutants")
	}
	labtest.RequireRoot(t)
	w := workspace(t)
	caught, core := 0, 0
	var lines []string
	for _, m := range mutants.All {
		rep := runMutant(t, w, m, "", "")
		var by []string
		byCore := false
		for _, c := range rep.Cases {
			if c.Status == reports.StatusFailed {
				by = append(by, c.Name)
				byCore = byCore || c.Profile == suite.Core
			}
		}
		verdict := "NOT CAUGHT"
		if len(by) > 0 {
			caught++
			verdict = "caught by " + strings.Join(by, ", ")
		}
		if byCore {
			core++
		}
		if m.Gap != "" {
			verdict += " (gap: " + m.Gap + ")"
		}
		lines = append(lines, fmt.Sprintf("  %-32s %s", m.Name, verdict))
	}
	fmt.Printf("\nmutants: %d of %d caught, %d by the core profile\n%s\n", caught, len(mutants.All), core, strings.Join(lines, "\n"))
}

// catchers maps each mutant name to the cases that name it.
func catchers() map[string][]*suite.Case {
	by := map[string][]*suite.Case{}
	for _, c := range suite.Cases(nil) {
		for _, name := range c.Catches {
			by[name] = append(by[name], c)
		}
	}
	return by
}

func names(cs []*suite.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ShortName)
	}
	return out
}

// workspace copies the module for building mutants.
func workspace(t *testing.T) *mutants.Workspace {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	w, err := mutants.NewWorkspace(root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// runMutant builds m and runs the cases run selects (all when empty) of
// profile (both when empty) against it.
func runMutant(t *testing.T, w *mutants.Workspace, m mutants.Mutant, run, profile string) *reports.ConformanceReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin, err := w.Build(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	tg := target.Forwarder("mutant-"+m.Name, bin)
	opts := suite.Options{Fixtures: cases.Fixture, Profile: profile, Implementation: reports.Implementation{Name: tg.Name, Features: features.Strings(tg.Features)}}
	if run != "" {
		opts.Select = regexp.MustCompile(run)
	}
	r := suite.Runner{Provider: &suite.Lab{Target: tg}, Options: opts}
	rep, err := r.Run(ctx)
	if err != nil {
		t.Fatalf("mutant %s: %v", m.Name, err)
	}
	return rep
}
