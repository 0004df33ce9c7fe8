package schema

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/format"
)

// schemaErrors turns CUE's validation errors for one unit into one LB0001
// issue per offending value, positioned at the value in the user's file.
// CUE reports a wrong enum value once per alternative; they collapse into
// one message that lists the allowed values.
func (w *walker) schemaErrors(u unit) {
	var order [][]string
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
		key := strings.Join(path, ".")
		if w.reported[key] {
			continue
		}
		if _, seen := byPath[key]; !seen {
			order = append(order, path)
		}
		byPath[key] = append(byPath[key], e)
	}
	for _, path := range order {
		w.explain(path, byPath[strings.Join(path, ".")])
	}
}

// explain reports the value at path, which CUE rejected with errs.
func (w *walker) explain(path []string, errs []cueerrors.Error) {
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
	w.issue(info.pos, strings.Join(path, "."), msg)
}

// unquoted renders a concrete value, strings without quotes.
func unquoted(v cue.Value) string {
	if s, err := v.String(); err == nil {
		return s
	}
	return fmt.Sprint(v)
}

// cueMessage is CUE's message for e on one line, reworded where CUE's
// words are about its own syntax.
func cueMessage(e cueerrors.Error) string {
	format, args := e.Msg()
	if format == "invalid value %v (out of bound %s)" && len(args) == 2 {
		return fmt.Sprintf("%v must be %s", args[0], args[1])
	}
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
	switch k := exprKind(info.expr); {
	case k == cue.NullKind:
		return "has no value, want " + kindWord(want, true)
	case k == cue.StructKind || k == cue.ListKind:
		if k&want == 0 {
			return fmt.Sprintf("is %s, want %s", kindWord(k, false), kindWord(want, true))
		}
		if list, ok := info.expr.(*ast.ListLit); ok && len(list.Elts) == 0 {
			return "must not be empty"
		}
	case k != cue.BottomKind && k&want == 0:
		return fmt.Sprintf("%s is %s, want %s", got, kindWord(k, false), kindWord(want, true))
	}
	if s, ok := stringLit(info.expr); ok && s == "" {
		return "must not be empty"
	}
	// An enum or a single allowed value explains the error only when the
	// value is not one of them (an if clause may reject an allowed one).
	s, isString := stringLit(info.expr)
	if values := enumValues(constraint); len(values) > 0 && !(isString && slices.Contains(values, s)) {
		return fmt.Sprintf("%s is not allowed; use one of %s", got, strings.Join(values, ", "))
	}
	if constraint.IsConcrete() && !(isString && s == unquoted(constraint)) {
		return fmt.Sprintf("%s is not allowed; use %s", got, unquoted(constraint))
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
	if fi.want != "" && constraint.IncompleteKind() == cue.StringKind {
		return fmt.Sprintf("%s is not %s", got, fi.want)
	}
	return ""
}

// render shows a literal as the user wrote it (strings quoted), a short
// CUE expression as CUE, and anything else by its kind.
func render(x ast.Expr) string {
	switch k := exprKind(x); k {
	case cue.StructKind, cue.ListKind:
		return kindWord(k, false)
	}
	if u, ok := x.(*ast.UnaryExpr); ok {
		return u.Op.String() + render(u.X)
	}
	if s, ok := stringLit(x); ok {
		return strconv.Quote(s)
	}
	if lit, ok := x.(*ast.BasicLit); ok {
		return lit.Value
	}
	if b, err := format.Node(x); err == nil && len(b) <= 40 && !bytes.ContainsRune(b, '\n') {
		return string(b) // a CUE input's type or expression, such as string
	}
	return kindWord(cue.BottomKind, false)
}

// kindWord names a CUE kind for messages: as the kind of a value, or, for
// want, as what is expected ("true or false"). A kind with several bits
// lists them.
func kindWord(k cue.Kind, want bool) string {
	var words []string
	for _, c := range []struct {
		k          cue.Kind
		word, want string
	}{
		{cue.StringKind, "a string", "a string"},
		{cue.IntKind, "an integer", "an integer"},
		{cue.FloatKind, "a number", "a number"},
		{cue.BoolKind, "a boolean", "true or false"},
		{cue.NullKind, "null", "null"},
		{cue.ListKind, "a list", "a list"},
		{cue.StructKind, "a mapping", "a mapping"},
	} {
		if k&c.k != 0 {
			if want {
				words = append(words, c.want)
			} else {
				words = append(words, c.word)
			}
		}
	}
	if len(words) == 0 {
		return "a computed value"
	}
	return strings.Join(words, " or ")
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
		out = append(out, unquoted(a))
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
