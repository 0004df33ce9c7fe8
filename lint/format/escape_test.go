package format

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/lbcheck/lbcheck/internal/safetext"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// hostile is what an input can put into a finding: a line break followed by
// a GitHub workflow command, terminal escapes, a carriage return that
// rewrites the line, bidi overrides and bytes that are not UTF-8.
const hostile = "x\n::add-mask::secret\r\x1b[2J\x1b]0;pwned\x07\u202e\xff"

// A fix's lines are the rule's (values in it are quoted for their shell,
// see lint/rules), but a line of it may still start like a command.
const hostileFix = "ip addr add 203.0.113.10/32 dev 'x\x1b[2J'\n::add-mask::second-line"

func hostileReport() *Report {
	pos := schema.Pos{File: "::stop-commands::t/" + hostile + ".yaml", Line: 3, Column: 5}
	return &Report{
		Files: []string{pos.File},
		Findings: []lint.Finding{
			{Rule: "LB3001", Severity: lint.Error, Pos: pos, Object: "guests." + hostile,
				Message: "guest " + hostile + " lacks it", Fix: hostileFix},
			{Rule: "LB3004", Severity: lint.Warning, Pos: pos, Object: hostile, Message: hostile,
				Suppressed: &lint.Suppression{Reason: hostile, Pos: pos}},
		},
	}
}

func renderHostile(t *testing.T, name string) string {
	t.Helper()
	f, _ := Lookup(name)
	var buf bytes.Buffer
	if err := f.Format(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkLines fails for a control character (but tab and the line breaks),
// invalid UTF-8, or a line GitHub would take for a workflow command.
func checkLines(t *testing.T, format, out string) []string {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: output is not UTF-8", format)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if strings.ContainsFunc(l, safetext.Escapes) {
			t.Errorf("%s: line %d holds a control character: %q", format, i+1, l)
		}
		if cmd := strings.TrimLeftFunc(l, unicode.IsSpace); strings.HasPrefix(cmd, "::") && format != "github" {
			t.Errorf("%s: line %d is a workflow command: %q", format, i+1, l)
		}
	}
	return lines
}

func TestHostileText(t *testing.T) {
	lines := checkLines(t, "text", renderHostile(t, "text"))
	// finding, fix, fix's second line, suppressed finding
	if len(lines) != 4 || lines[1] != `    fix: ip addr add 203.0.113.10/32 dev 'x\x1b[2J'` || lines[2] != `         \x3a:add-mask::second-line` {
		t.Errorf("text output has lines the findings do not:\n%s", strings.Join(lines, "\n"))
	}
	want := `\x3a:stop-commands::t/x\n::add-mask::secret\r\x1b[2J\x1b]0;pwned\a\u202e\xff.yaml:3:5: error: guest x\n::add-mask::secret`
	if !strings.HasPrefix(lines[0], want) {
		t.Errorf("first line\n%s\nwant prefix\n%s", lines[0], want)
	}
}

func TestHostileGitHub(t *testing.T) {
	lines := checkLines(t, "github", renderHostile(t, "github"))
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one command per finding:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		props, data, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(l, "::error "), "::notice "), "::")
		if !ok || strings.Contains(props, "::") || !strings.HasPrefix(props, `file=\x3a%3Astop-commands%3A%3At/x\n%3A%3Aadd-mask%3A%3Asecret\r\x1b[2J`) {
			t.Errorf("properties %q: a name ends the command early", props)
		}
		if strings.ContainsAny(data, "\r\n") {
			t.Errorf("data %q holds a line break", data)
		}
	}
	if !strings.Contains(lines[0], `%0Afix: ip addr add 203.0.113.10/32 dev 'x\x1b[2J'%0A\x3a:add-mask::second-line`) {
		t.Errorf("the fix is not on a line of its own in the annotation, or not escaped:\n%s", lines[0])
	}
}

func TestHostileJUnit(t *testing.T) {
	out := renderHostile(t, "junit")
	checkLines(t, "junit", out)
	var doc reports.JUnitSuites
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("suites %+v", doc.Suites)
	}
	c := doc.Suites[0].Cases[0]
	for _, s := range []string{doc.Suites[0].Name, c.Name, c.Classname, c.Failure.Message} {
		if strings.ContainsFunc(s, safetext.Escapes) || !strings.Contains(s, `x\n::add-mask::secret\r\x1b[2J`) {
			t.Errorf("attribute %q is not escaped", s)
		}
	}
	if text := checkLines(t, "junit failure", c.Failure.Text); len(text) != 3 || text[1] != `fix: ip addr add 203.0.113.10/32 dev 'x\x1b[2J'` || text[2] != `\x3a:add-mask::second-line` {
		t.Errorf("failure text has lines the finding does not:\n%s", c.Failure.Text)
	}
	if s := doc.Suites[0].Cases[1].Skipped; s == nil || s.Message != "suppressed: "+safetext.Line(hostile) {
		t.Errorf("skipped %+v", s)
	}
}

// TestHostileJSON: json and sarif escape control characters as JSON does,
// and keep the values exactly (they are for programs, not terminals).
func TestHostileJSON(t *testing.T) {
	for _, name := range []string{"json", "sarif"} {
		out := renderHostile(t, name)
		if strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' }) {
			t.Errorf("%s: raw control character in the output", name)
		}
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !strings.Contains(out, `x\n::add-mask::secret\r\u001b[2J\u001b]0;pwned\u0007`) {
			t.Errorf("%s: the message is not JSON-escaped:\n%s", name, out)
		}
	}
	var got struct{ Findings []struct{ Message string } }
	if err := json.Unmarshal([]byte(renderHostile(t, "json")), &got); err != nil {
		t.Fatal(err)
	}
	if want := "guest " + strings.ToValidUTF8(hostile, "\ufffd") + " lacks it"; got.Findings[0].Message != want {
		t.Errorf("json message %q, want %q", got.Findings[0].Message, want)
	}
}
