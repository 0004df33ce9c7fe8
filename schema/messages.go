package schema

import (
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
)

// schemaErrors turns CUE's validation errors for one unit into one LB0001
// issue per offending value, positioned at the value in the user's file.
// CUE reports a wrong enum value once per alternative; they collapse into
// one message that lists the allowed values.
func (w *walker) schemaErrors(u unit) {
	var order []string
	byPath := make(map[string][]cueerrors.Error)
	for _, e := range cueerrors.Errors(u.err) {
		format, _ := e.Msg()
		switch {
		case strings.Contains(format, "errors in empty disjunction"),
			strings.HasPrefix(format, "field not allowed"),
			strings.HasPrefix(format, "field is required but not present"):
			continue // summaries, or found by the walker with better positions
		}
		path := u.path(e.Path())
		if w.reported[path] {
			continue
		}
		if _, seen := byPath[path]; !seen {
			order = append(order, path)
		}
		byPath[path] = append(byPath[path], e)
	}
	for _, path := range order {
		w.explain(path, byPath[path])
	}
}

// explain reports the value at path, which CUE rejected with errs.
func (w *walker) explain(path string, errs []cueerrors.Error) {
	info, ok := w.lookup(path)
	msg := ""
	if ok {
		msg = describe(info, info.def.fields[info.field])
	}
	if msg == "" {
		// Also a value the user did not write directly, such as one a
		// CUE input computes: CUE's own words at the nearest value.
		msg = cueMessage(errs[0])
	}
	w.issue(info.pos, path, msg)
}

// cueMessage is CUE's message for e on one line.
func cueMessage(e cueerrors.Error) string {
	format, args := e.Msg()
	msg := fmt.Sprintf(format, args...)
	msg, _, _ = strings.Cut(msg, "\n")
	return strings.TrimSuffix(msg, ":")
}

// describe says what is wrong with the user's value in terms of the
// schema's constraint, or returns "" when it cannot tell: the value has the
// wrong type, is not one of an enum's values, is out of range, or fails a
// check described by @lbcheck(want=...).
func describe(info pathInfo, fi *fieldInfo) string {
	constraint := fi.value.Eval()
	if info.elem {
		elem := constraint.LookupPath(cue.MakePath(cue.AnyIndex))
		if !elem.Exists() {
			elem = constraint.LookupPath(cue.MakePath(cue.AnyString))
		}
		constraint = elem.Eval()
	}
	got := render(info.expr)
	want := constraint.IncompleteKind()
	if k := exprKind(info.expr); k != cue.BottomKind && k&want == 0 {
		return fmt.Sprintf("%s is %s, want %s", got, kindWord(k), kindWord(want))
	}
	if values := enumValues(constraint); len(values) > 0 {
		return fmt.Sprintf("%s is not allowed; use one of %s", got, strings.Join(values, ", "))
	}
	if lo, hi, ok := bounds(constraint); ok {
		if n, ok := intLit(info.expr); ok && (n < lo || n > hi) {
			switch {
			case hi == maxBound:
				return fmt.Sprintf("%s is below the minimum %d", got, lo)
			case lo == minBound:
				return fmt.Sprintf("%s is above the maximum %d", got, hi)
			}
			return fmt.Sprintf("%s is out of range %d..%d", got, lo, hi)
		}
	}
	if fi.want != "" && !info.elem || fi.want != "" && constraint.IncompleteKind() == cue.StringKind {
		return fmt.Sprintf("%s is not %s", got, fi.want)
	}
	return ""
}

// render shows a literal as the user wrote it (strings quoted), and
// anything else by its kind.
func render(x ast.Expr) string {
	switch k := exprKind(x); k {
	case cue.StructKind, cue.ListKind, cue.BottomKind:
		return kindWord(k)
	}
	if u, ok := x.(*ast.UnaryExpr); ok {
		return u.Op.String() + render(u.X)
	}
	lit := x.(*ast.BasicLit)
	if s, ok := stringLit(lit); ok {
		return strconv.Quote(s)
	}
	return lit.Value
}

// kindWord names a CUE kind for messages.
func kindWord(k cue.Kind) string {
	switch k {
	case cue.StringKind:
		return "a string"
	case cue.IntKind:
		return "an integer"
	case cue.FloatKind, cue.NumberKind:
		return "a number"
	case cue.BoolKind:
		return "true or false"
	case cue.NullKind:
		return "empty (null)"
	case cue.ListKind:
		return "a list"
	case cue.StructKind:
		return "a mapping"
	case cue.BottomKind:
		return "a computed value"
	}
	return k.String()
}

// enumValues returns the alternatives of a disjunction of concrete values
// (defaults included), unquoted, or nil.
func enumValues(v cue.Value) []string {
	op, args := v.Expr()
	if op == cue.NoOp && len(args) == 1 {
		op, args = args[0].Expr()
	}
	if op != cue.OrOp {
		return nil
	}
	var out []string
	for _, a := range args {
		if !a.IsConcrete() {
			return nil
		}
		s, err := a.String()
		if err != nil {
			s = fmt.Sprint(a)
		}
		out = append(out, s)
	}
	return out
}

const (
	minBound = -1 << 63
	maxBound = 1<<63 - 1
)

// bounds returns the integer bounds of a constraint such as
// int & >=0 & <=65534; a missing side is minBound or maxBound.
func bounds(v cue.Value) (lo, hi int64, ok bool) {
	lo, hi = minBound, maxBound
	var visit func(v cue.Value, depth int)
	visit = func(v cue.Value, depth int) {
		op, args := v.Expr()
		switch {
		case depth > 4:
		case op == cue.AndOp || op == cue.NoOp && len(args) == 1:
			for _, a := range args {
				visit(a, depth+1)
			}
		case len(args) == 1:
			n, err := args[0].Int64()
			if err != nil {
				return
			}
			switch op {
			case cue.GreaterThanEqualOp:
				lo, ok = max(lo, n), true
			case cue.GreaterThanOp:
				lo, ok = max(lo, n+1), true
			case cue.LessThanEqualOp:
				hi, ok = min(hi, n), true
			case cue.LessThanOp:
				hi, ok = min(hi, n-1), true
			}
		}
	}
	visit(v, 0)
	return lo, hi, ok
}
