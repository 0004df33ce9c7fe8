package lint

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// ignoreMarker starts a suppression directive inside a comment:
//
//	# lbcheck:ignore LB2001,LB3* reason text     (YAML)
//	// lbcheck:ignore LB2001 reason text          (CUE, JSON, Bicep)
//
// On a line of its own the directive covers the next line that is neither
// blank nor a comment, and every object that starts on that line; as a
// trailing comment it covers its own line.
const ignoreMarker = "lbcheck:ignore"

// directive is one parsed lbcheck:ignore comment.
type directive struct {
	pos      schema.Pos // where the comment starts
	target   int        // the line it covers; 0 when no line follows
	patterns []string   // rule ID globs, upper case
	reason   string
	used     bool
}

// validPattern is the shape of a rule glob (LB2001, LB3*, LB20[01]2, *);
// path.Match checks the rest.
var validPattern = regexp.MustCompile(`^(LB[0-9*?\[\]-]*|\*)$`)

// commentToken returns the comment syntax of the file: "//" for CUE and
// JSON (ARM templates accept comments) and Bicep, "#" for YAML.
func commentToken(file string) string {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".cue", ".json", ".bicep":
		return "//"
	default:
		return "#"
	}
}

// parseDirectives finds the lbcheck:ignore directives in one file. A
// malformed directive becomes an LB0003 finding and has no effect.
func parseDirectives(file string, src []byte) ([]*directive, []Finding) {
	tok := commentToken(file)
	lines := strings.Split(string(src), "\n")
	var dirs []*directive
	var bad []Finding
	for i, line := range lines {
		col, trailing, rest, ok := findDirective(line, tok)
		if !ok {
			continue
		}
		pos := schema.Pos{File: file, Line: i + 1, Column: col}
		d, problem := parseDirective(rest)
		if problem != "" {
			bad = append(bad, metaFinding(MalformedSuppression, pos, fmt.Sprintf(
				"malformed %s directive: %s; write `%s %s LB2001[,LB3*] why this is acceptable`",
				ignoreMarker, problem, tok, ignoreMarker)))
			continue
		}
		d.pos = pos
		if trailing {
			d.target = i + 1
		} else {
			d.target = nextCodeLine(lines, i+1, tok)
		}
		dirs = append(dirs, d)
	}
	return dirs, bad
}

// findDirective reports whether line holds a directive comment, the
// 1-based column where the comment starts, whether code precedes it on the
// line, and the text after the marker.
func findDirective(line, tok string) (col int, trailing bool, rest string, ok bool) {
	idx := strings.Index(line, ignoreMarker)
	if idx < 0 {
		return 0, false, "", false
	}
	rest = line[idx+len(ignoreMarker):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\r' {
		return 0, false, "", false // lbcheck:ignored, lbcheck:ignore-file, ...
	}
	before := strings.TrimRight(line[:idx], " \t")
	if !strings.HasSuffix(before, tok) {
		return 0, false, "", false
	}
	start := len(before) - len(tok)
	if start > 0 && before[start-1] != ' ' && before[start-1] != '\t' {
		return 0, false, "", false // inside a value such as "a#lbcheck:ignore"
	}
	return start + 1, strings.TrimSpace(line[:start]) != "", rest, true
}

// parseDirective parses "LB2001,LB3* reason". It returns a problem
// description when the directive is malformed.
func parseDirective(rest string) (*directive, string) {
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return nil, "missing the rule list and the reason"
	}
	var patterns []string
	for _, p := range strings.Split(fields[0], ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		if _, err := path.Match(p, ""); p == "" || err != nil || !validPattern.MatchString(p) {
			return nil, fmt.Sprintf("%q is not a rule ID or glob such as LB2001 or LB3*", fields[0])
		}
		patterns = append(patterns, p)
	}
	reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), fields[0]))
	if reason == "" {
		return nil, "missing the reason"
	}
	return &directive{patterns: patterns, reason: reason}, ""
}

// nextCodeLine returns the 1-based number of the first line at or after
// index from that is neither blank nor only a comment, or 0.
func nextCodeLine(lines []string, from int, tok string) int {
	for j := from; j < len(lines); j++ {
		t := strings.TrimSpace(lines[j])
		if t != "" && !strings.HasPrefix(t, tok) {
			return j + 1
		}
	}
	return 0
}

// matches reports whether the directive's rule list covers the rule ID.
func (d *directive) matches(rule string) bool {
	for _, p := range d.patterns {
		if ok, _ := path.Match(p, rule); ok {
			return true
		}
	}
	return false
}

// covers reports whether a finding about object at line is on the line the
// directive covers, or inside an object that starts on that line.
func (d *directive) covers(line int, object string, starts []string) bool {
	if d.target == 0 {
		return false
	}
	if line == d.target {
		return true
	}
	for _, s := range starts {
		if object == s || strings.HasPrefix(object, s+".") {
			return true
		}
	}
	return false
}

// suppressible reports whether a finding may be hidden by a directive.
// Findings about directives themselves and internal errors may not.
func suppressible(rule string) bool {
	return rule != UnusedSuppression && rule != MalformedSuppression && rule != InternalError
}

// applySuppressions parses the directives in sources, marks the findings
// they cover as suppressed, and returns the findings plus LB0002 and LB0003
// findings for unused and malformed directives; objects are the
// deployments' objects by file and line. known lists every rule ID,
// to explain an unused directive that names a rule that does not exist.
func applySuppressions(findings []Finding, objects objectIndex, sources map[string][]byte, known map[string]bool) []Finding {
	dirs := map[string][]*directive{}
	var extra []Finding
	for file, src := range sources {
		ds, bad := parseDirectives(file, src)
		dirs[filepath.Clean(file)] = ds
		extra = append(extra, bad...)
	}
	if len(dirs) == 0 {
		return append(findings, extra...)
	}
	for i := range findings {
		f := &findings[i]
		if !suppressible(f.Rule) || !f.Pos.IsValid() {
			continue
		}
		file := filepath.Clean(f.Pos.File)
		for _, dir := range dirs[file] {
			if !dir.matches(f.Rule) || !dir.covers(f.Pos.Line, f.Object, objects[file][dir.target]) {
				continue
			}
			dir.used = true
			if f.Suppressed == nil {
				f.Suppressed = &Suppression{Reason: dir.reason, Pos: dir.pos}
			}
		}
	}
	for _, ds := range dirs {
		for _, dir := range ds {
			if !dir.used {
				extra = append(extra, metaFinding(UnusedSuppression, dir.pos, unusedMessage(dir, known)))
			}
		}
	}
	return append(findings, extra...)
}

func unusedMessage(d *directive, known map[string]bool) string {
	var unknown []string
	for _, p := range d.patterns {
		if !strings.ContainsAny(p, "*?[") && !known[p] {
			unknown = append(unknown, p)
		}
	}
	list := strings.Join(d.patterns, ",")
	if len(unknown) > 0 {
		return fmt.Sprintf("%s %s suppresses nothing: there is no rule %s", ignoreMarker, list, strings.Join(unknown, ", "))
	}
	if d.target == 0 {
		return fmt.Sprintf("%s %s suppresses nothing: no line follows it", ignoreMarker, list)
	}
	return fmt.Sprintf("%s %s suppresses nothing on line %d; remove it or move it above the finding", ignoreMarker, list, d.target)
}
