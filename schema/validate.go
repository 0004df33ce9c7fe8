package schema

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
)

// Validation cuts each document into units so that large deployments are
// validated in parallel, each worker on its own compiled schema, and so
// that no unit is large: CUE's time grows faster than linearly with the
// size of one value. An object weighs one plus the weight of every object
// in its lists of objects. An object of weight splitAt or more is
// validated with those lists emptied; each list is then validated in
// chunks of consecutive elements of weight up to chunk, and an element
// that weighs splitAt or more on its own is split again, at any depth (a
// deployment with one load balancer of 30,000 rules). The errors' paths
// are made relative to the document. The schema has no constraint between
// a list element and its parent, so the split reports the same errors as
// validating the whole document.

const (
	// splitAt is the weight from which an object is split.
	splitAt = 64
	// chunk is the most weight validated together in one chunk of a list.
	chunk = 128
)

// unit is one piece of a document validated on its own: an object of def
// at path prefix or, when field is set, a chunk of the list in that field
// of such an object, starting at element offset.
type unit struct {
	w      *walker  // the document's walker
	def    *defInfo // the loader's copy; workers look theirs up by type
	field  string
	offset int
	expr   ast.Expr
	prefix string // the document path of the object
	err    error  // CUE's validation errors
	strip  int    // leading error path elements naming the constraint
}

// split appends the units of expr, an object of def at path prefix.
func split(w *walker, def *defInfo, expr ast.Expr, prefix string, out []unit) []unit {
	st, ok := expr.(*ast.StructLit)
	if !ok || weight(def, st) < splitAt {
		return append(out, unit{w: w, def: def, expr: expr, prefix: prefix})
	}
	shallow := &ast.StructLit{Elts: make([]ast.Decl, 0, len(st.Elts))}
	for _, d := range st.Elts {
		f, list, name := objectList(def, d)
		if list == nil {
			shallow.Elts = append(shallow.Elts, d)
			continue
		}
		empty := *f
		empty.Value = &ast.ListLit{}
		shallow.Elts = append(shallow.Elts, &empty)
		elem := def.fields[name].def
		start, sum := 0, 0 // the current chunk's first element and weight
		flush := func(end int) {
			if end > start {
				part := &ast.ListLit{Elts: list.Elts[start:end]}
				out = append(out, unit{w: w, def: def, field: name, offset: start, expr: part, prefix: prefix})
			}
		}
		for i, x := range list.Elts {
			n := weight(elem, x)
			switch {
			case n >= splitAt:
				flush(i)
				out = split(w, elem, x, join(join(prefix, name), strconv.Itoa(i)), out)
				start, sum = i+1, 0
				continue
			case sum+n > chunk:
				flush(i)
				start, sum = i, 0
			}
			sum += n
		}
		flush(len(list.Elts))
	}
	return append(out, unit{w: w, def: def, expr: shallow, prefix: prefix})
}

// objectList returns d as a field of def holding a list of objects, with
// its name, or a nil list.
func objectList(def *defInfo, d ast.Decl) (*ast.Field, *ast.ListLit, string) {
	f, ok := d.(*ast.Field)
	if !ok {
		return nil, nil, ""
	}
	list, ok := f.Value.(*ast.ListLit)
	name, _, err := ast.LabelName(f.Label)
	if !ok || err != nil || def.fields[name] == nil || def.fields[name].def == nil {
		return nil, nil, ""
	}
	return f, list, name
}

// weight is one for x, an object of def, plus the weight of every object
// in its lists of objects.
func weight(def *defInfo, x ast.Expr) int {
	st, ok := x.(*ast.StructLit)
	if !ok {
		return 1
	}
	n := 1
	for _, d := range st.Elts {
		if _, list, name := objectList(def, d); list != nil {
			for _, e := range list.Elts {
				n += weight(def.fields[name].def, e)
			}
		}
	}
	return n
}

// validate runs CUE on every unit, in parallel, and stores each unit's
// errors in it. The error is only about the embedded schema.
func validate(units []unit) error {
	workers := min(runtime.GOMAXPROCS(0), len(units))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for k := range workers {
		wg.Go(func() {
			c, err := acquire()
			if err != nil {
				errs[k] = err
				return
			}
			defer release(c)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(units) {
					return
				}
				u := &units[i]
				constraint := c.defs[u.def.typ].value
				if u.field != "" {
					constraint = c.defs[u.def.typ].fields[u.field].value
				}
				u.strip = len(constraint.Path().Selectors())
				if fastPath && c.fastValid(u) {
					continue
				}
				u.err = catch(u.w.filename, func() error {
					v := c.ctx.BuildExpr(u.expr)
					return constraint.Unify(v).Validate(cue.Concrete(true), cue.All())
				})
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// path returns the document path of an error in u, one element per
// label or index (a sysctl name may contain dots).
func (u *unit) path(e []string) []string {
	e = e[min(u.strip, len(e)):]
	var p []string
	if u.prefix != "" {
		p = strings.Split(u.prefix, ".")
	}
	for i, elem := range e {
		if s, err := strconv.Unquote(elem); err == nil {
			elem = s
		}
		if i == 0 && u.field != "" {
			n, _ := strconv.Atoi(elem)
			p = append(p, u.field)
			elem = strconv.Itoa(n + u.offset)
		}
		p = append(p, elem)
	}
	return p
}
