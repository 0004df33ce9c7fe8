package schema

import (
	"fmt"
	"reflect"
	"strconv"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// A document is checked in two complementary ways. CUE validates the
// document unified with #Deployment and reports wrong values (enums,
// ranges, types, addresses). The walker below visits the document and the
// unified value side by side: it decodes values into the model (so defaults
// come from the schema), records the user's position of every object and
// field, and itself reports unknown and missing required fields, which CUE
// leaves out whenever a document also holds a wrong value.

// walker decodes one document.
type walker struct {
	c        *compiled
	filename string
	keyPos   map[token.Pos]token.Pos
	issues   []Issue
	// paths records, for every data path ("loadBalancers.0.name"), where it
	// is and what the schema says about it, to explain CUE's errors.
	paths map[string]pathInfo
	// reported holds paths that already carry an issue.
	reported map[string]bool
}

// pathInfo describes one value in the user's document.
type pathInfo struct {
	pos   Pos
	data  cue.Value
	def   *defInfo // the definition holding the field
	field string   // the field's JSON name
	elem  bool     // the value is an element of the field's list or map
}

// document loads one document (a YAML document, a JSON file or a CUE
// file) into l.dep. Callers hold l.c.mu.
func (l *loader) document(filename string, data cue.Value, src ast.Node) {
	w := &walker{
		c:        l.c,
		filename: filename,
		keyPos:   keyPositions(src),
		paths:    make(map[string]pathInfo),
		reported: make(map[string]bool),
	}
	switch data.IncompleteKind() {
	case cue.NullKind:
		return // an empty YAML document
	case cue.StructKind:
	default:
		w.issue(w.pos(data), "", fmt.Sprintf("a document must be a mapping with loadBalancers, vms and guests, not %s", kindWord(data.IncompleteKind())))
		l.issues = append(l.issues, w.issues...)
		return
	}
	u := l.c.deployment.Unify(data)
	var doc Deployment
	w.object(reflect.ValueOf(&doc), u, data, "", "", -1)
	w.schemaErrors(u.Validate(cue.Concrete(true), cue.All()))
	l.dep.LoadBalancers = append(l.dep.LoadBalancers, doc.LoadBalancers...)
	l.dep.VMs = append(l.dep.VMs, doc.VMs...)
	l.dep.Guests = append(l.dep.Guests, doc.Guests...)
	l.issues = append(l.issues, w.issues...)
}

// issue records an LB0001 issue for the value at path.
func (w *walker) issue(pos Pos, path, msg string) {
	w.reported[path] = true
	if path != "" {
		msg = path + ": " + msg
	}
	w.issues = append(w.issues, Issue{Pos: pos, Rule: RuleSchema, Message: msg})
}

// pos returns where v was written: its key when it is a field's value.
func (w *walker) pos(v cue.Value) Pos {
	p := v.Pos()
	if k, ok := w.keyPos[p]; ok {
		p = k
	}
	return toPos(p, w.filename)
}

// nodeSetter is implemented by every model type through its embedded Node.
type nodeSetter interface {
	SetPos(p Pos, path string)
	SetField(field string, p Pos)
}

// dataField is one field the user wrote.
type dataField struct {
	value cue.Value
	pos   Pos
}

// object decodes the struct ptr points to from u (the value unified with
// the schema) and data (the user's value). ipath is the index path used in
// messages; base and index build the object's named path: base.name, or
// base.index when the object has no name, or base alone when index < 0.
func (w *walker) object(ptr reflect.Value, u, data cue.Value, ipath, base string, index int) {
	ti := w.c.defs[ptr.Elem().Type()]
	objPos := w.pos(data)

	// The fields the user wrote: positions, and unknown fields.
	written := make(map[string]dataField)
	if it, err := data.Fields(); err == nil {
		for it.Next() {
			label := it.Selector().Unquoted()
			fpath := join(ipath, label)
			df := dataField{value: it.Value(), pos: w.pos(it.Value())}
			written[label] = df
			w.paths[fpath] = pathInfo{pos: df.pos, data: df.value, def: ti, field: label}
			if _, ok := ti.fields[label]; !ok {
				msg := fmt.Sprintf("unknown field %q", label)
				if s := ti.suggest(label); s != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", s)
				}
				w.issue(df.pos, ipath, msg)
				w.reported[fpath] = true
			}
		}
	}

	// The values, with defaults, from the unified value; missing required
	// fields. Nested objects wait until the object's name is known.
	it, err := u.Fields(cue.Optional(true))
	if err != nil {
		if it, err = data.Fields(); err != nil {
			return
		}
	}
	type nested struct {
		label string
		field reflect.Value
		value cue.Value
	}
	var later []nested
	elem := ptr.Elem()
	for it.Next() {
		sel := it.Selector()
		label := sel.Unquoted()
		if sel.ConstraintType() == cue.RequiredConstraint {
			if _, ok := written[label]; !ok {
				w.issue(objPos, ipath, "missing required field "+label)
				w.reported[join(ipath, label)] = true
			}
			continue
		}
		if sel.ConstraintType() == cue.OptionalConstraint {
			continue
		}
		i, ok := ti.goFields[label]
		if !ok {
			continue
		}
		f := elem.Field(i)
		switch f.Kind() {
		case reflect.Slice, reflect.Pointer:
			if f.Type().Elem().Kind() != reflect.String {
				later = append(later, nested{label, f, it.Value()})
				continue
			}
		}
		w.scalar(f, it.Value(), written[label].value, join(ipath, label), ti, label)
	}

	path := base
	if index >= 0 {
		path = join(base, w.key(elem, index))
	}
	if n, ok := ptr.Interface().(nodeSetter); ok {
		n.SetPos(objPos, path)
		for label, df := range written {
			if _, known := ti.fields[label]; known {
				n.SetField(label, df.pos)
			}
		}
	}
	for _, n := range later {
		w.nested(n.field, n.value, written[n.label].value, join(ipath, n.label), join(path, n.label), ti, n.label)
	}
}

// key names an object in a path: its name (or VM for a guest), else its
// index.
func (w *walker) key(elem reflect.Value, index int) string {
	for _, name := range []string{"Name", "VM"} {
		if f := elem.FieldByName(name); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
			return f.String()
		}
	}
	return strconv.Itoa(index)
}

// scalar decodes a string, int, bool, []string or map[string]string field.
// A value CUE rejects leaves the field at its zero value; the schema
// errors explain why.
func (w *walker) scalar(f reflect.Value, u, data cue.Value, ipath string, def *defInfo, label string) {
	if d, ok := u.Default(); ok {
		u = d
	}
	switch f.Kind() {
	case reflect.String:
		if s, err := u.String(); err == nil {
			f.SetString(s)
		}
	case reflect.Int:
		if n, err := u.Int64(); err == nil && !f.OverflowInt(n) {
			f.SetInt(n)
		}
	case reflect.Bool:
		if b, err := u.Bool(); err == nil {
			f.SetBool(b)
		}
	case reflect.Slice: // []string
		for i := range w.elems(data, ipath, def, label) {
			if s, err := index(u, i).String(); err == nil {
				f.Set(reflect.Append(f, reflect.ValueOf(s)))
			}
		}
	case reflect.Map: // map[string]string
		it, err := data.Fields()
		if err != nil {
			return
		}
		m := reflect.MakeMap(f.Type())
		for it.Next() {
			key := it.Selector().Unquoted()
			w.paths[join(ipath, key)] = pathInfo{pos: w.pos(it.Value()), data: it.Value(), def: def, field: label, elem: true}
			if s, ok := text(u.LookupPath(cue.MakePath(it.Selector()))); ok {
				m.SetMapIndex(reflect.ValueOf(key), reflect.ValueOf(s))
			}
		}
		f.Set(m)
	}
}

// elems lists the elements of the user's list value and records their
// paths; it returns nil when data is not a list.
func (w *walker) elems(data cue.Value, ipath string, def *defInfo, label string) []cue.Value {
	list, err := data.List()
	if err != nil {
		return nil
	}
	var out []cue.Value
	for i := 0; list.Next(); i++ {
		v := list.Value()
		w.paths[join(ipath, strconv.Itoa(i))] = pathInfo{pos: w.pos(v), data: v, def: def, field: label, elem: true}
		out = append(out, v)
	}
	return out
}

// nested decodes a list of objects or a pointer to one object. Elements
// the user did not write as mappings are skipped, so lists never hold nil.
func (w *walker) nested(f reflect.Value, u, data cue.Value, ipath, npath string, def *defInfo, label string) {
	if f.Kind() == reflect.Pointer {
		if data.IncompleteKind() != cue.StructKind {
			return
		}
		p := reflect.New(f.Type().Elem())
		w.object(p, u, data, ipath, npath, -1)
		f.Set(p)
		return
	}
	for i, elem := range w.elems(data, ipath, def, label) {
		if elem.IncompleteKind() != cue.StructKind {
			continue
		}
		p := reflect.New(f.Type().Elem().Elem())
		w.object(p, index(u, i), elem, join(ipath, strconv.Itoa(i)), npath, i)
		f.Set(reflect.Append(f, p))
	}
}

// index returns element i of the unified list u. It looks the element up
// rather than iterating u, because one wrong element makes the whole list
// an error while its other elements stay usable.
func index(u cue.Value, i int) cue.Value {
	return u.LookupPath(cue.MakePath(cue.Index(i)))
}

// join appends a path element.
func join(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + "." + elem
}

// text returns a string or integer value as text: sysctl values may be
// written either way.
func text(v cue.Value) (string, bool) {
	if s, err := v.String(); err == nil {
		return s, true
	}
	if n, err := v.Int64(); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}
