package schema

import (
	"net/netip"
	"strconv"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// Checking a unique scalar (an address, a name) with CUE costs a
// compilation and a unification each, and a large deployment holds tens of
// thousands of them. goCheck reads the constraints written in schema.cue
// (types, literals, bounds, !=, | and &, references to other definitions,
// net.IP and net.IPCIDR) into Go predicates that answer the same question
// in nanoseconds. A predicate only ever proves a value valid: when it says
// no, or when a constraint has a shape it does not know (a reference to a
// sibling field, a regular expression), CUE decides and explains, so a
// predicate narrower than its constraint costs time, never a verdict
// (TestGoChecksAgree compares each with CUE).

// scalar is one literal of an input as the predicates see it.
type scalar struct {
	kind token.Token // token.STRING, INT, FLOAT, TRUE, FALSE
	str  string      // the unquoted string of a STRING
	num  int64       // the value of a decimal INT
	dec  bool        // num holds the value: a decimal INT within int64
}

// predicate reports whether a scalar certainly satisfies a constraint.
type predicate func(scalar) bool

// listPredicate reports whether a list of scalars certainly satisfies a
// list constraint.
type listPredicate func([]scalar) bool

// acceptsLits converts lits and applies p to them.
func (p listPredicate) acceptsLits(lits []*ast.BasicLit) bool {
	xs := make([]scalar, len(lits))
	for i, lit := range lits {
		s, ok := scalarOf(lit, false)
		if !ok {
			return false
		}
		xs[i] = s
	}
	return p(xs)
}

// scalarOf converts a literal of the input, negated when neg is set, or
// reports false for one the predicates do not judge (null).
func scalarOf(lit *ast.BasicLit, neg bool) (scalar, bool) {
	s := scalar{kind: lit.Kind}
	switch lit.Kind {
	case token.STRING:
		if neg {
			return s, false
		}
		str, err := literal.Unquote(lit.Value)
		if err != nil {
			return s, false
		}
		s.str = str
	case token.INT:
		s.num, s.dec = decimal(lit.Value, neg)
	case token.FLOAT, token.TRUE, token.FALSE:
		if neg && lit.Kind != token.FLOAT {
			return s, false
		}
	default:
		return s, false
	}
	return s, true
}

// decimal parses a plain decimal integer (no sign, base prefix,
// underscore, multiplier or leading zero); anything else is left to CUE.
func decimal(v string, neg bool) (int64, bool) {
	if v == "" || len(v) > 1 && v[0] == '0' {
		return 0, false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	if neg {
		v = "-" + v
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// goCheckSet holds the predicates of the fields of the definitions in
// schema.cue that have one: scalars["#Frontend"]["ipAddress"], and those of
// list fields in lists.
type goCheckSet struct {
	scalars map[string]map[string]predicate
	lists   map[string]map[string]listPredicate
}

// goChecks reads schema.cue's predicates once.
var goChecks = sync.OnceValue(readGoChecks)

// readGoChecks parses schema.cue and builds the predicates of its fields.
func readGoChecks() goCheckSet {
	set := goCheckSet{scalars: map[string]map[string]predicate{}, lists: map[string]map[string]listPredicate{}}
	f, err := parser.ParseFile("lbcheck-schema.cue", schemaSource)
	if err != nil {
		return set // compileSchema reports the broken schema
	}
	r := &goReader{defs: map[string]ast.Expr{}}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.Field); ok {
			if name, _, err := ast.LabelName(fd.Label); err == nil {
				r.defs[name] = fd.Value
			}
		}
	}
	for name, x := range r.defs {
		st, ok := x.(*ast.StructLit)
		if !ok {
			continue
		}
		set.scalars[name], set.lists[name] = r.fields(st)
	}
	return set
}

// fields returns the predicates of the fields of one definition. A field
// declared twice, or a definition that embeds another or holds a
// comprehension, may be constrained in more places than one declaration:
// none of its fields gets a predicate.
func (r *goReader) fields(st *ast.StructLit) (map[string]predicate, map[string]listPredicate) {
	scalars, lists := map[string]predicate{}, map[string]listPredicate{}
	seen := map[string]int{}
	for _, d := range st.Elts {
		switch d.(type) {
		case *ast.EmbedDecl, *ast.Comprehension:
			return nil, nil
		}
		if fd, ok := d.(*ast.Field); ok {
			if label, _, err := ast.LabelName(fd.Label); err == nil {
				seen[label]++
			}
		}
	}
	for _, d := range st.Elts {
		fd, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		label, _, err := ast.LabelName(fd.Label)
		if err != nil || seen[label] != 1 {
			continue
		}
		if l, ok := fd.Value.(*ast.ListLit); ok {
			if p := r.list(l); p != nil {
				lists[label] = p
			}
		} else if p := r.pred(fd.Value, 0); p != nil {
			scalars[label] = p
		}
	}
	return scalars, lists
}

// goReader turns constraint expressions into predicates.
type goReader struct {
	defs map[string]ast.Expr // top-level fields of schema.cue by name
}

// maxRefDepth bounds how many definitions a reference may pass through.
const maxRefDepth = 8

// pred returns the predicate of x, or nil when x has a shape it does not
// read.
func (r *goReader) pred(x ast.Expr, depth int) predicate {
	switch x := x.(type) {
	case *ast.ParenExpr:
		return r.pred(x.X, depth)
	case *ast.Ident:
		return r.ident(x.Name, depth)
	case *ast.BasicLit:
		want, ok := scalarOf(x, false)
		if !ok || want.kind == token.FLOAT || want.kind == token.INT && !want.dec {
			return nil
		}
		return func(s scalar) bool {
			return s.kind == want.kind && s.str == want.str && s.dec == want.dec && s.num == want.num
		}
	case *ast.UnaryExpr:
		return r.unary(x, depth)
	case *ast.BinaryExpr:
		a, b := r.pred(x.X, depth), r.pred(x.Y, depth)
		if a == nil || b == nil {
			return nil
		}
		switch x.Op {
		case token.AND:
			return func(s scalar) bool { return a(s) && b(s) }
		case token.OR:
			return func(s scalar) bool { return a(s) || b(s) }
		}
	case *ast.CallExpr:
		if len(x.Args) == 0 {
			return netValidator(x.Fun)
		}
	case *ast.SelectorExpr:
		return netValidator(x)
	}
	return nil
}

// ident reads a type name or a reference to another definition.
func (r *goReader) ident(name string, depth int) predicate {
	switch name {
	case "_":
		return func(scalar) bool { return true }
	case "string":
		return func(s scalar) bool { return s.kind == token.STRING }
	case "int":
		return func(s scalar) bool { return s.kind == token.INT && s.dec }
	case "bool":
		return func(s scalar) bool { return s.kind == token.TRUE || s.kind == token.FALSE }
	}
	if x, ok := r.defs[name]; ok && len(name) > 1 && name[0] == '#' && depth < maxRefDepth {
		return r.pred(x, depth+1)
	}
	return nil
}

// unary reads a default mark (*x) or a bound (>=4, !="") on a literal.
func (r *goReader) unary(x *ast.UnaryExpr, depth int) predicate {
	if x.Op == token.MUL {
		return r.pred(x.X, depth)
	}
	lit, ok := x.X.(*ast.BasicLit)
	if !ok {
		return nil
	}
	bound, ok := scalarOf(lit, false)
	if !ok {
		return nil
	}
	if bound.kind == token.STRING && x.Op == token.NEQ {
		return func(s scalar) bool { return s.kind == token.STRING && s.str != bound.str }
	}
	if bound.kind != token.INT || !bound.dec {
		return nil
	}
	n := bound.num
	var cmp func(int64) bool
	switch x.Op {
	case token.GEQ:
		cmp = func(v int64) bool { return v >= n }
	case token.GTR:
		cmp = func(v int64) bool { return v > n }
	case token.LEQ:
		cmp = func(v int64) bool { return v <= n }
	case token.LSS:
		cmp = func(v int64) bool { return v < n }
	case token.NEQ:
		cmp = func(v int64) bool { return v != n }
	default:
		return nil
	}
	return func(s scalar) bool { return s.kind == token.INT && s.dec && cmp(s.num) }
}

// netValidator reads net.IP and net.IPCIDR, which CUE implements with
// netip.ParseAddr and netip.ParsePrefix.
func netValidator(x ast.Expr) predicate {
	sel, ok := x.(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "net" {
		return nil
	}
	name, _, err := ast.LabelName(sel.Sel)
	if err != nil {
		return nil
	}
	switch name {
	case "IP":
		return func(s scalar) bool {
			a, err := netip.ParseAddr(s.str)
			return s.kind == token.STRING && err == nil && a.IsValid()
		}
	case "IPCIDR":
		return func(s scalar) bool {
			_, err := netip.ParsePrefix(s.str)
			return s.kind == token.STRING && err == nil
		}
	}
	return nil
}

// list reads a list constraint: fixed elements, then optionally ...T.
func (r *goReader) list(l *ast.ListLit) listPredicate {
	var fixed []predicate
	var rest predicate
	open := false
	for i, e := range l.Elts {
		if el, ok := e.(*ast.Ellipsis); ok {
			if i != len(l.Elts)-1 {
				return nil
			}
			open = true
			if el.Type != nil {
				rest = r.pred(el.Type, 0) // nil for objects: only an empty tail is judged
			} else {
				rest = func(scalar) bool { return true }
			}
			continue
		}
		p := r.pred(e, 0)
		if p == nil {
			return nil
		}
		fixed = append(fixed, p)
	}
	return func(xs []scalar) bool {
		if len(xs) < len(fixed) || !open && len(xs) > len(fixed) {
			return false
		}
		for i, x := range xs {
			p := rest
			if i < len(fixed) {
				p = fixed[i]
			}
			if p == nil || !p(x) {
				return false
			}
		}
		return true
	}
}
