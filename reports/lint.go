package reports

import (
	"cmp"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lbcheck/lbcheck/lint"
)

// LintReport is what `lbcheck lint --format html` renders: the lint
// findings themselves (lint.Finding, the one finding type every output
// reads), the rules' titles, and the content of every file lint read, so
// that the page can show the offending lines.
type LintReport struct {
	Findings []lint.Finding
	// Titles maps a rule ID to the rule's one-line title.
	Titles map[string]string
	// Sources maps a finding's file to that file's content.
	Sources map[string]string
	// Version is the lbcheck version that produced the findings.
	Version string
	Date    time.Time
}

// Lint severities, most severe first.
var lintSeverities = []string{"error", "warning", "info"}

// lintContext is how many lines around the offending one an excerpt shows.
const lintContext = 2

type lintPage struct {
	Head   header
	R      *LintReport
	Counts map[string]int
	Filter filterBar
	Files  []lintFile
	Rules  []lintRule
}

type lintFile struct {
	Name     string // "" for findings without a file
	Findings []lintFindingView
}

// lintFindingView is a finding as the page shows it.
type lintFindingView struct {
	lint.Finding
	Severity     string // error | warning | info
	File         string // "" for findings without a file
	Line, Column int    // 1-based; 0: unknown
	Title        string // the rule's title
	// Suppressed is the reason of the lbcheck:ignore directive that hides
	// the finding, "" when it is not suppressed; suppressed findings are
	// shown dimmed and left out of the severity counts.
	Suppressed string
	Excerpt    []excerptLine
	Caret      string // whitespace up to the column, then "^"; "" without a column
}

type excerptLine struct {
	N    int
	Text string
	Hit  bool
}

type lintRule struct {
	ID, Title, Severity, Source string
	Count                       int
}

// WriteLintHTML renders r as one self-contained HTML page: severity counts,
// a severity filter, the rules that fired, and the findings grouped by file,
// each under the lines of the user's file it is about.
func WriteLintHTML(w io.Writer, r *LintReport) error {
	p := lintPage{
		Head:   newHeader("lbcheck lint report"),
		R:      r,
		Counts: map[string]int{},
	}
	byFile := map[string][]lintFindingView{}
	rules := map[string]*lintRule{}
	for _, f := range r.Findings {
		v := lintFindingView{Finding: f, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column, Title: r.Titles[f.Rule]}
		if f.Suppressed != nil {
			v.Suppressed = f.Suppressed.Reason
			p.Counts["suppressed"]++
		} else {
			p.Counts[v.Severity]++
		}
		byFile[v.File] = append(byFile[v.File], v)
		if rules[f.Rule] == nil {
			rules[f.Rule] = &lintRule{ID: f.Rule, Title: v.Title, Severity: v.Severity, Source: f.Source}
		}
		rules[f.Rule].Count++
	}
	p.Filter.Buttons = []filterButton{{"all", "All", len(r.Findings)}}
	for _, s := range lintSeverities {
		p.Filter.Buttons = append(p.Filter.Buttons, filterButton{s, strings.ToUpper(s[:1]) + s[1:], p.Counts[s]})
	}
	for name, fs := range byFile {
		slices.SortStableFunc(fs, func(a, b lintFindingView) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Rule, b.Rule))
		})
		lf := lintFile{Name: name}
		lines := splitLines(r.Sources[name])
		for _, f := range fs {
			f.Excerpt, f.Caret = excerpt(lines, f.Line), caret(lines, f.Line, f.Column)
			lf.Findings = append(lf.Findings, f)
		}
		p.Files = append(p.Files, lf)
	}
	slices.SortFunc(p.Files, func(a, b lintFile) int {
		if (a.Name == "") != (b.Name == "") {
			return cmp.Compare(b.Name, a.Name) // the file-less group goes last
		}
		return cmp.Compare(a.Name, b.Name)
	})
	for _, lr := range rules {
		p.Rules = append(p.Rules, *lr)
	}
	slices.SortFunc(p.Rules, func(a, b lintRule) int { return cmp.Compare(a.ID, b.ID) })
	return pages().ExecuteTemplate(w, "lint.html.tmpl", p)
}

func splitLines(src string) []string {
	if src == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// excerpt returns the lines around line (1-based), or nil when line is not
// in the file.
func excerpt(lines []string, line int) []excerptLine {
	if line < 1 || line > len(lines) {
		return nil
	}
	var out []excerptLine
	for n := max(1, line-lintContext); n <= min(len(lines), line+lintContext); n++ {
		out = append(out, excerptLine{N: n, Text: lines[n-1], Hit: n == line})
	}
	return out
}

// caret returns the prefix that puts a "^" under the byte column col of the
// line, keeping tabs so it lines up with the text above it.
func caret(lines []string, line, col int) string {
	if line < 1 || line > len(lines) || col < 1 {
		return ""
	}
	text := lines[line-1]
	prefix := text[:min(col-1, len(text))]
	var b strings.Builder
	for _, r := range prefix {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String() + "^"
}
