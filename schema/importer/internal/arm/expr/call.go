package expr

import (
	"fmt"
	"strings"
)

// builtin is one function of the template language.
type builtin struct {
	min, max int // arity; max < 0: any number
	fn       func(ev *Evaluator, a []*Value, at Pos) *Value
	// unknowns: the function handles Unknown arguments itself; otherwise
	// the first one is the result.
	unknowns bool
	// symbols: the function handles Symbolic strings itself; otherwise
	// one makes the result Unknown (the function looks inside it), or, if
	// derive is set, a Symbolic string naming the call: a name cut from a
	// placeholder (substring(uniqueString(...), 0, 5)) still identifies
	// its object.
	symbols, derive bool
}

// builtins maps lower-case function names to their implementation. It is
// filled by the funcs_*.go files' init functions.
var builtins = map[string]builtin{}

func register(names string, b builtin) {
	for _, n := range strings.Fields(names) {
		if _, dup := builtins[n]; dup {
			panic("expr: function registered twice: " + n)
		}
		builtins[n] = b
	}
}

// deploymentOnly lists the functions whose result Azure computes while
// deploying; lbcheck treats them as Unknown.
var deploymentOnly = map[string]string{
	"reference":         "the runtime state of a resource",
	"references":        "the runtime state of resources",
	"pickzones":         "the zones a region offers",
	"providers":         "the resource providers of a subscription",
	"newguid":           "a new GUID",
	"utcnow":            "the deployment's time",
	"datetimeadd":       "a date computed at deployment",
	"datetimefromepoch": "a date computed at deployment",
	"datetimetoepoch":   "a date computed at deployment",
	"getsecret":         "a Key Vault secret",
}

func (ev *Evaluator) call(n *callN, f *frame) *Value {
	at := f.at
	if n.ns != "" {
		fn := f.sc.Function(n.ns, n.name)
		if fn == nil {
			return NewUnknown(fmt.Sprintf("function %s.%s() is not defined in the template", n.ns, n.name), at)
		}
		return ev.callUser(fn, n.ns+"."+n.name, ev.args(n.args, f), at)
	}
	name := strings.ToLower(n.name)
	switch name {
	case "if":
		return ev.ifCall(n, f)
	case "and", "or":
		return ev.logical(name == "and", n, f)
	case "coalesce":
		return ev.coalesce(n, f)
	case "lambda":
		return ev.lambdaCall(n, f)
	case "lambdavariables":
		return ev.lambdaVariable(n, f)
	}
	if what, ok := deploymentOnly[name]; ok {
		return NewUnknown(fmt.Sprintf("%s() is %s, known only at deployment", n.name, what), at)
	}
	b, ok := builtins[name]
	if !ok {
		if strings.HasPrefix(name, "list") {
			return NewUnknown(fmt.Sprintf("%s() returns a resource's runtime values, known only at deployment", n.name), at)
		}
		return NewUnknown(fmt.Sprintf("lbcheck does not evaluate function %s()", n.name), at)
	}
	if len(n.args) < b.min || b.max >= 0 && len(n.args) > b.max {
		return NewUnknown(fmt.Sprintf("%s() takes %s, %d given", n.name, arity(b), len(n.args)), at)
	}
	args := ev.args(n.args, f)
	for _, a := range args {
		switch {
		case a.Kind == Unknown && !b.unknowns:
			return a.withAt(at)
		case a.Kind == String && a.Symbolic && b.derive:
			return derived(n.name, args, at)
		case a.Kind == String && a.Symbolic && !b.symbols:
			return NewUnknown(a.Reason(), at)
		}
	}
	prev := ev.current
	ev.current = f
	defer func() { ev.current = prev }()
	v := b.fn(ev, args, at)
	if v.Kind == Unknown && v.At != at {
		v = v.withAt(at) // where it is used, not where it was declared
	}
	return v
}

// derived is the Symbolic string fn(args...) stands for.
func derived(fn string, args []*Value, at Pos) *Value {
	parts := make([]string, len(args))
	for i, a := range args {
		if s, ok := text(a); ok && !a.Symbolic && a.Kind == String {
			parts[i] = "'" + s + "'"
		} else if ok {
			parts[i] = s
		} else {
			parts[i] = describe(a)
		}
	}
	return NewSymbolWhy(fn+"("+strings.Join(parts, ", ")+")", symbolicAmong(args).Reason(), at)
}

func (ev *Evaluator) args(nodes []node, f *frame) []*Value {
	args := make([]*Value, len(nodes))
	for i, a := range nodes {
		args[i] = ev.eval(a, f)
	}
	return args
}

func arity(b builtin) string {
	switch {
	case b.max < 0:
		return fmt.Sprintf("at least %d arguments", b.min)
	case b.min == b.max && b.min == 1:
		return "1 argument"
	case b.min == b.max:
		return fmt.Sprintf("%d arguments", b.min)
	}
	return fmt.Sprintf("%d to %d arguments", b.min, b.max)
}

// if(condition, a, b) evaluates only the branch it takes; with an unknown
// condition the result is known only when both branches agree.
func (ev *Evaluator) ifCall(n *callN, f *frame) *Value {
	if len(n.args) != 3 {
		return NewUnknown(fmt.Sprintf("if() takes 3 arguments, %d given", len(n.args)), f.at)
	}
	c := ev.eval(n.args[0], f)
	if c.Kind == Bool {
		if c.Bool {
			return ev.eval(n.args[1], f)
		}
		return ev.eval(n.args[2], f)
	}
	if c.Known() {
		return NewUnknown(fmt.Sprintf("if() wants a bool condition, got %s", describe(c)), f.at)
	}
	a, b := ev.eval(n.args[1], f), ev.eval(n.args[2], f)
	if eq, known := equal(a, b); known && eq {
		return a
	}
	return NewUnknown("the if() condition is not known: "+c.Reason(), f.at)
}

// and() / or() stop at the first argument that decides the result, so an
// unknown after it does not matter.
func (ev *Evaluator) logical(and bool, n *callN, f *frame) *Value {
	if len(n.args) < 2 {
		return NewUnknown("and() and or() take at least 2 arguments", f.at)
	}
	var unknown *Value
	for _, a := range n.args {
		v := ev.eval(a, f)
		switch {
		case v.Kind == Bool && v.Bool != and:
			return NewBool(!and, f.at)
		case v.Kind == Bool:
		case !v.Known():
			if unknown == nil {
				unknown = NewUnknown(v.Reason(), f.at)
			}
		default:
			return NewUnknown(fmt.Sprintf("and() and or() want bools, got %s", describe(v)), f.at)
		}
	}
	if unknown != nil {
		return unknown
	}
	return NewBool(and, f.at)
}

// coalesce() returns the first argument that is not null.
func (ev *Evaluator) coalesce(n *callN, f *frame) *Value {
	for _, a := range n.args {
		v := ev.eval(a, f)
		switch {
		case v.Kind == Unknown:
			return v.withAt(f.at)
		case v.Kind != Null:
			return v
		}
	}
	return NewNull(f.at)
}

// lambda('a', 'b', body) makes a function value; its body is evaluated
// when a lambda function applies it.
func (ev *Evaluator) lambdaCall(n *callN, f *frame) *Value {
	if len(n.args) < 1 {
		return NewUnknown("lambda() needs a body", f.at)
	}
	var params []string
	for _, a := range n.args[:len(n.args)-1] {
		s, ok := a.(*strLit)
		if !ok {
			return NewUnknown("lambda() parameter names must be string literals", f.at)
		}
		params = append(params, s.s)
	}
	return &Value{Kind: Lambda, At: f.at, lambda: &closure{params: params, body: n.args[len(n.args)-1], f: f}}
}

func (ev *Evaluator) lambdaVariable(n *callN, f *frame) *Value {
	if len(n.args) != 1 {
		return NewUnknown("lambdaVariables() takes 1 argument", f.at)
	}
	name, ok := ev.eval(n.args[0], f).Text()
	if !ok {
		return NewUnknown("lambdaVariables() wants a string", f.at)
	}
	if v, ok := f.env.lookup(name); ok {
		return v
	}
	return NewUnknown(fmt.Sprintf("lambdaVariables('%s') outside a lambda with that parameter", name), f.at)
}
