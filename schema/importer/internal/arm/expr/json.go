package expr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// At returns the position of a JSON value in file.
func At(file string, v *jsonpos.Value) Pos {
	if v == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: v.Pos.Line, Col: v.Pos.Col}
}

// KeyAt returns the position of a JSON object member's key in file.
func KeyAt(file string, v *jsonpos.Value) Pos {
	if v == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: v.KeyPos.Line, Col: v.KeyPos.Col}
}

// Literal converts JSON written in file to a Value without evaluating its
// strings (a parameters file's values are never expressions).
func (ev *Evaluator) Literal(v *jsonpos.Value, file string) *Value {
	return ev.json(v, file, nil)
}

// JSON evaluates a JSON tree of a template: strings are template strings
// (see String), and an object member "copy" holding an array of
// {name, count, input} loops expands into the properties it names.
func (ev *Evaluator) JSON(v *jsonpos.Value, file string, sc Scope) *Value {
	return ev.json(v, file, sc)
}

// json converts v; sc nil means literal.
func (ev *Evaluator) json(v *jsonpos.Value, file string, sc Scope) *Value {
	at := At(file, v)
	if v == nil {
		return NewNull(at)
	}
	if bad := ev.charge(1, at); bad != nil {
		return bad
	}
	if bad := ev.alloc(1, 0, at); bad != nil {
		return bad
	}
	switch v.Kind {
	case jsonpos.Null:
		return NewNull(at)
	case jsonpos.Bool:
		return NewBool(v.Bool, at)
	case jsonpos.Number:
		return number(v.Text, at)
	case jsonpos.String:
		if sc == nil {
			return ev.str(v.Text, at)
		}
		return ev.String(v.Text, at, sc)
	case jsonpos.Array:
		elems := make([]*Value, 0, len(v.Elems))
		for _, e := range v.Elems {
			elems = append(elems, ev.json(e, file, sc))
		}
		return NewArray(elems, at)
	}
	members := make([]Member, 0, len(v.Members))
	for _, m := range v.Members {
		if sc != nil && strings.EqualFold(m.Key, "copy") && m.Kind == jsonpos.Array {
			for _, loop := range m.Elems {
				name, val := ev.PropertyCopy(loop, file, sc)
				members = append(members, Member{Key: name, KeyAt: KeyAt(file, loop.Get("name")), Value: val})
			}
			continue
		}
		members = append(members, Member{Key: m.Key, KeyAt: KeyAt(file, m), Value: ev.json(m, file, sc)})
	}
	return NewObject(members, at)
}

// number converts a JSON number literal.
func number(text string, at Pos) *Value {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return NewInt(n, at)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return NewUnknown(fmt.Sprintf("number %s is out of range", text), at)
	}
	return &Value{Kind: Float, Float: f, At: at}
}

// PropertyCopy expands one {name, count, input} loop (of properties or of
// variables): it returns the name and the array of count inputs, each
// evaluated with copyIndex(name) bound to its index.
func (ev *Evaluator) PropertyCopy(loop *jsonpos.Value, file string, sc Scope) (string, *Value) {
	at := At(file, loop)
	nameV := ev.json(loop.Get("name"), file, sc)
	name, ok := nameV.Name()
	if !ok {
		return "copy", NewUnknown("the copy loop's name is not a string", at)
	}
	n, bad, _ := ev.Count(loop.Get("count"), file, sc)
	if bad != nil {
		return name, bad
	}
	input := loop.Get("input")
	if input == nil {
		return name, NewUnknown(fmt.Sprintf("copy loop %q has no input", name), at)
	}
	elems := make([]*Value, 0, n)
	for i := range n {
		elems = append(elems, ev.json(input, file, &LoopScope{Scope: sc, Name: name, Index: i}))
	}
	return name, NewArray(elems, at)
}

// Count evaluates a copy loop's count: an integer from 0 to MaxCopy. It
// returns an Unknown value instead when the count is not known or not
// one ARM accepts; rejected is set for the latter (Azure rejects the
// template).
func (ev *Evaluator) Count(v *jsonpos.Value, file string, sc Scope) (n int, bad *Value, rejected bool) {
	at := At(file, v)
	c := ev.json(v, file, sc)
	if !c.Known() {
		return 0, NewUnknown("the copy count is not known: "+c.Reason(), at), false
	}
	count, ok := c.Integer()
	switch {
	case !ok:
		return 0, NewUnknown(fmt.Sprintf("the copy count %s is not an integer", describe(c)), at), true
	case count < 0 || count > MaxCopy:
		return 0, NewUnknown(fmt.Sprintf("the copy count %d is outside ARM's range 0-%d", count, MaxCopy), at), true
	}
	return int(count), nil, false
}

// LoopScope is a Scope inside one iteration of a named copy loop.
type LoopScope struct {
	Scope
	Name  string
	Index int
	// Resource marks the loop of a resource (or nested deployment), which
	// copyIndex() without a name refers to.
	Resource bool
}

// CopyIndex is the loop's index when loop names it (or is "" and this is
// the resource's loop, or no outer scope has a loop).
func (s *LoopScope) CopyIndex(loop string, at Pos) *Value {
	if strings.EqualFold(loop, s.Name) || loop == "" && s.Resource {
		return NewInt(int64(s.Index), at)
	}
	outer := s.Scope.CopyIndex(loop, at)
	if loop == "" && outer.Kind == Unknown {
		return NewInt(int64(s.Index), at) // lenient: the innermost loop
	}
	return outer
}
