package cases

import (
	"os"
	"regexp"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// TestCoverage keeps COVERAGE.md true: every case it names is registered,
// every registered case is named, and every item of the spec's list (b),
// 1 to 20, has a row.
func TestCoverage(t *testing.T) {
	doc, err := os.ReadFile("COVERAGE.md")
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Z][A-Za-z0-9]+)`").FindAllStringSubmatch(string(doc), -1) {
		named[m[1]] = true
	}
	registered := map[string]bool{}
	for _, c := range suite.Cases(nil) {
		registered[c.ShortName] = true
		if !named[c.ShortName] {
			t.Errorf("case %s is not in COVERAGE.md: add it to the behaviour it checks", c.ShortName)
		}
	}
	for name := range named {
		if !registered[name] {
			t.Errorf("COVERAGE.md names %s, which is no case", name)
		}
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]] = true
	}
	for i := 1; i <= 20; i++ {
		if !rows[itoa(i)] {
			t.Errorf("COVERAGE.md has no row for list (b) item %d", i)
		}
	}
}

// TestEveryFeatureChecked: every feature of conformance/features is needed
// by some case, so declaring it, or not, changes what runs.
func TestEveryFeatureChecked(t *testing.T) {
	used := map[features.Name]bool{}
	for _, c := range suite.Cases(nil) {
		for _, f := range c.Features {
			used[f] = true
		}
	}
	for _, f := range features.All() {
		if !used[f.Name] {
			t.Errorf("no case needs feature %s", f.Name)
		}
	}
}
