package schema

import "reflect"

var nodeType = reflect.TypeFor[Node]()

// Walk calls visit with the Node of every model object in d: load
// balancers and their frontends, pools, members, probes and rules, VMs with
// their NICs and IP configurations, guests with their interfaces,
// listeners and firewalls, network security groups with their security
// rules, and subnets. It follows exported struct, pointer and slice
// fields, so new model types are covered without changes here. An object
// reachable twice (a NAT rule's target that is also a pool member) is
// visited twice.
func Walk(d *Deployment, visit func(*Node)) {
	if d != nil {
		walk(reflect.ValueOf(d).Elem(), visit)
	}
}

func walk(v reflect.Value, visit func(*Node)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), visit)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			switch f := t.Field(i); {
			case f.Anonymous && f.Type == nodeType:
				visit(v.Field(i).Addr().Interface().(*Node))
			case f.IsExported() && !f.Anonymous:
				walk(v.Field(i), visit)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), visit)
		}
	}
}
