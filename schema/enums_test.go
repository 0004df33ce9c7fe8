package schema

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
)

// TestEnums checks every typed enumeration against the embedded CUE
// schema: for each model field of an enumeration type, the Go constants
// are exactly the values the schema allows, and every such field is listed
// here.
func TestEnums(t *testing.T) {
	strs := func(vs ...any) []string {
		var out []string
		for _, v := range vs {
			out = append(out, reflect.ValueOf(v).String())
		}
		return out
	}
	each := func(list any) []string {
		v := reflect.ValueOf(list)
		var out []string
		for i := range v.Len() {
			out = append(out, v.Index(i).String())
		}
		return out
	}
	fields := []struct {
		typ    reflect.Type
		field  string
		values []string
	}{
		{reflect.TypeFor[LoadBalancer](), "sku", each(SKUs)},
		{reflect.TypeFor[LoadBalancer](), "type", each(LBTypes)},
		{reflect.TypeFor[Probe](), "protocol", each(ProbeProtocols)},
		{reflect.TypeFor[Probe](), "noHealthyBackendsBehavior", each(NoHealthyBehaviors)},
		{reflect.TypeFor[Rule](), "protocol", each(Protocols)},
		{reflect.TypeFor[Rule](), "loadDistribution", each(Distributions)},
		{reflect.TypeFor[NatRule](), "protocol", each(Protocols)},
		{reflect.TypeFor[OutboundRule](), "protocol", each(Protocols)},
		{reflect.TypeFor[Guest](), "os", each(OSes)},
		{reflect.TypeFor[Interface](), "kind", each(InterfaceKinds)},
		{reflect.TypeFor[Listener](), "proto", strs(SockTCP, SockUDP)},
		{reflect.TypeFor[OutboundFlow](), "proto", strs(SockTCP, SockUDP)},
		{reflect.TypeFor[FirewallRule](), "proto", each(SockProtos)},
		{reflect.TypeFor[FirewallRule](), "action", each(FirewallActions)},
		{reflect.TypeFor[Firewall](), "defaultInbound", each(FirewallActions)},
		{reflect.TypeFor[SecurityRule](), "direction", each(Directions)},
		{reflect.TypeFor[SecurityRule](), "access", each(Accesses)},
		{reflect.TypeFor[SecurityRule](), "protocol", each(SecurityProtocols)},
	}
	c, err := acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer release(c)
	listed := map[string]bool{}
	for _, f := range fields {
		listed[f.typ.Name()+"."+f.field] = true
		fi := c.defs[f.typ].fields[f.field]
		if fi == nil {
			t.Errorf("%s has no field %s in the schema", c.defs[f.typ].name, f.field)
			continue
		}
		got := disjuncts(fi.value)
		slices.Sort(got)
		want := slices.Sorted(slices.Values(f.values))
		if !slices.Equal(got, want) {
			t.Errorf("%s.%s: the schema allows %q, the Go constants are %q", c.defs[f.typ].name, f.field, got, want)
		}
	}
	// Every field of an enumeration type is in the table above.
	for typ := range defNames {
		for i := range typ.NumField() {
			sf := typ.Field(i)
			json, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if sf.Type.Kind() == reflect.String && sf.Type.PkgPath() == typ.PkgPath() && !listed[typ.Name()+"."+json] {
				t.Errorf("%s.%s has the enumeration type %s but TestEnums does not check it", typ.Name(), json, sf.Type.Name())
			}
		}
	}
}

// disjuncts lists the concrete strings of a disjunction such as
// *"Standard" | "Basic" | "Gateway".
func disjuncts(v cue.Value) []string {
	op, args := v.Eval().Expr() // Eval: a reference (#Protocol) is its value
	if op == cue.OrOp {
		var out []string
		for _, a := range args {
			out = append(out, disjuncts(a)...)
		}
		return out
	}
	if s, err := v.String(); err == nil {
		return []string{s}
	}
	return nil
}

func TestProtocolNames(t *testing.T) {
	for p, s := range map[Protocol]SockProto{ProtocolTcp: SockTCP, ProtocolUdp: SockUDP} {
		if p.Sock() != s || s.Transport() != p {
			t.Errorf("%s.Sock() = %s, %s.Transport() = %s", p, p.Sock(), s, s.Transport())
		}
	}
	if SockAny.Transport() != "" {
		t.Errorf("any.Transport() = %q, want none", SockAny.Transport())
	}
}
