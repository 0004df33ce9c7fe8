package expr

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// Scope resolves what an expression refers to outside itself. The arm
// package implements it for a template (parameters, variables, functions,
// deployment()), for one resource of a copy loop (copyIndex()), and for
// the body of a user-defined function.
type Scope interface {
	// Parameter is parameters(name).
	Parameter(name string, at Pos) *Value
	// Variable is variables(name).
	Variable(name string, at Pos) *Value
	// CopyIndex is the index of the copy loop named loop ("" means the
	// resource's own loop), or Unknown outside one.
	CopyIndex(loop string, at Pos) *Value
	// Function returns the user-defined function ns.name, or nil.
	Function(ns, name string) *Func
	// Deployment is deployment().
	Deployment(at Pos) *Value
	// ResourceInfo is resourceInfo(symbolicName) of languageVersion 2.0.
	ResourceInfo(symbolic string, at Pos) *Value
}

// Func is a user-defined function of a template's "functions" section.
type Func struct {
	Params []string
	// Output is the JSON of output.value, evaluated with the parameters
	// bound; File names the file it is written in.
	Output *jsonpos.Value
	File   string
	// Defs is the scope the function was declared in (for calls of other
	// user-defined functions).
	Defs Scope
}

// Evaluator evaluates template strings and JSON trees within a Budget. One
// Evaluator serves one import; it is not safe for concurrent use.
type Evaluator struct {
	Budget *Budget
	parsed map[string]parsed
	depth  int
	// current is the frame of the function call being evaluated, for the
	// builtins that read the scope.
	current *frame
}

type parsed struct {
	n   node
	err error
}

// maxParsed bounds the cache of parsed expressions.
const maxParsed = 1 << 14

// New returns an Evaluator with a budget of the default limits.
func New() *Evaluator {
	return &Evaluator{Budget: NewBudget(), parsed: map[string]parsed{}}
}

// IsExpression reports whether a template string is an expression ("[...]"
// but not the "[[" escape).
func IsExpression(s string) bool {
	return len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' && !strings.HasPrefix(s, "[[")
}

// String evaluates one template string written at at: "[expr]" is an
// expression, "[[..." the literal without its first "[", anything else a
// literal.
func (ev *Evaluator) String(s string, at Pos, sc Scope) *Value {
	switch {
	case IsExpression(s):
	case strings.HasPrefix(s, "[["):
		return ev.str(s[1:], at)
	default:
		return ev.str(s, at)
	}
	if v := ev.charge(1, at); v != nil {
		return v
	}
	src := s[1 : len(s)-1]
	p, ok := ev.parsed[src]
	if !ok {
		p.n, p.err = parse(src)
		if len(ev.parsed) < maxParsed {
			ev.parsed[src] = p
		}
	}
	if p.err != nil {
		return NewUnknown(fmt.Sprintf("%q does not parse: %v", excerpt(s), p.err), at)
	}
	if v := ev.enter(at); v != nil {
		return v
	}
	defer ev.leave()
	v := ev.eval(p.n, &frame{sc: sc, at: at})
	if v.Kind == Unknown && v.Expr == "" {
		v = v.withAt(at)
		v.Expr = excerpt(s)
	}
	return v
}

// maxExcerpt bounds how much of an expression messages and placeholders
// quote.
const maxExcerpt = 200

// excerpt shortens s to maxExcerpt bytes (at a rune boundary), marking the
// cut with "...".
func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// frame is what one expression's evaluation sees.
type frame struct {
	sc  Scope
	at  Pos
	env *lambdaEnv
}

// lambdaEnv binds the variables of the lambdas being applied.
type lambdaEnv struct {
	name   string
	value  *Value
	parent *lambdaEnv
}

func (e *lambdaEnv) lookup(name string) (*Value, bool) {
	for ; e != nil; e = e.parent {
		if strings.EqualFold(e.name, name) {
			return e.value, true
		}
	}
	return nil, false
}

// closure is a lambda value.
type closure struct {
	params []string
	body   node
	f      *frame
}

func (ev *Evaluator) eval(n node, f *frame) *Value {
	if v := ev.charge(1, f.at); v != nil {
		return v
	}
	switch n := n.(type) {
	case *strLit:
		return ev.str(n.s, f.at)
	case *intLit:
		return NewInt(n.n, f.at)
	case *boolLit:
		return NewBool(n.b, f.at)
	case *nullLit:
		return NewNull(f.at)
	case *memberN:
		return ev.member(ev.eval(n.x, f), n.name, n.safe, f.at)
	case *indexN:
		return ev.index(ev.eval(n.x, f), ev.eval(n.i, f), n.safe, f.at)
	case *callN:
		return ev.call(n, f)
	}
	panic(fmt.Sprintf("expr: unknown node %T", n))
}

// member is x.name.
func (ev *Evaluator) member(x *Value, name string, safe bool, at Pos) *Value {
	switch {
	case x.Kind == Unknown:
		return x.withAt(at)
	case x.Kind == Null && safe:
		return x
	case x.Kind != Object:
		return NewUnknown(fmt.Sprintf("property .%s of a %s", name, x.Kind), at)
	}
	if m := x.Get(name); m != nil {
		return m
	}
	if safe {
		return NewNull(at)
	}
	return NewUnknown(fmt.Sprintf("the object has no property %q", name), at)
}

// index is x[i]: an array element or an object property.
func (ev *Evaluator) index(x, i *Value, safe bool, at Pos) *Value {
	switch {
	case x.Kind == Unknown:
		return x.withAt(at)
	case i.Kind == Unknown:
		return i.withAt(at)
	case x.Kind == Null && safe:
		return x
	case x.Kind == Array:
		n, ok := i.Integer()
		if !ok {
			return NewUnknown(fmt.Sprintf("array index %s is not an integer", describe(i)), at)
		}
		if n < 0 || n >= int64(len(x.Elems)) {
			if safe {
				return NewNull(at)
			}
			return NewUnknown(fmt.Sprintf("index %d is out of range (the array has %d elements)", n, len(x.Elems)), at)
		}
		return x.Elems[n]
	case x.Kind == Object:
		key, ok := i.Text()
		if !ok {
			if i.Symbolic {
				return NewUnknown(i.Reason(), at)
			}
			return NewUnknown(fmt.Sprintf("property name %s is not a string", describe(i)), at)
		}
		return ev.member(x, key, safe, at)
	}
	return NewUnknown(fmt.Sprintf("index of a %s", x.Kind), at)
}

// apply calls a lambda with args.
func (ev *Evaluator) apply(fn *Value, args []*Value, at Pos) *Value {
	c := fn.lambda
	if len(args) < len(c.params) {
		return NewUnknown(fmt.Sprintf("the lambda takes %d arguments, %d given", len(c.params), len(args)), at)
	}
	env := c.f.env
	for i, p := range c.params {
		env = &lambdaEnv{name: p, value: args[i], parent: env}
	}
	if v := ev.enter(at); v != nil {
		return v
	}
	defer ev.leave()
	return ev.eval(c.body, &frame{sc: c.f.sc, at: c.f.at, env: env})
}

// callUser calls a user-defined function.
func (ev *Evaluator) callUser(fn *Func, name string, args []*Value, at Pos) *Value {
	if len(args) != len(fn.Params) {
		return NewUnknown(fmt.Sprintf("%s() takes %d arguments, %d given", name, len(fn.Params), len(args)), at)
	}
	if fn.Output == nil {
		return NewUnknown(fmt.Sprintf("%s() has no output value", name), at)
	}
	if v := ev.enter(at); v != nil {
		return v
	}
	defer ev.leave()
	return ev.JSON(fn.Output, fn.File, &funcScope{fn: fn, args: args})
}

// funcScope is the body of a user-defined function: parameters() are its
// arguments; variables and copy loops are not visible.
type funcScope struct {
	fn   *Func
	args []*Value
}

func (s *funcScope) Parameter(name string, at Pos) *Value {
	for i, p := range s.fn.Params {
		if strings.EqualFold(p, name) {
			return s.args[i]
		}
	}
	return NewUnknown(fmt.Sprintf("the function has no parameter %q", name), at)
}

func (s *funcScope) Variable(name string, at Pos) *Value {
	return NewUnknown("user-defined functions cannot use variables()", at)
}

func (s *funcScope) CopyIndex(loop string, at Pos) *Value {
	return NewUnknown("user-defined functions cannot use copyIndex()", at)
}

func (s *funcScope) Function(ns, name string) *Func { return s.fn.Defs.Function(ns, name) }

func (s *funcScope) Deployment(at Pos) *Value { return s.fn.Defs.Deployment(at) }

func (s *funcScope) ResourceInfo(symbolic string, at Pos) *Value {
	return s.fn.Defs.ResourceInfo(symbolic, at)
}

// describe renders a value briefly for messages.
func describe(v *Value) string {
	switch v.Kind {
	case String:
		if len(v.Str) > 40 {
			return fmt.Sprintf("%q...", v.Str[:40])
		}
		return fmt.Sprintf("%q", v.Str)
	case Int:
		return fmt.Sprint(v.Int)
	case Bool:
		return fmt.Sprint(v.Bool)
	}
	return "a " + v.Kind.String()
}

// enter and leave bound the nesting of evaluations: variables that refer
// to variables, parameter defaults, user-defined functions and lambdas.
func (ev *Evaluator) enter(at Pos) *Value {
	ev.depth++
	if ev.depth > MaxDepth {
		ev.depth--
		return NewUnknown(fmt.Sprintf("evaluations nest deeper than %d levels", MaxDepth), at)
	}
	return nil
}

func (ev *Evaluator) leave() { ev.depth-- }
