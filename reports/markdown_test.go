package reports

import (
	"regexp"
	"strings"
	"testing"
)

// mdSections splits the Markdown at its ### headings and reads each
// section's table: rows of cells split at unescaped pipes, the alignment
// row left out.
func mdSections(t *testing.T, md string) map[string][][]string {
	t.Helper()
	out := map[string][][]string{}
	var section string
	pipe := regexp.MustCompile(`(^|[^\\])\|`)
	for line := range strings.SplitSeq(md, "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			section = strings.TrimPrefix(line, "### ")
			out[section] = nil
		case strings.HasPrefix(line, "| "):
			if strings.HasPrefix(line, "| ---") {
				continue
			}
			inner := strings.TrimSuffix(strings.TrimPrefix(line, "| "), " |")
			cells := strings.Split(pipe.ReplaceAllString(inner, "$1\x00"), "\x00")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			out[section] = append(out[section], cells)
		}
	}
	return out
}

func TestComparisonMarkdown(t *testing.T) {
	md := string(renderCompared(t, compareFixture(), WriteComparisonMarkdown))
	if !strings.HasPrefix(md, "### Features\n") {
		t.Errorf("Markdown does not start with the feature table:\n%s", md)
	}
	s := mdSections(t, md)
	tables := []struct {
		section    string
		rows, cols int // header included
	}{
		{"Features", 7, 4},
		{"Cases", 7, 5},
		{"Implementations", 4, 5},
	}
	for _, tt := range tables {
		rows := s[tt.section]
		if len(rows) != tt.rows {
			t.Errorf("%s: %d rows, want %d:\n%s", tt.section, len(rows), tt.rows, md)
			continue
		}
		for i, r := range rows {
			if len(r) != tt.cols {
				t.Errorf("%s row %d: %d cells %q, want %d", tt.section, i, len(r), r, tt.cols)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	cells := []struct {
		section  string
		row, col int
		want     string
	}{
		{"Features", 0, 1, "ref"},
		{"Features", 0, 2, "acme 0.4.1"},
		{"Features", 1, 0, "load-balancing-rule"},
		{"Features", 1, 1, "partial"},
		{"Features", 1, 2, "✗"},
		{"Features", 2, 1, "✓"},
		{"Features", 2, 3, "untested"},
		{"Features", 4, 2, "n.s."},
		{"Cases", 2, 0, "[FloatingInbound](https://learn.microsoft.com/azure/load-balancer/floatinginbound)"},
		{"Cases", 2, 1, "core"},
		{"Cases", 2, 3, "✗"},
		{"Cases", 2, 4, "–"},
		{"Cases", 5, 4, "skipped"},
		{"Implementations", 2, 1, "failure"},
		{"Implementations", 2, 3, "3 passed, 1 failed, 0 skipped, 1 not supported"},
	}
	for _, c := range cells {
		if got := s[c.section][c.row][c.col]; got != c.want {
			t.Errorf("%s[%d][%d] = %q, want %q", c.section, c.row, c.col, got, c.want)
		}
	}
	for _, mark := range []string{"- ✓ passed: ", "- ✗ failed: ", "- partial: ", "- n.s. not supported: ", "- – absent: "} {
		if !strings.Contains(md, "\n"+mark) {
			t.Errorf("legend lacks %q", mark)
		}
	}
}

// TestComparisonMarkdownEscapes: text from the reports cannot split a
// cell, become a link, markup or a line of its own, and a source that is
// not http(s) is not linked.
func TestComparisonMarkdownEscapes(t *testing.T) {
	evil := kase("A|B [x](javascript:alert(1)) <img src=x>\n### Not a heading", "core", StatusPassed, "f|g")
	evil.Source = "javascript:alert(1)"
	odd := kase("Odd", "core", StatusPassed)
	odd.Source = "https://example.com/a (b)|c"
	md := string(renderCompared(t, []*ConformanceReport{
		report("x|y", "", 0, nil, evil, odd),
		report("ref", "", 0, nil, kase("Odd", "core", StatusPassed)),
	}, WriteComparisonMarkdown))
	s := mdSections(t, md)
	if len(s) != 3 || len(s["Cases"]) != 3 || len(s["Features"]) != 2 {
		t.Fatalf("sections %q: an escape failed:\n%s", s, md)
	}
	for section, cols := range map[string]int{"Features": 3, "Cases": 4} {
		for _, row := range s[section] {
			if len(row) != cols {
				t.Errorf("%s row %q: %d cells, want %d", section, row, len(row), cols)
			}
		}
	}
	want := []struct {
		section  string
		row, col int
		cell     string
	}{
		{"Features", 0, 1, `x\|y`},
		{"Features", 1, 0, `f\|g`},
		{"Cases", 1, 0, `A\|B \[x\]\(javascript:alert\(1\)\) \<img src=x\>\\n\#\#\# Not a heading`}, // safetext's \n, its backslash escaped
		{"Cases", 2, 0, `[Odd](https://example.com/a%20%28b%29%7Cc)`},
	}
	for _, w := range want {
		if got := s[w.section][w.row][w.col]; got != w.cell {
			t.Errorf("%s[%d][%d] = %q, want %q", w.section, w.row, w.col, got, w.cell)
		}
	}
	if strings.Contains(md, "](javascript:") {
		t.Errorf("Markdown links to javascript::\n%s", md)
	}
}
