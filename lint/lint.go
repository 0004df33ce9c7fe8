// Package lint checks a schema.Deployment statically. A Rule is a value with
// an ID, documentation and a Run function; Run receives a Pass and reports
// Findings at positions in the user's files.
package lint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"

	"github.com/lbcheck/lbcheck/schema"
)

// Severity orders findings for --fail-on.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Warning
	Error
)

// String returns the lower-case name used in every output format.
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// MarshalJSON renders the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// ParseSeverity parses "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "error":
		return Error, nil
	case "warning":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Doc is a rule's documentation, shown by `lbcheck rules ID`, in SARIF rule
// descriptors and in HTML reports.
type Doc struct {
	// Title is one line, no trailing period.
	Title string
	// Text says what goes wrong and why: Azure rejects it, or it deploys and
	// silently fails.
	Text string
	// Fix says how to repair it.
	Fix string
	// Source is the URL of the documentation the rule is based on.
	Source string
	// Unobservable says, for a data-plane rule (LB2xxx, LB3xxx), which of
	// its findings no packet case can reproduce and why; empty when
	// `lbcheck conform` shows every one. conform prints it beside a finding
	// no case failed on.
	Unobservable string
	// Since is the lbcheck version that introduced the rule; empty means
	// FirstRelease.
	Since string
}

// Rule is one check. ID is LBxnnn: LB0 tool/meta, LB1 structure Azure
// rejects, LB2 semantics that deploy but fail, LB3 guest OS, LB9 dubious.
type Rule struct {
	ID       string
	Severity Severity
	Doc      Doc
	// Run inspects pass.Deployment and calls pass.Report for each problem.
	// Meta rules (LB0xxx) that the engine reports itself have a nil Run.
	Run func(pass *Pass)
}

// Finding is one reported problem. It is the one finding type every
// output reads (text, JSON, SARIF, GitHub, JUnit, the HTML page of
// reports); MarshalJSON writes its stable JSON shape.
type Finding struct {
	Rule     string
	Severity Severity
	Message  string
	Pos      schema.Pos
	// Object is the model path of the offending object, e.g.
	// "loadBalancers.web.loadBalancingRules.https".
	Object string
	// Fix is the exact command or change that repairs this instance (guest
	// findings give netsh / ip lines), possibly several lines.
	Fix string
	// Source is the rule's documentation URL.
	Source string
	// Suppressed is set when an lbcheck:ignore directive hides the finding.
	// Outputs leave suppressed findings out unless asked to show them.
	Suppressed *Suppression
}

// MarshalJSON writes the stable JSON shape of a finding (`lbcheck lint
// --format json`): rule, severity, message, file, line, column, object,
// source, and fix and suppressed when set. It escapes no HTML characters
// itself: the encoder that calls it decides (SetEscapeHTML).
func (f Finding) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Rule       string       `json:"rule"`
		Severity   Severity     `json:"severity"`
		Message    string       `json:"message"`
		File       string       `json:"file"`
		Line       int          `json:"line"`
		Column     int          `json:"column"`
		Object     string       `json:"object"`
		Source     string       `json:"source"`
		Fix        string       `json:"fix,omitempty"`
		Suppressed *Suppression `json:"suppressed,omitempty"`
	}{f.Rule, f.Severity, f.Message, f.Pos.File, f.Pos.Line, f.Pos.Column, f.Object, f.Source, f.Fix, f.Suppressed})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// Suppression records the directive that hid a finding.
type Suppression struct {
	// Reason is the justification written after the rule list.
	Reason string `json:"reason"`
	// Pos is where the directive is.
	Pos schema.Pos `json:"-"`
}

// Pass carries one rule's run over one deployment.
type Pass struct {
	Rule       *Rule
	Deployment *schema.Deployment
	report     func(Finding)
	// run holds what the rules of one lint run share: values built once
	// (Shared) and the objects skipped for unknown fields (Known); nil for a
	// pass made outside Run.
	run *runState
}

// runState is shared by the passes of one lint run, which run
// concurrently.
type runState struct {
	mu     sync.Mutex
	shared map[any]*sharedValue
	skips  skipLog
}

// sharedValue is one value of Pass.Shared, built once.
type sharedValue struct {
	once sync.Once
	v    any
}

// NewPass returns a pass whose findings go to report.
func NewPass(r *Rule, d *schema.Deployment, report func(Finding)) *Pass {
	return &Pass{Rule: r, Deployment: d, report: report}
}

// Shared returns the value stored under key for this lint run, building it
// with build on first use, so that an index over the deployment that many
// rules need is built once per run instead of once per rule (the role of
// go/analysis's Requires). The value must depend only on the deployment,
// and rules running at the same time read it: it must not change once
// built.
func (p *Pass) Shared(key any, build func() any) any {
	if p.run == nil {
		return build()
	}
	p.run.mu.Lock()
	sv := p.run.shared[key]
	if sv == nil {
		sv = &sharedValue{}
		p.run.shared[key] = sv
	}
	p.run.mu.Unlock()
	sv.once.Do(func() { sv.v = build() })
	return sv.v
}

// Report records a finding for the pass's rule at pos about object (a
// schema.Node path). Severity and Source are filled from the rule.
func (p *Pass) Report(pos schema.Pos, object, fix, message string) {
	p.report(Finding{
		Rule:     p.Rule.ID,
		Severity: p.Rule.Severity,
		Message:  message,
		Pos:      pos,
		Object:   object,
		Fix:      fix,
		Source:   p.Rule.Doc.Source,
	})
}

// Reportf reports a finding at the node's field (see schema.Node.At) with a
// formatted message and no fix.
func (p *Pass) Reportf(n *schema.Node, field, format string, args ...any) {
	p.Report(n.At(field), n.Path(), "", fmt.Sprintf(format, args...))
}

var idPattern = regexp.MustCompile(`^LB[0-9]{4}$`)

// Validate checks a rule catalogue: IDs well formed and unique, every rule
// documented with a title, text, fix and source.
func Validate(rules []*Rule) error {
	seen := map[string]bool{}
	for _, r := range rules {
		switch {
		case !idPattern.MatchString(r.ID):
			return fmt.Errorf("rule %q: ID must look like LB1234", r.ID)
		case seen[r.ID]:
			return fmt.Errorf("rule %s: duplicate ID", r.ID)
		case r.Doc.Title == "" || r.Doc.Text == "" || r.Doc.Fix == "" || r.Doc.Source == "":
			return fmt.Errorf("rule %s: Doc needs Title, Text, Fix and Source", r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}
