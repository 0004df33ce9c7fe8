package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/rules"
)

// TestRulesMarkdown keeps lint/RULES.md what the catalogue and the rules'
// fixtures (fixtures/lint/ID/bad.yaml and good.yaml) make of it:
// `go test ./lint/rules -run TestRulesMarkdown -update` rewrites it.
func TestRulesMarkdown(t *testing.T) {
	examples := map[string]lint.Example{}
	for _, r := range rules.Catalogue() {
		dir := filepath.Join("..", "..", "fixtures", "lint", r.ID)
		bad, err := os.ReadFile(filepath.Join(dir, "bad.yaml"))
		if err != nil {
			continue // a meta rule without fixtures (LB0004, LB1001, ...)
		}
		good, _ := os.ReadFile(filepath.Join(dir, "good.yaml"))
		examples[r.ID] = lint.Example{Bad: string(bad), Good: string(good)}
	}
	var b bytes.Buffer
	header := "Generated from the rule catalogue and `fixtures/lint` by `go test ./lint/rules -run TestRulesMarkdown -update`; do not edit. `lbcheck rules ID` prints one rule."
	if err := lint.WriteRulesMarkdown(&b, rules.Catalogue(), examples, header); err != nil {
		t.Fatal(err)
	}
	path, err := filepath.Abs(filepath.Join("..", "RULES.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, b.String(), path)
	for _, r := range rules.All {
		if _, ok := examples[r.ID]; !ok {
			t.Errorf("rule %s has no fixtures/lint/%s/bad.yaml for its example", r.ID, r.ID)
		}
	}
}
