// Package format renders lint findings: text for people, json for scripts,
// sarif for code-scanning services, junit for CI test views and github for
// GitHub Actions annotations. Each format is a Formatter in a registry, so
// another package can add one (html) with Register.
package format

import (
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/lbcheck/lbcheck/lint"
)

// Report is the input of every formatter.
type Report struct {
	// Findings to render, sorted (lint.Run's order). They include suppressed
	// findings only when the user asked to see them; formatters mark those.
	Findings []lint.Finding
	// Rules is the catalogue (lint.Meta plus the rules that ran), for rule
	// descriptors.
	Rules []*lint.Rule
	// Files are the files that were checked.
	Files []string
	// Sources maps each checked file to its content, for formats that show
	// the offending lines (html).
	Sources map[string][]byte
	// Version is the lbcheck version, for tool descriptors.
	Version string
	// Coverage counts the load balancers checked; nil when the caller does
	// not know it.
	Coverage *lint.Coverage
	// Root is the directory relative file names are relative to (the
	// working directory): SARIF locates files under it relative to
	// %SRCROOT%. Empty: names are written as they are.
	Root string
	// ExitCode, when set, is lint's exit status, for SARIF's invocation.
	ExitCode *int
	// Skipped are the files lint left out as no deployment.
	Skipped []Skipped
	// Unreadable are the files found in directories that lint could not
	// read (Why: the error): SARIF notifications of level error.
	Unreadable []Skipped
	// Fails says whether a finding fails the run (lint --fail-on); nil:
	// every finding that is not suppressed does. JUnit reports the others
	// as passing testcases, so its failures agree with the exit status.
	Fails func(lint.Finding) bool
}

// fails reports whether f fails the run.
func (r *Report) fails(f lint.Finding) bool {
	if r.Fails == nil {
		return f.Suppressed == nil
	}
	return f.Suppressed == nil && r.Fails(f)
}

// Skipped is a file lint left out, and why.
type Skipped struct {
	File, Why string
}

// Summary counts what a report holds.
type Summary struct {
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Files      int `json:"files"`
	Suppressed int `json:"-"`
	// LoadBalancers is the report's Coverage.
	LoadBalancers *lint.Coverage `json:"loadBalancers,omitempty"`
}

// Summary counts the unsuppressed errors and warnings, the suppressed
// findings present in the report, and the files.
func (r *Report) Summary() Summary {
	n := lint.Count(r.Findings)
	s := Summary{Errors: n[lint.Error], Warnings: n[lint.Warning], Files: len(r.Files), LoadBalancers: r.Coverage}
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			s.Suppressed++
		}
	}
	return s
}

// String renders the summary line printed on stderr, e.g.
// "2 errors, 1 warning in 3 files; 2 load balancers checked, 1 partly
// (values known only at deployment), 1 not deployed".
func (s Summary) String() string {
	out := fmt.Sprintf("%s, %s in %s", plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Files, "file"))
	if s.Suppressed > 0 {
		out += fmt.Sprintf(" (%d suppressed shown)", s.Suppressed)
	}
	if c := s.LoadBalancers; c != nil && c.LoadBalancers+c.NotDeployed > 0 {
		out += "; " + plural(c.LoadBalancers, "load balancer") + " checked"
		if c.Partly > 0 {
			out += fmt.Sprintf(", %d partly (values known only at deployment)", c.Partly)
		}
		if c.NotDeployed > 0 {
			out += fmt.Sprintf(", %d not deployed (condition false)", c.NotDeployed)
		}
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// rule returns the catalogue entry for id, or nil.
func (r *Report) rule(id string) *lint.Rule {
	for _, rule := range r.Rules {
		if rule.ID == id {
			return rule
		}
	}
	return nil
}

// A Formatter writes a report in one format.
type Formatter interface {
	Format(w io.Writer, r *Report) error
}

// Func adapts a function to a Formatter.
type Func func(w io.Writer, r *Report) error

// Format calls f.
func (f Func) Format(w io.Writer, r *Report) error { return f(w, r) }

var registry = map[string]Formatter{
	"text":   Func(Text),
	"json":   Func(JSON),
	"sarif":  Func(SARIF),
	"junit":  Func(JUnit),
	"github": Func(GitHub),
	"html":   Func(HTML),
}

// Register adds a format under name. It is meant for package initialisation
// and panics if the name is taken, as that is a programming error.
func Register(name string, f Formatter) {
	if _, dup := registry[name]; dup {
		panic("format: duplicate format " + name)
	}
	registry[name] = f
}

// Lookup returns the formatter registered under name.
func Lookup(name string) (Formatter, bool) {
	f, ok := registry[name]
	return f, ok
}

// Names lists the registered formats, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// files returns the report's files plus any file a finding names, sorted.
func (r *Report) files() []string {
	all := slices.Clone(r.Files)
	for _, f := range r.Findings {
		if f.Pos.File != "" {
			all = append(all, f.Pos.File)
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}
