package schema_test

import (
	"path/filepath"
	"testing"

	"github.com/lbcheck/lbcheck/lint/linttest"
	"github.com/lbcheck/lbcheck/schema"
)

// TestValidFixtures loads every valid fixture (and the JSON test data):
// no issues at all.
func TestValidFixtures(t *testing.T) {
	files, err := filepath.Glob("../fixtures/schema/valid/*.yaml")
	json, _ := filepath.Glob("testdata/*.json")
	files = append(files, json...)
	if err != nil || len(files) < 2 {
		t.Fatalf("no valid fixtures: %v", err)
	}
	for _, f := range files {
		d, issues, err := schema.Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, i := range issues {
			t.Errorf("%s: %s %s", i.Pos, i.Rule, i.Message)
		}
		if len(d.LoadBalancers) == 0 {
			t.Errorf("%s: no load balancers decoded", f)
		}
	}
}

// TestInvalidFixtures checks the loader's issues against the fixtures'
// "# want" comments with linttest (no lint rules: only the loader's
// LB0001, LB1001 and LB1002).
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("../fixtures/schema/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if len(linttest.Run(t, nil, f)) == 0 {
				t.Errorf("%s: no findings", f)
			}
		})
	}
}
