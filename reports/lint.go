package reports

import (
	"cmp"
	"io"
	"slices"
	"strings"
	"time"
)

// LintReport is what `lbcheck lint --format html` renders. The CLI copies
// lint findings into it, with the content of every file it read, so that
// the page can show the offending lines.
type LintReport struct {
	Findings []LintFinding `json:"findings"`
	// Sources maps a finding's File to that file's content.
	Sources map[string]string `json:"-"`
	// Version is the lbcheck version that produced the findings.
	Version string    `json:"version,omitempty"`
	Date    time.Time `json:"date"`
}

// LintFinding is one lint finding at a position in the user's file.
type LintFinding struct {
	Rule     string `json:"rule"`     // e.g. "LB2001"
	Severity string `json:"severity"` // error | warning | info
	Message  string `json:"message"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`   // 1-based; 0: unknown
	Column   int    `json:"column,omitempty"` // 1-based byte column; 0: unknown
	Object   string `json:"object,omitempty"` // model path of the offending object
	Fix      string `json:"fix,omitempty"`    // how to repair this instance
	Source   string `json:"source,omitempty"` // URL of the rule's documentation
	Title    string `json:"title,omitempty"`  // the rule's one-line title
	// Suppressed is the reason of the lbcheck:ignore directive that hides
	// the finding; "" when it is not suppressed. Suppressed findings are
	// shown dimmed and left out of the severity counts.
	Suppressed string `json:"suppressed,omitempty"`
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

type lintFindingView struct {
	LintFinding
	Excerpt []excerptLine
	Caret   string // whitespace up to the column, then "^"; "" without a column
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
	byFile := map[string][]LintFinding{}
	rules := map[string]*lintRule{}
	for _, f := range r.Findings {
		if f.Suppressed != "" {
			p.Counts["suppressed"]++
		} else {
			p.Counts[f.Severity]++
		}
		byFile[f.File] = append(byFile[f.File], f)
		if rules[f.Rule] == nil {
			rules[f.Rule] = &lintRule{ID: f.Rule, Title: f.Title, Severity: f.Severity, Source: f.Source}
		}
		rules[f.Rule].Count++
	}
	p.Filter.Buttons = []filterButton{{"all", "All", len(r.Findings)}}
	for _, s := range lintSeverities {
		p.Filter.Buttons = append(p.Filter.Buttons, filterButton{s, strings.ToUpper(s[:1]) + s[1:], p.Counts[s]})
	}
	for name, fs := range byFile {
		slices.SortStableFunc(fs, func(a, b LintFinding) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Rule, b.Rule))
		})
		lf := lintFile{Name: name}
		lines := splitLines(r.Sources[name])
		for _, f := range fs {
			lf.Findings = append(lf.Findings, lintFindingView{LintFinding: f, Excerpt: excerpt(lines, f.Line), Caret: caret(lines, f.Line, f.Column)})
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
	return pages.ExecuteTemplate(w, "lint.html.tmpl", p)
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
