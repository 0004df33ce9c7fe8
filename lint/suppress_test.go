package lint

import (
	"strings"
	"testing"
)

func TestFindDirective(t *testing.T) {
	tests := []struct {
		line, tok string
		ok        bool
		col       int
		trailing  bool
		rest      string
	}{
		{"# lbcheck:ignore LB2001 why", "#", true, 1, false, " LB2001 why"},
		{"    #lbcheck:ignore LB2001 why", "#", true, 5, false, " LB2001 why"},
		{"  port: 80  # lbcheck:ignore LB2001 why", "#", true, 13, true, " LB2001 why"},
		{"# lbcheck:ignore", "#", true, 1, false, ""},
		{"\t// lbcheck:ignore LB3* x", "//", true, 2, false, " LB3* x"},
		{"name: a#lbcheck:ignore LB2001 x", "#", false, 0, false, ""},
		{"# lbcheck:ignored LB2001 x", "#", false, 0, false, ""},
		{"# see lbcheck:ignore docs", "#", false, 0, false, ""},
		{"// lbcheck:ignore LB2001 x", "#", false, 0, false, ""},
		{"x: 1 /* lbcheck:ignore LB2001 x */", "//", false, 0, false, ""},
	}
	for _, tt := range tests {
		col, trailing, rest, ok := findDirective(tt.line, tt.tok)
		if ok != tt.ok || (ok && (col != tt.col || trailing != tt.trailing || rest != tt.rest)) {
			t.Errorf("findDirective(%q, %q) = %d, %v, %q, %v; want %d, %v, %q, %v",
				tt.line, tt.tok, col, trailing, rest, ok, tt.col, tt.trailing, tt.rest, tt.ok)
		}
	}
}

func TestParseDirective(t *testing.T) {
	tests := []struct {
		rest, patterns, reason, problem string
	}{
		{" LB2001 why not", "LB2001", "why not", ""},
		{" lb2001,LB3*  two  spaces ", "LB2001 LB3*", "two  spaces", ""},
		{" * everything, reviewed", "*", "everything, reviewed", ""},
		{" LB20[01]1 ranges", "LB20[01]1", "ranges", ""},
		{" LB2001", "", "", "missing the reason"},
		{"", "", "", "missing the rule list and the reason"},
		{" LB2001,,LB2002 x", "", "", "is not a rule ID or glob"},
		{" LB[ x", "", "", "is not a rule ID or glob"},
		{" because reasons", "", "", `"because" is not a rule ID or glob`},
	}
	for _, tt := range tests {
		d, problem := parseDirective(tt.rest)
		switch {
		case tt.problem != "":
			if !strings.Contains(problem, tt.problem) {
				t.Errorf("parseDirective(%q) problem %q, want it to contain %q", tt.rest, problem, tt.problem)
			}
		case problem != "":
			t.Errorf("parseDirective(%q): unexpected problem %q", tt.rest, problem)
		case strings.Join(d.patterns, " ") != tt.patterns || d.reason != tt.reason:
			t.Errorf("parseDirective(%q) = %q, %q; want %q, %q", tt.rest, d.patterns, d.reason, tt.patterns, tt.reason)
		}
	}
}

// FuzzParseDirectives checks that any file content parses without a panic
// and yields directives that cover a line of the file (or none) and carry
// a reason.
func FuzzParseDirectives(f *testing.F) {
	for _, seed := range []string{
		"# lbcheck:ignore LB2001 reason\nport: 80\n",
		"port: 80 # lbcheck:ignore LB2*,LB3001 reason\n",
		"# lbcheck:ignore\n# lbcheck:ignore LB[ x\n",
		"#lbcheck:ignore LB2001\r\nx: 1\r\n",
		"\xff# lbcheck:ignore LB2001 \xfe\n",
	} {
		f.Add("f.yaml", seed)
		f.Add("f.cue", strings.ReplaceAll(seed, "#", "//"))
	}
	f.Fuzz(func(t *testing.T, name, src string) {
		dirs, bad := parseDirectives(name, []byte(src))
		lines := strings.Count(src, "\n") + 1
		for _, d := range dirs {
			if d.target < 0 || d.target > lines || d.reason == "" || len(d.patterns) == 0 {
				t.Errorf("directive %+v in a %d-line file", d, lines)
			}
		}
		for _, b := range bad {
			if b.Rule != MalformedSuppression || b.Pos.Line < 1 || b.Pos.Line > lines {
				t.Errorf("bad finding %+v", b)
			}
		}
	})
}
