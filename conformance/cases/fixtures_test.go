package cases

import (
	"testing"

	"github.com/lbcheck/lbcheck/conformance/suite"
)

func TestFixturesLoad(t *testing.T) {
	for _, name := range FixtureNames() {
		if _, err := Fixture(name); err != nil {
			t.Errorf("%v", err)
		}
	}
	if _, err := Fixture("nope.yaml"); err == nil {
		t.Error("a missing fixture loaded")
	}
}

// TestEveryCaseHasItsFixture keeps case files and fixtures in step.
func TestEveryCaseHasItsFixture(t *testing.T) {
	for _, c := range suite.Cases(nil) {
		name := c.Deployment
		if c.Generic() {
			name = suite.GenericFixture
		}
		if _, err := Fixture(name); err != nil {
			t.Errorf("case %s: %v", c.ShortName, err)
		}
	}
}
