// Package config reads .lbcheck.yaml, the repository's lint settings: which
// paths to lint and skip, rules to turn off or re-grade, the severity that
// fails the run, the outputs, and suppressions of findings by rule and
// object path, each with a reason and an optional expiry date. Schema is
// its CUE schema (lbcheck schema --config).
package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// FileName is the file Find looks for.
const FileName = ".lbcheck.yaml"

// MaxSize is the largest config file Load reads.
const MaxSize = 1 << 20

// Schema is the CUE schema of a config file.
const Schema = `// .lbcheck.yaml: lbcheck lint's settings for a repository.
#Config: close({
	// Paths to lint when lint is given none (default: the config file's
	// directory), relative to the config file; globs with * and **.
	include?: [...string & !=""]
	// Paths never linted when a directory is walked, as globs relative to
	// the config file (.git, node_modules, .terraform and vendor always).
	exclude?: [...string & !=""]
	// Rules turned off, or given another severity.
	rules?: [=~"^LB[0-9]{4}$"]: "off" | "error" | "warning" | "info"
	// The lowest severity that makes lint exit 1 (--fail-on).
	failOn?: "error" | "warning" | "never"
	// Outputs, as --format takes them: FORMAT or FORMAT=FILE.
	formats?: [...string & !=""]
	// Findings accepted on purpose: by rule (a glob such as LB3*) and the
	// object path it is about (the finding's object or one inside it).
	suppressions?: [...#Suppression]
})
#Suppression: close({
	rule:    =~"^LB[0-9*?]{1,4}[0-9*?]*$"
	object:  string & !=""
	reason:  string & =~"[^ ]"
	// After this date (YYYY-MM-DD) the suppression no longer applies and
	// is a finding itself.
	expires?: =~"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
})
`

// Config is a loaded config file.
type Config struct {
	// Path is the file, Dir its directory: globs are relative to it.
	Path, Dir    string
	Include      []string
	Exclude      []string
	Rules        map[string]string
	FailOn       string
	Formats      []string
	Suppressions []Suppression
}

// Suppression accepts the findings of a rule about an object.
type Suppression struct {
	Rule, Object, Reason string
	// Expires is the last day the suppression applies; zero: no end.
	Expires time.Time
	// Pos is where it is written.
	Pos schema.Pos
}

// expired reports whether the suppression no longer applies on the day of
// today: the day after its expires date, or later.
func (s Suppression) expired(today time.Time) bool {
	if s.Expires.IsZero() {
		return false
	}
	y, m, d := today.Date()
	return !time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Before(s.Expires.AddDate(0, 0, 1))
}

// Find returns the config file of dir: .lbcheck.yaml in dir or the
// nearest directory above it, or "" when there is none.
func Find(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, FileName)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return relative(p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads and validates a config file.
func Load(file string) (*Config, error) {
	data, err := safefile.ReadFile(file, MaxSize)
	if err != nil {
		return nil, err
	}
	data, err = schema.PrepareYAML(file, data)
	if err != nil {
		return nil, err
	}
	f, err := cueyaml.Extract(file, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, cueerrors.Details(err, nil))
	}
	ctx := cuecontext.New()
	doc := ctx.BuildFile(f)
	def := ctx.CompileString(Schema).LookupPath(cue.ParsePath("#Config"))
	v := def.Unify(doc)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, errors.New(schema.DescribeCUE(err, file, "#Config."))
	}
	var raw struct {
		Include      []string          `json:"include"`
		Exclude      []string          `json:"exclude"`
		Rules        map[string]string `json:"rules"`
		FailOn       string            `json:"failOn"`
		Formats      []string          `json:"formats"`
		Suppressions []struct {
			Rule    string `json:"rule"`
			Object  string `json:"object"`
			Reason  string `json:"reason"`
			Expires string `json:"expires"`
		} `json:"suppressions"`
	}
	if err := v.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	abs, _ := filepath.Abs(file)
	c := &Config{Path: file, Dir: filepath.Dir(abs), Include: raw.Include, Exclude: raw.Exclude, Rules: raw.Rules,
		FailOn: raw.FailOn, Formats: raw.Formats}
	for i, s := range raw.Suppressions {
		at := doc.LookupPath(cue.MakePath(cue.Str("suppressions"), cue.Index(i))).Pos().Position()
		sp := Suppression{Rule: s.Rule, Object: s.Object, Reason: s.Reason, Pos: schema.Pos{File: file, Line: at.Line, Column: at.Column}}
		if s.Expires != "" {
			if sp.Expires, err = time.Parse(time.DateOnly, s.Expires); err != nil {
				return nil, fmt.Errorf("%s:%d: expires %q: want a date, YYYY-MM-DD", file, at.Line, s.Expires)
			}
		}
		if _, err := path.Match(s.Rule, "LB0000"); err != nil {
			return nil, fmt.Errorf("%s:%d: rule %q is not a glob", file, at.Line, s.Rule)
		}
		c.Suppressions = append(c.Suppressions, sp)
	}
	return c, nil
}

// CheckRules returns an error naming the first rule the config names that
// is not in known.
func (c *Config) CheckRules(known []*lint.Rule) error {
	for _, id := range slices.Sorted(maps.Keys(c.Rules)) {
		if !slices.ContainsFunc(known, func(r *lint.Rule) bool { return r.ID == id }) {
			return fmt.Errorf("%s: rules: %s is no rule of lbcheck's (lbcheck rules lists them)", c.Path, id)
		}
	}
	return nil
}

// Excluded reports whether a file or directory found while walking (its
// path as walked) is excluded by the config's globs.
func (c *Config) Excluded(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(c.Dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	rel = filepath.ToSlash(rel)
	return slices.ContainsFunc(c.Exclude, func(g string) bool { return Match(g, rel) })
}

// Paths returns what to lint when lint is given no path: the include
// globs expanded, or the config's directory; relative to the current
// directory.
func (c *Config) Paths() ([]string, error) {
	if len(c.Include) == 0 {
		return []string{relative(c.Dir)}, nil
	}
	// One walk for every glob; a path inside a directory already included
	// counts for its glob but is not listed again.
	var out []string
	matched := make([]bool, len(c.Include))
	under := "" // the directory last included
	err := filepath.WalkDir(c.Dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.Dir, p)
		if rel == "." {
			return nil
		}
		hit := false
		for i, g := range c.Include {
			if Match(g, filepath.ToSlash(rel)) {
				matched[i], hit = true, true
			}
		}
		switch {
		case !hit, under != "" && strings.HasPrefix(p, under+string(filepath.Separator)):
		case d.IsDir():
			out, under = append(out, relative(p)), p
		default:
			out = append(out, relative(p))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if i := slices.Index(matched, false); i >= 0 {
		return nil, fmt.Errorf("%s: include %q matches nothing", c.Path, c.Include[i])
	}
	return out, nil
}

// relative returns p relative to the current directory (with .. when it is
// above it), as findings name files.
func relative(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil {
		return rel
	}
	return p
}

// Match reports whether slash-separated path p matches glob g, where *
// and ? match within a segment (path.Match) and a ** segment matches any
// number of segments.
func Match(g, p string) bool {
	return matchSegments(strings.Split(g, "/"), strings.Split(p, "/"))
}

func matchSegments(g, p []string) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			for i := 0; i <= len(p); i++ {
				if matchSegments(g[1:], p[i:]) {
					return true
				}
			}
			return false
		}
		if len(p) == 0 {
			return false
		}
		if ok, _ := path.Match(g[0], p[0]); !ok {
			return false
		}
		g, p = g[1:], p[1:]
	}
	return len(p) == 0
}

// Apply applies the config to a run's findings at date today: rules turned
// off are dropped, re-graded ones take their new severity, findings a
// suppression accepts are marked suppressed (with its reason), and each
// expired suppression is a finding of lint.ExpiredSuppression. With whole set (lint ran
// on the config's own paths, so every finding it could accept was there),
// one that accepts nothing is a finding of lint.UnusedSuppression.
func (c *Config) Apply(findings []lint.Finding, today time.Time, whole bool) []lint.Finding {
	var out []lint.Finding
	used := make([]bool, len(c.Suppressions))
	for _, f := range findings {
		switch grade := c.Rules[f.Rule]; grade {
		case "":
		case "off":
			continue
		default:
			// The schema allows only severities here.
			if sev, err := lint.ParseSeverity(grade); err == nil {
				f.Severity = sev
			}
		}
		for i, s := range c.Suppressions {
			if f.Suppressed != nil || s.expired(today) {
				continue
			}
			if ok, _ := path.Match(s.Rule, f.Rule); ok && (f.Object == s.Object || strings.HasPrefix(f.Object, s.Object+".")) {
				f.Suppressed = &lint.Suppression{Reason: s.Reason, Pos: s.Pos}
				used[i] = true
			}
		}
		out = append(out, f)
	}
	for i, s := range c.Suppressions {
		switch {
		case s.expired(today):
			out = append(out, lint.Finding{Rule: lint.ExpiredSuppression, Severity: lint.Warning, Pos: s.Pos, Source: lint.MetaRule(lint.ExpiredSuppression).Doc.Source,
				Message: fmt.Sprintf("suppression of %s for %s expired on %s (%s)", s.Rule, s.Object, s.Expires.Format(time.DateOnly), s.Reason)})
		case whole && !used[i]:
			out = append(out, lint.Finding{Rule: lint.UnusedSuppression, Severity: lint.Warning, Pos: s.Pos,
				Message: fmt.Sprintf("suppression of %s for %s accepts no finding: delete it", s.Rule, s.Object)})
		}
	}
	return out
}
