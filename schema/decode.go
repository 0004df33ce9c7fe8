package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// A document is checked in two complementary ways. CUE validates the
// document unified with #Deployment and reports wrong values (enums,
// ranges, types, addresses). The walker below decodes the document's
// syntax tree into the model: it records the user's position of every
// object and field, fills defaults taken from the schema, and itself
// reports unknown and missing required fields, which CUE leaves out
// whenever a document also holds a wrong value. Walking the syntax tree
// rather than CUE values keeps loading large deployments fast.

// walker decodes one document.
type walker struct {
	c        *compiled
	filename string
	src      []byte   // the file's content
	root     ast.Expr // the document's syntax
	// doc is the document's value; value positions come from it when
	// the syntax tree has none (a CUE file that computes its values).
	doc   cue.Value
	stack []cue.Selector // path of the value being decoded, for doc
	// reported holds the paths of fields reported unknown or missing,
	// whose CUE errors would repeat the issue.
	reported map[string]bool
	issues   []Issue
}

// document decodes one document (a YAML document, a JSON file or a CUE
// file) into l.dep and queues it for validation. expr is the document's
// syntax, with positions; data is its value for a CUE file that computes
// values (positions come from it), and the zero Value otherwise.
func (l *loader) document(filename string, src []byte, data cue.Value, expr ast.Expr) {
	w := &walker{c: l.c, filename: filename, src: src, root: expr, doc: data, reported: make(map[string]bool)}
	l.walkers = append(l.walkers, w)
	st, ok := expr.(*ast.StructLit)
	if !ok {
		v, _ := w.c.ctx.BuildExpr(expr).Default()
		if k := v.IncompleteKind(); k != cue.NullKind { // null: an empty YAML document
			w.issue(w.pos(expr.Pos()), "", "a document must be a mapping with loadBalancers, vms and guests, not "+kindWord(k, false))
		}
		return
	}
	def := w.c.defs[reflect.TypeFor[Deployment]()]
	var doc Deployment
	w.object(reflect.ValueOf(&doc), def, st, w.pos(st.Pos()), "", "", -1)
	l.units = split(w, def, st, "", l.units)
	l.dep.LoadBalancers = append(l.dep.LoadBalancers, doc.LoadBalancers...)
	l.dep.VMs = append(l.dep.VMs, doc.VMs...)
	l.dep.Guests = append(l.dep.Guests, doc.Guests...)
	l.dep.NetworkSecurityGroups = append(l.dep.NetworkSecurityGroups, doc.NetworkSecurityGroups...)
	l.dep.Subnets = append(l.dep.Subnets, doc.Subnets...)
}

// issue records an LB0001 issue, its message prefixed with path.
func (w *walker) issue(pos Pos, path, msg string) {
	if path != "" {
		msg = path + ": " + msg
	}
	w.issues = append(w.issues, Issue{Pos: pos, Rule: RuleSchema, Message: msg})
}

// pos converts p, asking the document's value for the position of the
// value being decoded when the syntax tree has none.
func (w *walker) pos(p token.Pos) Pos {
	if !p.IsValid() && w.doc.Exists() {
		p = w.doc.LookupPath(cue.MakePath(w.stack...)).Pos()
	}
	return toPos(p, w.filename)
}

// labelPos is the position of a field's name, including the opening quote
// of a quoted name (CUE points inside it).
func (w *walker) labelPos(l ast.Label) Pos {
	p := w.pos(l.Pos())
	if off := l.Pos().Offset(); l.Pos().IsValid() && off > 0 && off <= len(w.src) && w.src[off-1] == '"' && p.Column > 1 {
		p.Column--
	}
	return p
}

func (w *walker) push(sel cue.Selector) { w.stack = append(w.stack, sel) }
func (w *walker) pop()                  { w.stack = w.stack[:len(w.stack)-1] }

// nodeSetter is implemented by every model type through its embedded Node.
type nodeSetter interface {
	SetPos(p Pos, path string)
	SetField(field string, p Pos)
}

// fields returns the fields of a struct literal by name.
func fields(st *ast.StructLit) ([]string, []*ast.Field) {
	var names []string
	var fs []*ast.Field
	for _, d := range st.Elts {
		f, ok := d.(*ast.Field)
		if !ok || f.Value == nil {
			continue
		}
		name, _, err := ast.LabelName(f.Label)
		if err != nil {
			continue
		}
		names = append(names, name)
		fs = append(fs, f)
	}
	return names, fs
}

// object decodes st, written at objPos, into the struct ptr points to.
// ipath is the index path used in messages
// ("loadBalancers.0.loadBalancingRules.3"); base and index build the
// object's named path: base.name, or base.index when the object has no
// name, or base alone when index < 0.
func (w *walker) object(ptr reflect.Value, def *defInfo, st *ast.StructLit, objPos Pos, ipath, base string, index int) {
	elem := ptr.Elem()
	names, fs := fields(st)
	written := make(map[string]*ast.Field, len(fs))
	fieldPos := make(map[string]Pos, len(fs))
	type nested struct {
		fi    *fieldInfo
		label string
		value ast.Expr
		pos   Pos
	}
	var later []nested
	for i, label := range names {
		f := fs[i]
		written[label] = f
		w.push(cue.Str(label))
		p := w.labelPos(f.Label)
		fieldPos[label] = p
		fi := def.fields[label]
		switch {
		case fi == nil && def.extensions && strings.HasPrefix(label, "x-"):
		case fi == nil:
			msg := fmt.Sprintf("unknown field %q", label)
			if s := closest(label, def.names); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			w.issue(p, ipath, msg)
			w.reported[join(ipath, label)] = true
		case fi.goIndex < 0:
		case fi.def != nil:
			later = append(later, nested{fi, label, f.Value, p})
		default:
			w.scalar(elem.Field(fi.goIndex), f.Value)
		}
		w.pop()
	}
	if def.conditional {
		w.conditional(def, st, written, objPos, ipath)
	} else {
		for _, label := range def.required {
			if _, ok := written[label]; !ok {
				w.missing(objPos, ipath, label, "")
			}
		}
	}
	for _, label := range def.names {
		if fi := def.fields[label]; written[label] == nil && fi.dflt.IsValid() {
			elem.Field(fi.goIndex).Set(fi.dflt)
		}
	}

	path := base
	if index >= 0 {
		path = join(base, key(elem, index))
	}
	if n, ok := ptr.Interface().(nodeSetter); ok {
		n.SetPos(objPos, path)
		for label, p := range fieldPos {
			if def.fields[label] != nil {
				n.SetField(label, p)
			}
		}
	}
	for _, n := range later {
		w.push(cue.Str(n.label))
		w.nested(elem.Field(n.fi.goIndex), n.fi.def, n.value, n.pos, join(ipath, n.label), join(path, n.label))
		w.pop()
	}
}

// missing reports a required field the object lacks; why, from the
// schema's @lbcheck(why=...), says when a field is only sometimes required.
func (w *walker) missing(objPos Pos, ipath, label, why string) {
	if fpath := join(ipath, label); !w.reported[fpath] {
		msg := "missing required field " + label
		if why != "" {
			msg += " (" + why + ")"
		}
		w.issue(objPos, ipath, msg)
		w.reported[fpath] = true
	}
}

// conditional reports the fields the definition requires given the
// object's other values (requestPath of an Http probe), which only CUE can
// tell: the definition's own required fields may depend on them too.
func (w *walker) conditional(def *defInfo, st *ast.StructLit, written map[string]*ast.Field, objPos Pos, ipath string) {
	v := w.doc.LookupPath(cue.MakePath(w.stack...))
	if !w.doc.Exists() {
		v = w.c.ctx.BuildExpr(st)
	}
	u := def.value.Unify(v)
	it, err := u.Fields(cue.Optional(true))
	if err != nil {
		return
	}
	for it.Next() {
		label := it.Selector().Unquoted()
		if it.Selector().ConstraintType() == cue.RequiredConstraint && written[label] == nil {
			w.missing(objPos, ipath, label, attr(it.Value(), "why"))
		}
	}
}

// key names an object in a path: its name (the VM for a guest), else its
// index.
func key(elem reflect.Value, index int) string {
	name := "Name"
	if elem.Type() == reflect.TypeFor[Guest]() {
		name = "VM"
	}
	if f := elem.FieldByName(name); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
		return f.String()
	}
	return strconv.Itoa(index)
}

// nested decodes a list of objects or one object, whose field is at pos.
// Elements the user did not write as mappings are skipped (CUE reports
// them), so lists never hold nil.
func (w *walker) nested(f reflect.Value, def *defInfo, x ast.Expr, pos Pos, ipath, npath string) {
	if f.Kind() == reflect.Pointer {
		if st, ok := x.(*ast.StructLit); ok {
			p := reflect.New(f.Type().Elem())
			w.object(p, def, st, pos, ipath, npath, -1)
			f.Set(p)
		}
		return
	}
	list, ok := x.(*ast.ListLit)
	if !ok {
		return
	}
	for i, e := range list.Elts {
		st, ok := e.(*ast.StructLit)
		if !ok {
			continue
		}
		w.push(cue.Index(i))
		p := reflect.New(f.Type().Elem().Elem())
		w.object(p, def, st, w.pos(st.Pos()), join(ipath, strconv.Itoa(i)), npath, i)
		f.Set(reflect.Append(f, p))
		w.pop()
	}
}

// scalar decodes a string, int, bool, []string or map[string]string. A
// value of the wrong kind leaves the field at its zero value; CUE's errors
// explain why.
func (w *walker) scalar(f reflect.Value, x ast.Expr) {
	switch f.Kind() {
	case reflect.String:
		if s, ok := stringLit(x); ok {
			f.SetString(s)
		}
	case reflect.Int:
		if n, ok := intLit(x); ok && !f.OverflowInt(n) {
			f.SetInt(n)
		}
	case reflect.Bool:
		if lit, ok := x.(*ast.BasicLit); ok && (lit.Kind == token.TRUE || lit.Kind == token.FALSE) {
			f.SetBool(lit.Kind == token.TRUE)
		}
	case reflect.Slice: // []string
		if list, ok := x.(*ast.ListLit); ok {
			for _, e := range list.Elts {
				if s, ok := stringLit(e); ok {
					f.Set(reflect.Append(f, reflect.ValueOf(s)))
				}
			}
		}
	case reflect.Map: // map[string]string; sysctl values may be numbers
		if st, ok := x.(*ast.StructLit); ok {
			m := reflect.MakeMap(f.Type())
			names, fs := fields(st)
			for i, name := range names {
				s, ok := stringLit(fs[i].Value)
				if n, isInt := intLit(fs[i].Value); isInt {
					s, ok = strconv.FormatInt(n, 10), true
				}
				if ok {
					m.SetMapIndex(reflect.ValueOf(name), reflect.ValueOf(s))
				}
			}
			f.Set(m)
		}
	}
}

// stringLit returns the value of a string literal.
func stringLit(x ast.Expr) (string, bool) {
	lit, ok := x.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := literal.Unquote(lit.Value)
	return s, err == nil
}

// intLit returns the value of an integer literal, possibly negated.
func intLit(x ast.Expr) (int64, bool) {
	neg := false
	if u, ok := x.(*ast.UnaryExpr); ok && (u.Op == token.SUB || u.Op == token.ADD) {
		neg, x = u.Op == token.SUB, u.X
	}
	lit, ok := x.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, false
	}
	var info literal.NumInfo
	if err := literal.ParseNum(lit.Value, &info); err != nil || !info.IsInt() {
		return 0, false
	}
	n, err := strconv.ParseInt(info.String(), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// exprKind is the kind of a literal, or BottomKind for anything else.
func exprKind(x ast.Expr) cue.Kind {
	if u, ok := x.(*ast.UnaryExpr); ok {
		x = u.X
	}
	switch x := x.(type) {
	case *ast.StructLit:
		return cue.StructKind
	case *ast.ListLit:
		return cue.ListKind
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			return cue.StringKind
		case token.INT:
			return cue.IntKind
		case token.FLOAT:
			return cue.FloatKind
		case token.TRUE, token.FALSE:
			return cue.BoolKind
		case token.NULL:
			return cue.NullKind
		}
	}
	return cue.BottomKind
}

// join appends a path element.
func join(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + "." + elem
}

// pathInfo describes the value at one path of a document.
type pathInfo struct {
	pos   Pos
	expr  ast.Expr
	def   *defInfo // the definition holding field
	field string   // the field's JSON name
	elem  bool     // the value is an element of field's list or map
}

// lookup finds the syntax at path (labels and indexes) below the document
// root, and the definition and field that constrain it. When the path
// leaves the syntax tree, ok is false and info.pos is the position of the
// deepest value found.
func (w *walker) lookup(path []string) (info pathInfo, ok bool) {
	info.expr = w.root
	info.pos = w.pos(w.root.Pos())
	w.stack = w.stack[:0]
	for _, seg := range path {
		switch x := info.expr.(type) {
		case *ast.StructLit:
			names, fs := fields(x)
			j := slices.Index(names, seg)
			if j < 0 {
				return info, false
			}
			w.push(cue.Str(seg))
			info.expr, info.pos = fs[j].Value, w.labelPos(fs[j].Label)
			def := w.c.defs[reflect.TypeFor[Deployment]()]
			if info.def != nil {
				def = info.def.fields[info.field].def
			}
			if def == nil { // an entry of a map such as sysctls
				info.elem = true
				continue
			}
			if def.fields[seg] == nil {
				return info, false
			}
			info.def, info.field, info.elem = def, seg, false
		case *ast.ListLit:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(x.Elts) {
				return info, false
			}
			w.push(cue.Index(n))
			info.expr = x.Elts[n]
			info.pos, info.elem = w.pos(info.expr.Pos()), true
		default:
			return info, false
		}
	}
	return info, info.def != nil
}
