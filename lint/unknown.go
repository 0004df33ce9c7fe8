package lint

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// Importers mark a field whose value is only known at deployment with
// schema.Node.SetUnknown and leave its zero (or default) value in the model.
// Rules ask Pass.Known before they read such a field; the run records which
// rule skipped which object because of which fields, and Run reports each
// skipped object once (LB0010). Unknown fields no rule asked about are not
// reported: they change no verdict.

// Known reports whether every named field (JSON names, as for
// schema.Node.At) of n is known before deployment. When one is not, the rule
// must not judge n by it, and the run records that the pass's rule skipped
// n because of the unknown fields among those named; Run reports them as one
// LB0010 finding per object. A rule asks only for the fields its verdict on
// n depends on at that point, so that a field is reported only when some
// check needed it.
func (p *Pass) Known(n *schema.Node, fields ...string) bool {
	ok := true
	for _, f := range fields {
		if why, unknown := n.Unknown(f); unknown {
			ok = false
			p.skip(n, f, why)
		}
	}
	return ok
}

// skip records that the pass's rule skipped n because field is unknown.
func (p *Pass) skip(n *schema.Node, field, why string) {
	if p.run == nil {
		return
	}
	p.run.mu.Lock()
	defer p.run.mu.Unlock()
	p.run.skips.add(n, p.Rule.ID, field, why)
}

// skipLog records, for one lint run, the objects that rules skipped because
// of fields only known at deployment.
type skipLog map[*schema.Node]*skipped

// skipped is what the rules needed of one object and could not know.
type skipped struct {
	// fields maps each unknown field a rule needed to why it is unknown.
	fields map[string]string
	// rules is the set of rule IDs that skipped the object.
	rules map[string]bool
}

// add records that rule skipped n because field (unknown for why) is.
func (l skipLog) add(n *schema.Node, rule, field, why string) {
	s := l[n]
	if s == nil {
		s = &skipped{fields: map[string]string{}, rules: map[string]bool{}}
		l[n] = s
	}
	s.fields[field] = why
	s.rules[rule] = true
}

// findings returns one LB0010 finding per skipped object.
func (l skipLog) findings() []Finding {
	out := make([]Finding, 0, len(l))
	for n, s := range l {
		out = append(out, s.finding(n))
	}
	return out
}

// finding reports the skipped object n at the earliest written of its
// unknown fields, each with why it is unknown, e.g.
//
//	loadBalancers.lb.loadBalancingRules.web: backendPort ("[parameters('b')]":
//	...) and frontendPort (...) are only known at deployment; not checked by
//	LB1003, LB1004
func (s *skipped) finding(n *schema.Node) Finding {
	fields := slices.Sorted(maps.Keys(s.fields))
	pos := n.At(fields[0])
	named := make([]string, len(fields))
	for i, f := range fields {
		if p := n.At(f); comparePos(p, pos) < 0 {
			pos = p
		}
		named[i] = fmt.Sprintf("%s (%s)", f, s.fields[f])
	}
	verb := "is"
	if len(fields) > 1 {
		verb = "are"
	}
	f := metaFinding(UnknownValue, pos, fmt.Sprintf("%s: %s %s only known at deployment; not checked by %s",
		n.Path(), andList(named), verb, strings.Join(slices.Sorted(maps.Keys(s.rules)), ", ")))
	f.Object = n.Path()
	return f
}

// andList joins names as "a", "a and b" or "a, b and c".
func andList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
