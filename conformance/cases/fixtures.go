// Package cases holds the conformance cases, one file per case, and the small
// deployments they run on (testdata/*.yaml, embedded). Importing the package
// registers every case with the suite.
package cases

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

//go:embed testdata/*.yaml
var fixtures embed.FS

// Fixture loads an embedded deployment by file name (e.g. "mapping.yaml").
// A fixture with any schema issue is an error: cases rely on exact input.
func Fixture(name string) (*schema.Deployment, error) {
	src, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		return nil, fmt.Errorf("no embedded fixture %q (have %s)", name, strings.Join(FixtureNames(), ", "))
	}
	d, issues, err := schema.LoadBytes(name, src)
	if err != nil {
		return nil, err
	}
	if len(issues) > 0 {
		var msgs []string
		for _, is := range issues {
			msgs = append(msgs, fmt.Sprintf("%s: %s %s", is.Pos, is.Rule, is.Message))
		}
		return nil, fmt.Errorf("fixture %s:\n%s", name, strings.Join(msgs, "\n"))
	}
	return d, nil
}

// FixtureNames lists the embedded fixtures.
func FixtureNames() []string {
	entries, _ := fs.ReadDir(fixtures, "testdata")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
