package schema

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to LoadBytes as YAML and as JSON. Loading
// must never panic, not even in the CUE library (catch turns that into an
// error, which is a bug all the same), and every decoded list must be free
// of nil elements, and validating without CUE where it can (fastValid) must
// report what CUE alone reports. The seeds are the fixtures, files with each kind of line
// break and testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../fixtures/schema/*/*.yaml", "testdata/*.json"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, filepath.Ext(file) == ".json")
		}
	}
	for _, br := range []string{"\r", "\u0085", "\u2028", "\r\n"} {
		f.Add([]byte("vms:"+br+"- name: a"+br+"  networkInterfaces: []"+br), false)
	}
	f.Fuzz(func(t *testing.T, src []byte, asJSON bool) {
		name := "fuzz.yaml"
		if asJSON {
			name = "fuzz.json"
		}
		loadBoth(t, name, src) // the fast path changes no issue
		d, issues, err := LoadBytes(name, src)
		var lib *libraryError
		if errors.As(err, &lib) {
			t.Fatal(err)
		}
		if err != nil {
			return
		}
		for _, i := range issues {
			if i.Rule == "" || i.Message == "" {
				t.Errorf("issue without rule or message: %+v", i)
			}
		}
		checkNoNil(t, d)
	})
}

// checkNoNil fails when a list of the model holds a nil element.
func checkNoNil(t *testing.T, d *Deployment) {
	t.Helper()
	nonNil := func(what string, n int, isNil func(int) bool) {
		for i := range n {
			if isNil(i) {
				t.Fatalf("%s[%d] is nil", what, i)
			}
		}
	}
	nonNil("loadBalancers", len(d.LoadBalancers), func(i int) bool { return d.LoadBalancers[i] == nil })
	for _, lb := range d.LoadBalancers {
		nonNil("frontends", len(lb.FrontendIPConfigurations), func(i int) bool { return lb.FrontendIPConfigurations[i] == nil })
		nonNil("pools", len(lb.BackendAddressPools), func(i int) bool { return lb.BackendAddressPools[i] == nil })
		for _, p := range lb.BackendAddressPools {
			nonNil("members", len(p.Members), func(i int) bool { return p.Members[i] == nil })
		}
		nonNil("probes", len(lb.Probes), func(i int) bool { return lb.Probes[i] == nil })
		nonNil("rules", len(lb.LoadBalancingRules), func(i int) bool { return lb.LoadBalancingRules[i] == nil })
		nonNil("nat rules", len(lb.InboundNatRules), func(i int) bool { return lb.InboundNatRules[i] == nil })
		nonNil("outbound rules", len(lb.OutboundRules), func(i int) bool { return lb.OutboundRules[i] == nil })
	}
	nonNil("vms", len(d.VMs), func(i int) bool { return d.VMs[i] == nil })
	for _, vm := range d.VMs {
		nonNil("nics", len(vm.NetworkInterfaces), func(i int) bool { return vm.NetworkInterfaces[i] == nil })
		for _, nic := range vm.NetworkInterfaces {
			nonNil("ipconfigs", len(nic.IPConfigurations), func(i int) bool { return nic.IPConfigurations[i] == nil })
		}
	}
	nonNil("guests", len(d.Guests), func(i int) bool { return d.Guests[i] == nil })
	for _, g := range d.Guests {
		nonNil("interfaces", len(g.Interfaces), func(i int) bool { return g.Interfaces[i] == nil })
		nonNil("listeners", len(g.Listeners), func(i int) bool { return g.Listeners[i] == nil })
		nonNil("outbound", len(g.Outbound), func(i int) bool { return g.Outbound[i] == nil })
		if g.Firewall != nil {
			nonNil("firewall rules", len(g.Firewall.Rules), func(i int) bool { return g.Firewall.Rules[i] == nil })
		}
	}
}
