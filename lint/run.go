package lint

import (
	"cmp"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/lbcheck/lbcheck/schema"
)

// Run lints one deployment. It turns the loader's schema issues into
// findings, runs every rule (a rule that panics yields an LB0004 finding
// instead of crashing), reports each object a rule skipped because a field
// it needed is only known at deployment (one LB0010 finding per object, see
// Pass.Known), applies the lbcheck:ignore directives found in
// sources (file name to content, as read for schema.Load; nil disables
// suppressions), and returns every finding sorted by file, line, column and
// rule. Suppressed findings are included with Suppressed set; callers that
// print findings normally drop them (see Unsuppressed).
func Run(d *schema.Deployment, issues []schema.Issue, rules []*Rule, sources map[string][]byte) []Finding {
	return RunUnits([]Unit{{Deployment: d, Issues: issues}}, nil, rules, sources)
}

// Unit is one deployment and its loader issues, linted on its own: inputs
// may hold several deployments that may declare the same names (the
// Terraform root modules of a module's examples).
type Unit struct {
	Deployment *schema.Deployment
	Issues     []schema.Issue
}

// RunUnits is Run over several deployments: the findings of each, those
// several report once (files in shared, such as guest declarations, are
// read into every unit). A reference to a missing object (LB1001) in a
// shared file is reported only when every unit misses it: one unit's
// objects are not another's to name. Suppressions apply across all units.
func RunUnits(units []Unit, shared map[string]bool, rules []*Rule, sources map[string][]byte) []Finding {
	catalogue := map[string]*Rule{}
	for _, r := range slices.Concat(Meta, rules) {
		catalogue[r.ID] = r
	}
	type key struct {
		rule, message, object string
		pos                   schema.Pos
	}
	seen := map[key]int{}
	var findings []Finding
	objects := objectIndex{}
	for _, u := range units {
		var fs []Finding
		for _, is := range u.Issues {
			fs = append(fs, issueFinding(is, catalogue[is.Rule]))
		}
		if u.Deployment != nil {
			run := &runState{shared: map[any]*sharedValue{}, skips: skipLog{}}
			fs = append(fs, runRules(rules, u.Deployment, run)...)
			fs = append(fs, run.skips.findings()...)
			objects.add(u.Deployment)
		}
		for _, f := range fs {
			k := key{f.Rule, f.Message, f.Object, f.Pos}
			if seen[k] == 0 {
				findings = append(findings, f)
			}
			seen[k]++
		}
	}
	findings = slices.DeleteFunc(findings, func(f Finding) bool {
		return f.Rule == schema.RuleReference && shared[filepath.Clean(f.Pos.File)] && seen[key{f.Rule, f.Message, f.Object, f.Pos}] < len(units)
	})
	known := map[string]bool{}
	for id := range catalogue {
		known[id] = true
	}
	findings = applySuppressions(findings, objects, sources, known)
	Sort(findings)
	return findings
}

// issueFinding converts a loader issue. An issue whose rule is not in the
// catalogue is still reported, as an error without documentation.
func issueFinding(is schema.Issue, r *Rule) Finding {
	f := Finding{Rule: is.Rule, Severity: Error, Message: is.Message, Pos: is.Pos, Object: is.Object}
	if r != nil {
		f.Severity, f.Source = r.Severity, r.Doc.Source
	}
	return f
}

// runRules runs the rules on d, as many at once as there are CPUs: rules
// only read the deployment and the values they share (Pass.Shared), so
// their findings do not depend on the order. The findings come back in
// rule order.
func runRules(rules []*Rule, d *schema.Deployment, run *runState) []Finding {
	perRule := make([][]Finding, len(rules))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rules)) {
		wg.Go(func() {
			for i := range next {
				perRule[i] = runRule(rules[i], d, run)
			}
		})
	}
	for i, r := range rules {
		if r.Run != nil {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	return slices.Concat(perRule...)
}

// runRule runs one rule with the run's shared state, and recovers from a
// panic in it.
func runRule(r *Rule, d *schema.Deployment, run *runState) (findings []Finding) {
	defer func() {
		if p := recover(); p != nil {
			findings = append(findings, metaFinding(InternalError, schema.Pos{}, fmt.Sprintf(
				"internal error: rule %s crashed (%v) and was skipped; this is a bug in lbcheck, please file it at %s",
				r.ID, p, BugURL)))
		}
	}()
	pass := NewPass(r, d, func(f Finding) { findings = append(findings, f) })
	pass.run = run
	r.Run(pass)
	return findings
}

// metaFinding builds a finding of one of the Meta rules.
func metaFinding(id string, pos schema.Pos, msg string) Finding {
	r := MetaRule(id)
	return Finding{Rule: id, Severity: r.Severity, Message: msg, Pos: pos, Source: r.Doc.Source}
}

// Sort orders findings by file, line, column, rule, object and message, so
// that every output is deterministic.
func Sort(findings []Finding) {
	slices.SortStableFunc(findings, func(a, b Finding) int {
		return cmp.Or(
			comparePos(a.Pos, b.Pos),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Object, b.Object),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// comparePos orders positions by file, line and column.
func comparePos(a, b schema.Pos) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
}

// Unsuppressed returns the findings no directive hides.
func Unsuppressed(findings []Finding) []Finding {
	var out []Finding
	for _, f := range findings {
		if f.Suppressed == nil {
			out = append(out, f)
		}
	}
	return out
}

// Count returns the number of unsuppressed findings per severity.
func Count(findings []Finding) map[Severity]int {
	n := map[Severity]int{}
	for _, f := range findings {
		if f.Suppressed == nil {
			n[f.Severity]++
		}
	}
	return n
}

// AtLeast reports whether an unsuppressed finding has severity min or
// higher; it decides the exit status for --fail-on.
func AtLeast(findings []Finding, min Severity) bool {
	for _, f := range findings {
		if f.Suppressed == nil && f.Severity >= min {
			return true
		}
	}
	return false
}
