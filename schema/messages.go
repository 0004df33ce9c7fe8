package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
)

// schemaErrors turns CUE's validation errors into one LB0001 issue per
// offending value, positioned at the value in the user's file. CUE reports
// a wrong enum value once per alternative; they collapse into one message
// that lists the allowed values.
func (w *walker) schemaErrors(err error) {
	var order []string
	byPath := make(map[string][]cueerrors.Error)
	for _, e := range cueerrors.Errors(err) {
		format, _ := e.Msg()
		switch {
		case strings.Contains(format, "errors in empty disjunction"),
			strings.HasPrefix(format, "field not allowed"),
			strings.HasPrefix(format, "field is required but not present"):
			continue // summaries, or found by the walker with better positions
		}
		path := errPath(e)
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

// errPath renders an error's path relative to the document.
func errPath(e cueerrors.Error) string {
	p := slices.Clone(e.Path())
	if len(p) > 0 && strings.HasPrefix(p[0], "#") {
		p = p[1:]
	}
	for i, elem := range p {
		if s, err := strconv.Unquote(elem); err == nil {
			p[i] = s
		}
	}
	return strings.Join(p, ".")
}

// explain reports the value at path, which CUE rejected with errs.
func (w *walker) explain(path string, errs []cueerrors.Error) {
	info, ok := w.paths[path]
	if !ok {
		// A value the user did not write directly, such as a field a
		// CUE input computes: report CUE's own words at the nearest
		// enclosing value.
		w.issue(w.nearest(path), path, cueMessage(errs[0]))
		return
	}
	msg := ""
	if fi := info.def.fields[info.field]; fi != nil {
		msg = describe(info, fi)
	}
	if msg == "" {
		msg = cueMessage(errs[0])
	}
	w.issue(info.pos, path, msg)
}

// nearest returns the position of the closest recorded ancestor of path.
func (w *walker) nearest(path string) Pos {
	for path != "" {
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
		if info, ok := w.paths[path]; ok {
			return info.pos
		}
	}
	return Pos{File: w.filename}
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
	data := info.data
	got := render(data)
	want := constraint.IncompleteKind()
	if k := data.IncompleteKind(); k&want == 0 {
		return fmt.Sprintf("%s is %s, want %s", got, kindWord(k), kindWord(want))
	}
	if values := enumValues(constraint); len(values) > 0 {
		return fmt.Sprintf("%s is not allowed; use one of %s", got, strings.Join(values, ", "))
	}
	if lo, hi, ok := bounds(constraint); ok {
		if n, err := data.Int64(); err == nil && (n < lo || n > hi) {
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

// render shows a scalar as CUE (and YAML) would write it, and a list or
// mapping by its kind.
func render(v cue.Value) string {
	switch v.IncompleteKind() {
	case cue.StructKind, cue.ListKind:
		return kindWord(v.IncompleteKind())
	}
	return fmt.Sprint(v)
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
