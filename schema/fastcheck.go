package schema

import (
	"reflect"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// Validating a whole object with CUE costs far more than checking its
// scalar values one by one, and most objects of a large deployment are
// valid. fastValid proves a unit valid without unifying it: every field is
// one the definition declares, every required field is written, no
// definition has conditional requirements (if clauses), and every scalar
// value satisfies its field's constraint, checked by a Go predicate read
// from schema.cue (gocheck.go) or else by CUE on that value alone,
// remembered per (type, field, value). Anything it cannot judge
// that way — a conditional definition, an unknown or missing field, a
// value that is not a literal, a constraint that fails — leaves the unit
// to CUE, which then also explains the errors. So the fast path changes
// no verdict and no message, only the time (TestFastPathAgrees).

// fastPath enables fastValid; tests turn it off to compare.
var fastPath = true

// scalarKey names one scalar value of one field of one model type.
type scalarKey struct {
	typ   reflect.Type
	field string
	kind  token.Token
	value string
}

// fastValid reports whether u is valid by the checks above.
func (c *compiled) fastValid(u *unit) bool {
	def := c.defs[u.def.typ]
	if u.field == "" {
		return c.fastObject(def, u.expr)
	}
	list, ok := u.expr.(*ast.ListLit)
	elem := def.fields[u.field].def
	if !ok || elem == nil {
		return false
	}
	for _, x := range list.Elts {
		if !c.fastObject(elem, x) {
			return false
		}
	}
	return true
}

// fastObject checks one object of def.
func (c *compiled) fastObject(def *defInfo, x ast.Expr) bool {
	st, ok := x.(*ast.StructLit)
	if !ok || def.conditional {
		return false
	}
	written := make(map[string]bool, len(st.Elts))
	for _, d := range st.Elts {
		f, ok := d.(*ast.Field)
		if !ok || f.Value == nil || f.Constraint != token.ILLEGAL {
			return false
		}
		name, _, err := ast.LabelName(f.Label)
		if err != nil || written[name] {
			return false
		}
		written[name] = true
		if def.extensions && strings.HasPrefix(name, "x-") {
			continue // anything goes: YAML anchors
		}
		fi := def.fields[name]
		if fi == nil || !c.fastField(def, name, fi, f.Value) {
			return false
		}
	}
	for _, r := range def.required {
		if !written[r] {
			return false
		}
	}
	return true
}

// fastField checks the value x of field name of def.
func (c *compiled) fastField(def *defInfo, name string, fi *fieldInfo, x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.StructLit:
		if fi.def != nil {
			return c.fastObject(fi.def, x)
		}
		// A map such as sysctls: each value against the pattern's constraint.
		elem := fi.value.LookupPath(cue.MakePath(cue.AnyString))
		for _, d := range x.Elts {
			f, ok := d.(*ast.Field)
			if !ok || f.Value == nil || !elem.Exists() || !c.fastScalar(def, name+".*", elem, nil, f.Value) {
				return false
			}
		}
		return true
	case *ast.ListLit:
		if fi.def != nil {
			// A list of objects: its elements one by one, when the list's
			// own constraint asks nothing of its length ([...#Rule]).
			if !c.fastScalarList(def, name, fi.value, fi.listAccepts, &ast.ListLit{}) {
				return false
			}
			for _, e := range x.Elts {
				if !c.fastObject(fi.def, e) {
					return false
				}
			}
			return true
		}
		return c.fastScalarList(def, name, fi.value, fi.listAccepts, x)
	}
	return c.fastScalar(def, name, fi.value, fi.accepts, x)
}

// fastScalar checks one literal against constraint: by the field's Go
// predicate accepts (gocheck.go; nil when it has none) when that accepts,
// else by CUE with the verdict remembered.
func (c *compiled) fastScalar(def *defInfo, field string, constraint cue.Value, accepts predicate, x ast.Expr) bool {
	lit, ok := x.(*ast.BasicLit)
	sign := ""
	if u, isUnary := x.(*ast.UnaryExpr); isUnary && u.Op == token.SUB {
		lit, ok = u.X.(*ast.BasicLit)
		sign = "-"
	}
	if !ok || lit.Kind == token.NULL {
		return false
	}
	if accepts != nil {
		if s, ok := scalarOf(lit, sign != ""); ok && accepts(s) {
			return true
		}
	}
	return c.remember(scalarKey{def.typ, field, lit.Kind, sign + lit.Value}, func() bool {
		return constraint.Unify(c.ctx.BuildExpr(x)).Validate(cue.Concrete(true)) == nil
	})
}

// fastScalarList checks a list of literals against constraint as a whole
// (a constraint such as [#Name, ...#Name] asks for a length): by the
// field's Go predicate accepts (nil when it has none) when that accepts,
// else by CUE with the verdict remembered.
func (c *compiled) fastScalarList(def *defInfo, field string, constraint cue.Value, accepts listPredicate, x *ast.ListLit) bool {
	lits := make([]*ast.BasicLit, len(x.Elts))
	for i, e := range x.Elts {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind == token.NULL {
			return false
		}
		lits[i] = lit
	}
	if accepts != nil && accepts.acceptsLits(lits) {
		return true
	}
	var b strings.Builder
	for _, lit := range lits {
		b.WriteString(lit.Kind.String())
		b.WriteByte(0)
		b.WriteString(lit.Value)
		b.WriteByte(0)
	}
	return c.remember(scalarKey{def.typ, field, token.LBRACK, b.String()}, func() bool {
		return constraint.Unify(c.ctx.BuildExpr(x)).Validate(cue.Concrete(true)) == nil
	})
}

// remember returns the verdict for k, computing it with check once.
func (c *compiled) remember(k scalarKey, check func() bool) bool {
	if v, seen := c.scalars[k]; seen {
		return v
	}
	v := check()
	if c.scalars == nil {
		c.scalars = map[scalarKey]bool{}
	}
	if len(c.scalars) < maxScalars {
		c.scalars[k] = v
	}
	return v
}

// maxScalars bounds the verdicts a compiled schema remembers.
const maxScalars = 1 << 20
