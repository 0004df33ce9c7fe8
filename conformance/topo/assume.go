package topo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// assume completes what the deployment leaves undeclared about the guest
// of vm with the guest configuration Azure documents, so that a
// deployment lint cannot fault (lint judges only what guests declare)
// passes conform when its load balancer is right:
//
//   - a VM without a guest declaration is a Linux guest holding on lo, as
//     /32, the frontend IP of every Floating IP binding that delivers to it
//     (the multivip doc's guest steps), and of every rule that looks like a
//     SQL Server availability group listener (view.Binding.SQLListener): the
//     cluster puts the listener IP on the node, and SQL Server answers the
//     rule's port on that address alone, so such a rule with Floating IP off
//     is refused as on Azure (lint's LB2004);
//   - a guest that declares no listeners runs a service on the wildcard
//     address for every backend port a binding delivers to it, per
//     protocol, and for every TCP, HTTP or HTTPS probe port of those
//     bindings (HTTP probes get 200; HTTPS is answered without TLS and
//     stays down).
//
// It returns the guest to configure (a copy when anything was assumed;
// the deployment is not changed) and what was assumed, one line per item,
// for the report. HA-ports bindings (any port) add no listener.
func assume(v *view.View, vm *schema.VM) (*schema.Guest, []string) {
	declared := v.Deployment.Guest(vm.Name)
	g := &schema.Guest{VM: vm.Name, OS: schema.OSLinux}
	if declared != nil {
		c := *declared
		g = &c
	}
	var notes []string
	if declared == nil {
		lo := &schema.Interface{Name: "lo", Kind: "loopback", Addresses: []string{"127.0.0.1/8"}}
		for _, b := range v.Bindings {
			for _, d := range b.Deliveries {
				if d.VM == vm && (b.Floating || b.SQLListener()) && d.Excluded == "" && b.FIP().Is4() && !slices.Contains(lo.Addresses, b.FIP().String()+"/32") {
					lo.Addresses = append(lo.Addresses, b.FIP().String()+"/32")
				}
			}
		}
		g.Interfaces = []*schema.Interface{lo}
		notes = append(notes, fmt.Sprintf("%s: no guest declaration: a Linux guest with lo %s", vm.Name, strings.Join(lo.Addresses, ", ")))
	}
	if declared != nil && len(declared.Listeners) > 0 {
		return g, notes
	}
	type key struct {
		proto schema.SockProto
		port  int
	}
	seen := map[key]bool{}
	var served, sql []string
	listen := func(proto schema.SockProto, addr string, port int, why string) {
		if port <= 0 || seen[key{proto, port}] {
			return
		}
		seen[key{proto, port}] = true
		g.Listeners = append(g.Listeners, &schema.Listener{Name: "assumed: " + why, Proto: proto, Address: addr, Port: port})
		if addr == "0.0.0.0" {
			served = append(served, fmt.Sprintf("%s:%d", proto, port))
		} else {
			sql = append(sql, fmt.Sprintf("%s %s:%d (%s)", proto, addr, port, why))
		}
	}
	for _, b := range v.Bindings {
		for _, d := range b.Deliveries {
			if d.VM != vm || d.Excluded != "" || b.HAPorts {
				continue
			}
			addr := "0.0.0.0"
			if declared == nil && b.SQLListener() && b.FIP().Is4() {
				addr = b.FIP().String()
			}
			for _, p := range b.Protocols {
				listen(p.Sock(), addr, d.DstPort, b.String())
			}
			if pr := b.Probe; pr != nil && pr.Protocol != "" {
				listen(schema.SockTCP, "0.0.0.0", pr.Port, "probe "+pr.Name)
			}
		}
	}
	if len(sql) > 0 {
		notes = append(notes, fmt.Sprintf("%s: SQL Server availability group listeners on the listener IP only: %s", vm.Name, strings.Join(sql, ", ")))
	}
	if len(served) > 0 {
		notes = append(notes, fmt.Sprintf("%s: no listeners declared: services on 0.0.0.0 %s", vm.Name, strings.Join(served, ", ")))
	}
	return g, notes
}

// Assumed lists, per backend VM of d in topology order, what conform
// assumes about its guest because the deployment does not say (assume),
// for the report.
func Assumed(d *schema.Deployment) []string {
	v := view.Resolve(d)
	var out []string
	for _, vm := range backendVMs(v) {
		_, notes := assume(v, vm)
		out = append(out, notes...)
	}
	return out
}
