package arm

import (
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer/internal/build"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// reader reads the properties of one ARM object into one model node,
// evaluating expressions and recording field positions and unknowns.
type reader struct {
	f    *build.File
	sc   *scope
	obj  *jsonpos.Value
	node *schema.Node
}

// sub returns a reader for the nested object v, positioned at v with path.
func (r *reader) sub(v *jsonpos.Value, n *schema.Node, path string) *reader {
	r.f.Object(n, v, path)
	return &reader{f: r.f, sc: r.sc, obj: v, node: n}
}

// child returns a reader for the named child object v, read into n: it
// sets *name to the object's name, positions n at v with path
// prefix+name, and records where the name is written.
func (r *reader) child(v *jsonpos.Value, n *schema.Node, name *string, prefix string) *reader {
	c := &reader{f: r.f, sc: r.sc, obj: v, node: n}
	*name = c.name()
	r.f.Object(n, v, prefix+*name)
	n.SetField("name", r.f.KeyPos(v.Get("name")))
	return c
}

// prop finds a property in the REST shape (properties.name) or the
// flattened shape az CLI prints (name).
func (r *reader) prop(name string) *jsonpos.Value {
	if v := r.obj.Path("properties", name); v != nil {
		return v
	}
	return r.obj.Get(name)
}

// eval evaluates a JSON value to a string without recording anything.
func (r *reader) eval(v *jsonpos.Value) (string, bool) {
	out, err := r.sc.fromJSON(v, true)
	if err != nil {
		return "", false
	}
	s, err := scalarString(out)
	return s, err == nil
}

// value evaluates property name for model field field. It returns false when
// the property is absent, or unknown (then marked and reported).
func (r *reader) value(field string, v *jsonpos.Value) (any, bool) {
	if v.IsNull() {
		return nil, false
	}
	out, err := r.sc.fromJSON(v, true)
	if err != nil {
		r.f.Unknown(r.node, field, v, describe(v, err))
		return nil, false
	}
	r.node.SetField(field, r.f.KeyPos(v))
	return out, true
}

// describe names the expression that could not be evaluated and why.
func describe(v *jsonpos.Value, err error) string {
	if v.Kind == jsonpos.String {
		return strconv.Quote(v.Text) + ": " + err.Error()
	}
	return err.Error()
}

func (r *reader) typeError(field string, v *jsonpos.Value, want string, got any) {
	r.f.Issuef(r.f.KeyPos(v), build.RuleSchema, "%s.%s: want %s, got %v", r.node.Path(), field, want, got)
}

// name is the object's own name (never under properties).
func (r *reader) name() string {
	s, _ := r.eval(r.obj.Get("name"))
	return lastName(s)
}

func (r *reader) str(dst *string, field, prop string) {
	v := r.prop(prop)
	out, ok := r.value(field, v)
	if !ok {
		return
	}
	if s, err := scalarString(out); err == nil {
		*dst = s
		return
	}
	r.typeError(field, v, "a string", out)
}

func (r *reader) int(dst *int, field, prop string) {
	v := r.prop(prop)
	out, ok := r.value(field, v)
	if !ok {
		return
	}
	if n, ok := intArg([]any{out}, 0); ok {
		*dst = n
		return
	}
	r.typeError(field, v, "an integer", out)
}

func (r *reader) bool(dst *bool, field, prop string) {
	v := r.prop(prop)
	out, ok := r.value(field, v)
	if !ok {
		return
	}
	switch b := out.(type) {
	case bool:
		*dst = b
		return
	case string:
		if pb, err := strconv.ParseBool(b); err == nil {
			*dst = pb
			return
		}
	}
	r.typeError(field, v, "true or false", out)
}

// ref reads a SubResource ({"id": ...}) and stores the name that follows
// /segment/ in the ID.
func (r *reader) ref(dst *string, field string, v *jsonpos.Value, seg string) {
	if v.IsNull() {
		return
	}
	id := v.Get("id")
	if id == nil {
		id = v // a bare ID string
	}
	out, ok := r.value(field, id)
	if !ok {
		return
	}
	s, err := scalarString(out)
	if name := segment(s, seg); err == nil && name != "" {
		*dst = name
		r.node.SetField(field, r.f.KeyPos(v))
		return
	}
	r.typeError(field, v, "an ID containing /"+seg+"/NAME", out)
}

// member turns a NIC IP configuration ID into a pool member, with the VM
// when a VM resource in the file names the NIC (else VM is empty). It
// returns nil when the ID does not name an IP configuration.
func (r *reader) member(v *jsonpos.Value, vmByNIC map[string]vmRef, path string) *build.Membership {
	id, ok := r.eval(v.Get("id"))
	nic, cfg := segment(id, "networkInterfaces"), segment(id, "ipConfigurations")
	if !ok || nic == "" || cfg == "" {
		return nil
	}
	m := &schema.PoolMember{VM: vmByNIC[strings.ToLower(nic)].name, NetworkInterface: nic, IPConfiguration: cfg}
	r.f.Object(&m.Node, v, path)
	return &build.Membership{Member: m}
}
