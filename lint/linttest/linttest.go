// Package linttest runs lint rules over fixture files and checks the
// findings against expectations written in the fixtures, in the manner of
// golang.org/x/tools/go/analysis/analysistest:
//
//	frontendPort: 443  # want LB2001:"same destination" LB2003:`no probe`
//	# want +1 LB0002:"suppresses nothing"
//	# lbcheck:ignore LB3001 stale
//
// Every unsuppressed finding must match an expectation on its line (same
// rule ID, message matching the regular expression), and every expectation
// must be matched by exactly one finding. `+N` moves an expectation N lines
// down. CUE, Bicep and JSON fixtures (ARM templates accept comments) write
// `// want`.
package linttest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// Testing is the part of *testing.T that linttest needs, so that linttest
// itself can be tested.
type Testing interface {
	Errorf(format string, args ...any)
}

// fixtureExts are the files Run reads from a directory, as schema.Load does.
var fixtureExts = []string{".yaml", ".yml", ".json", ".cue", ".bicep"}

// Run loads the fixture files and directories as lbcheck lint does
// (importer.LoadFiles: native files and imported formats), lints them with
// rules (lint.Meta is always included), reports every mismatch with the
// inline expectations through t, and returns all findings.
func Run(t Testing, rules []*lint.Rule, paths ...string) []lint.Finding {
	return RunWith(t, importer.Options{}, rules, paths...)
}

// RunWith is Run with importer options (an ARM parameters file).
func RunWith(t Testing, opts importer.Options, rules []*lint.Rule, paths ...string) []lint.Finding {
	d, issues, err := importer.LoadFiles(importer.Auto, paths, opts)
	if err != nil {
		t.Errorf("linttest: loading %s: %v", strings.Join(paths, " "), err)
		return nil
	}
	sources, err := readSources(paths)
	if err != nil {
		t.Errorf("linttest: %v", err)
		return nil
	}
	findings := lint.Run(d, issues, rules, sources)
	Check(t, findings, sources)
	return findings
}

// readSources reads every fixture file under paths.
func readSources(paths []string) (map[string][]byte, error) {
	sources := map[string][]byte{}
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !slices.Contains(fixtureExts, strings.ToLower(filepath.Ext(path))) {
				return err
			}
			src, err := os.ReadFile(path)
			sources[path] = src
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return sources, nil
}

// expectation is one `ID:"regexp"` of a want comment.
type expectation struct {
	rule    string
	rx      *regexp.Regexp
	matched bool
}

// key identifies a line of a file independently of how the path was
// spelled.
type key struct {
	file string
	line int
}

func keyOf(file string, line int) key {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	return key{file, line}
}

// Check compares findings with the expectations in sources (file name to
// content) and reports each mismatch through t:
//
//	file:line: unexpected finding LB2001: message
//	file:line: no finding LB2001 matching "regexp"
func Check(t Testing, findings []lint.Finding, sources map[string][]byte) {
	want := map[key][]*expectation{}
	names := map[key]string{} // spelling of the file for messages
	files := make([]string, 0, len(sources))
	for f := range sources {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, file := range files {
		for line, exps := range parseFile(t, file, sources[file]) {
			k := keyOf(file, line)
			want[k] = append(want[k], exps...)
			names[k] = file
		}
	}
	for _, f := range findings {
		if f.Suppressed != nil {
			continue
		}
		if !consume(want[keyOf(f.Pos.File, f.Pos.Line)], f) {
			where := "lbcheck"
			if f.Pos.File != "" {
				where = fmt.Sprintf("%s:%d", f.Pos.File, f.Pos.Line)
			}
			t.Errorf("%s: unexpected finding %s: %s", where, f.Rule, f.Message)
		}
	}
	keys := make([]key, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return a.line - b.line
	})
	for _, k := range keys {
		for _, e := range want[k] {
			if !e.matched {
				t.Errorf("%s:%d: no finding %s matching %q", names[k], k.line, e.rule, e.rx)
			}
		}
	}
}

// consume marks the first unmatched expectation that f satisfies.
func consume(exps []*expectation, f lint.Finding) bool {
	for _, e := range exps {
		if !e.matched && e.rule == f.Rule && e.rx.MatchString(f.Message) {
			e.matched = true
			return true
		}
	}
	return false
}

// wantComment finds "# want" (YAML) or "// want" (CUE, JSON, Bicep) comments.
var (
	wantHash  = regexp.MustCompile(`(?:^|[ \t])#[ \t]*want[ \t]+(.*)$`)
	wantSlash = regexp.MustCompile(`(?:^|[ \t])//[ \t]*want[ \t]+(.*)$`)
	ruleLabel = regexp.MustCompile(`^([A-Z]+[0-9]+):`)
	offset    = regexp.MustCompile(`^\+([0-9]+)\b`)
)

// parseFile returns the expectations of one file by line number.
func parseFile(t Testing, file string, src []byte) map[int][]*expectation {
	comment := wantHash
	switch strings.ToLower(filepath.Ext(file)) {
	case ".cue", ".json", ".bicep":
		comment = wantSlash
	}
	out := map[int][]*expectation{}
	for i, line := range strings.Split(string(src), "\n") {
		m := comment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		target, exps, err := parseWant(i+1, m[1])
		if err != nil {
			t.Errorf("%s:%d: malformed want comment: %v", file, i+1, err)
			continue
		}
		out[target] = append(out[target], exps...)
	}
	return out
}

// parseWant parses `[+N] ID:"rx" ID:`rx` ...` found on line.
func parseWant(line int, text string) (int, []*expectation, error) {
	text = strings.TrimSpace(text)
	if m := offset.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1])
		line += n
		text = strings.TrimSpace(text[len(m[0]):])
	}
	var exps []*expectation
	for text != "" {
		m := ruleLabel.FindStringSubmatch(text)
		if m == nil {
			return 0, nil, fmt.Errorf("want RULE:\"regexp\", got %q", text)
		}
		rest := text[len(m[0]):]
		lit, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: want a quoted regexp, got %q", m[1], rest)
		}
		pattern, _ := strconv.Unquote(lit)
		rx, err := regexp.Compile(pattern)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %v", m[1], err)
		}
		exps = append(exps, &expectation{rule: m[1], rx: rx})
		text = strings.TrimSpace(rest[len(lit):])
	}
	if len(exps) == 0 {
		return 0, nil, fmt.Errorf("no expectations")
	}
	return line, exps, nil
}
