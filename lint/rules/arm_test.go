package rules

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lbcheck/lbcheck/lint/linttest"
)

// TestARMEvaluator lints each case of fixtures/lint/arm (a
// directory of ARM templates written for the evaluator: leniency,
// functions, lambdas, copy loops, conditions, unknown values, nested and
// linked deployments, scale sets, child resources) with every rule. Each
// finding must be marked in the templates with `// want`, on the line of
// the offending field as it is written in the template, a variable, a
// copy loop's input or a linked file.
func TestARMEvaluator(t *testing.T) {
	dir := filepath.Join(fixtures, "lint", "arm")
	cases, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			if len(linttest.Run(t, All, filepath.Join(dir, c.Name()))) == 0 {
				t.Error("no findings: every case must exercise a rule")
			}
		})
	}
}
