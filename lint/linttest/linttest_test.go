package linttest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// recorder is a Testing that keeps the errors instead of failing.
type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func finding(rule, file string, line int, msg string) lint.Finding {
	return lint.Finding{Rule: rule, Message: msg, Pos: schema.Pos{File: file, Line: line, Column: 1}}
}

const fixture = `loadBalancers:
  - name: web   # want LB2001:"same destination" LB2003:` + "`no probe`" + `
    # want +1 LB0002:"suppresses nothing"
    # lbcheck:ignore LB3001 stale
    sku: Standard
`

const cueFixture = `x: 1 // want LB0001:"conflicting"
y: 2 # want LB0001:"ignored: not a CUE comment"
`

func TestCheck(t *testing.T) {
	sources := map[string][]byte{"lb.yaml": []byte(fixture), "a.cue": []byte(cueFixture), "c.json": []byte(`{"x": 1}`)}
	tests := []struct {
		name     string
		findings []lint.Finding
		want     []string
	}{{
		name: "all matched",
		findings: []lint.Finding{
			finding("LB2003", "lb.yaml", 2, "rule web has no probe"),
			finding("LB2001", "./lb.yaml", 2, "same destination as rule api"),
			finding("LB0002", "lb.yaml", 4, "lbcheck:ignore LB3001 suppresses nothing"),
			finding("LB0001", "a.cue", 1, "x: conflicting values 1 and 2"),
			{Rule: "LB9001", Pos: schema.Pos{File: "lb.yaml", Line: 5}, Suppressed: &lint.Suppression{Reason: "r"}},
		},
	}, {
		name: "unexpected and unmatched",
		findings: []lint.Finding{
			finding("LB2001", "lb.yaml", 2, "different message"),
			finding("LB2003", "lb.yaml", 2, "rule web has no probe"),
			finding("LB0002", "lb.yaml", 3, "suppresses nothing (wrong line)"),
			finding("LB0001", "c.json", 1, "json"),
			{Rule: "LB0004", Message: "crash"},
			finding("LB0001", "a.cue", 1, "x: conflicting values 1 and 2"),
		},
		want: []string{
			"lb.yaml:2: unexpected finding LB2001: different message",
			"lb.yaml:3: unexpected finding LB0002: suppresses nothing (wrong line)",
			"c.json:1: unexpected finding LB0001: json",
			"lbcheck: unexpected finding LB0004: crash",
			`lb.yaml:2: no finding LB2001 matching "same destination"`,
			`lb.yaml:4: no finding LB0002 matching "suppresses nothing"`,
		},
	}, {
		name: "each expectation matches one finding",
		findings: []lint.Finding{
			finding("LB2003", "lb.yaml", 2, "no probe"),
			finding("LB2003", "lb.yaml", 2, "no probe"),
			finding("LB2001", "lb.yaml", 2, "same destination"),
			finding("LB0002", "lb.yaml", 4, "suppresses nothing"),
			finding("LB0001", "a.cue", 1, "conflicting"),
		},
		want: []string{"lb.yaml:2: unexpected finding LB2003: no probe"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recorder
			Check(&r, tt.findings, sources)
			if !slices.Equal(r.errs, tt.want) {
				t.Errorf("errors:\n%q\nwant:\n%q", r.errs, tt.want)
			}
		})
	}
}

func TestMalformedWant(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a: 1 # want LB2001", `x.yaml:1: malformed want comment: want RULE:"regexp", got "LB2001"`},
		{"a: 1 # want LB2001:rx", `x.yaml:1: malformed want comment: LB2001: want a quoted regexp, got "rx"`},
		{"a: 1 # want \"no rule\"", `x.yaml:1: malformed want comment: want RULE:"regexp", got "\"no rule\""`},
		{"a: 1 # want LB2001:\"(\"", "x.yaml:1: malformed want comment: LB2001: error parsing regexp: missing closing ): `(`"},
		{"a: 1 # want +1", "x.yaml:1: malformed want comment: no expectations"},
	}
	for _, tt := range tests {
		var r recorder
		Check(&r, nil, map[string][]byte{"x.yaml": []byte(tt.src)})
		if len(r.errs) != 1 || r.errs[0] != tt.want {
			t.Errorf("%q: errors %q, want [%q]", tt.src, r.errs, tt.want)
		}
	}
}
