package arm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/arm/expr"
)

// reader reads the properties of one evaluated ARM object into one model
// node, recording field positions and unknown values.
type reader struct {
	im   *importer
	obj  *expr.Value
	node *schema.Node
}

// child returns a reader for the named child object v, read into n: it
// sets *name to the object's name, positions n at v with path
// prefix+name, and records where the name is written.
func (r *reader) child(v *expr.Value, n *schema.Node, name *string, prefix string) *reader {
	c := &reader{im: r.im, obj: v, node: n}
	*name = c.name()
	n.SetPos(pos(v.At), prefix+*name)
	c.nameField()
	return c
}

// nameField records where the object's name is written, and marks it
// unknown when it is only known at deployment (the object keeps its
// placeholder name, so that rules that name it in a finding skip it).
func (r *reader) nameField() {
	m, ok := r.obj.Member("name")
	switch {
	case !ok:
	case m.Value.Kind == expr.Unknown:
		r.unknown("name", m.KeyAt, m.Value.Reason())
	default:
		r.node.SetField("name", pos(m.KeyAt))
	}
}

// name is the object's own name (never under properties); a name only
// known at deployment is its placeholder.
func (r *reader) name() string {
	v := r.obj.Get("name")
	if s, ok := v.Name(); ok {
		return lastName(s)
	}
	if v != nil && v.Kind == expr.Unknown {
		if v.Expr != "" {
			return v.Expr
		}
		return fmt.Sprintf("(name at line %d)", v.At.Line)
	}
	return ""
}

// member finds a property in the REST shape (properties.name) or the
// flattened shape az CLI prints (name), with the position of its key.
func (r *reader) member(name string) (expr.Member, bool) {
	if m, ok := r.obj.Get("properties").Member(name); ok {
		return m, true
	}
	return r.obj.Member(name)
}

// value returns property prop for model field field: ok is false when it
// is absent or null, or its value is not known (then field is marked
// unknown, with the reason).
func (r *reader) value(field, prop string) (*expr.Value, expr.Pos, bool) {
	m, found := r.member(prop)
	if !found || m.Value.Kind == expr.Null {
		return nil, expr.Pos{}, false
	}
	if !m.Value.Known() {
		r.unknown(field, m.KeyAt, m.Value.Reason())
		return nil, expr.Pos{}, false
	}
	r.node.SetField(field, pos(m.KeyAt))
	return m.Value, m.KeyAt, true
}

// unknown marks field unknown at p.
func (r *reader) unknown(field string, p expr.Pos, why string) {
	r.im.f.UnknownAt(r.node, field, pos(p), why)
}

func (r *reader) typeError(field string, at expr.Pos, want string, got *expr.Value) {
	r.im.issue(r.node.Path(), at, schema.RuleSchema, "%s.%s: want %s, got %s", r.node.Path(), field, want, show(got))
}

// show renders a value for messages.
func show(v *expr.Value) string {
	switch v.Kind {
	case expr.String:
		return strconv.Quote(v.Str)
	case expr.Int:
		return strconv.FormatInt(v.Int, 10)
	case expr.Bool:
		return strconv.FormatBool(v.Bool)
	}
	return "a " + v.Kind.String()
}

func (r *reader) str(dst *string, field, prop string) {
	v, at, ok := r.value(field, prop)
	if !ok {
		return
	}
	switch v.Kind {
	case expr.String:
		*dst = v.Str
	case expr.Int:
		*dst = strconv.FormatInt(v.Int, 10)
	default:
		r.typeError(field, at, "a string", v)
	}
}

// enum reads a string that ARM matches case-insensitively against values
// and stores the canonical spelling; a value outside them is kept as
// written.
func enum[T ~string](r *reader, dst *T, field, prop string, values ...T) {
	var s string
	r.str(&s, field, prop)
	if s == "" {
		return
	}
	*dst = T(s)
	for _, v := range values {
		if strings.EqualFold(s, string(v)) {
			*dst = v
		}
	}
}

func (r *reader) int(dst *int, field, prop string) {
	v, at, ok := r.value(field, prop)
	if !ok {
		return
	}
	n, isInt := v.AsInt()
	if !isInt || n != int64(int(n)) {
		r.typeError(field, at, "an integer", v)
		return
	}
	*dst = int(n)
}

func (r *reader) bool(dst *bool, field, prop string) {
	v, at, ok := r.value(field, prop)
	if !ok {
		return
	}
	switch {
	case v.Kind == expr.Bool:
		*dst = v.Bool
	case v.Kind == expr.String:
		b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(v.Str)))
		if err != nil {
			r.typeError(field, at, "true or false", v)
			return
		}
		*dst = b
	default:
		r.typeError(field, at, "true or false", v)
	}
}

// ref reads a SubResource ({"id": ...}, or a bare ID string) of property
// prop and stores the name that follows /seg/ in the ID. Placeholder IDs
// are fine: the name is what matters.
func (r *reader) ref(dst *string, field, prop, seg string) {
	m, ok := r.member(prop)
	if !ok {
		return
	}
	r.refValue(dst, field, m.Value, m.KeyAt, seg)
}

func (r *reader) refValue(dst *string, field string, v *expr.Value, at expr.Pos, seg string) {
	if v.IsNull() {
		return
	}
	if v.Kind == expr.Object {
		v = v.Get("id")
		if v == nil {
			return
		}
	}
	id, ok := v.Name()
	if !ok {
		if v.Kind == expr.Unknown {
			r.unknown(field, at, v.Why)
			return
		}
		r.typeError(field, at, "a resource ID", v)
		return
	}
	name := segment(id, seg)
	switch {
	case name == "" && v.Symbolic:
		r.unknown(field, at, v.Reason())
		return
	case name == "":
		r.typeError(field, at, "an ID containing /"+seg+"/NAME", v)
		return
	}
	*dst = name
	r.node.SetField(field, pos(at))
}

// list returns the elements of list property prop. A list only known at
// deployment, or an element that is, is reported once and the node's field
// prop is marked unknown: the objects it holds are not checked.
func (r *reader) list(prop, what string) []*expr.Value {
	m, ok := r.member(prop)
	if !ok || m.Value.Kind == expr.Null {
		return nil
	}
	switch v := m.Value; v.Kind {
	case expr.Array:
		out := make([]*expr.Value, 0, len(v.Elems))
		for i, e := range v.Elems {
			switch e.Kind {
			case expr.Object:
				out = append(out, e)
			case expr.Unknown:
				r.node.SetUnknown(prop, pos(m.KeyAt), e.Why)
				r.im.issue(r.node.Path(), e.At, schema.RuleUnknown, "%s: %s number %d is only known at deployment (%s); it is not checked", r.node.Path(), what, i+1, e.Why)
			default:
				r.typeError(prop, e.At, "an object", e)
			}
		}
		return out
	case expr.Unknown:
		r.node.SetUnknown(prop, pos(m.KeyAt), v.Why)
		r.im.issue(r.node.Path(), m.KeyAt, schema.RuleUnknown, "%s: %s is only known at deployment (%s); its %ss are not checked", r.node.Path(), prop, v.Why, what)
	default:
		r.typeError(prop, m.KeyAt, "an array", v)
	}
	return nil
}

// poolMember turns a NIC IP configuration ID into a pool member, with the
// VM when a VM resource in the file names the NIC (else VM is empty). It
// returns nil when the ID does not name an IP configuration.
func (im *importer) poolMember(ref *expr.Value, path string) *schema.PoolMember {
	id, ok := ref.Get("id").Name()
	nic, cfg := segment(id, "networkInterfaces"), segment(id, "ipConfigurations")
	if !ok || nic == "" || cfg == "" {
		return nil
	}
	m := &schema.PoolMember{VM: im.vmByNIC[strings.ToLower(nic)].name, NetworkInterface: nic, IPConfiguration: cfg}
	m.SetPos(pos(ref.At), path)
	return m
}
