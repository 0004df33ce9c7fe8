package windows

import (
	"testing"
)

func TestVMName(t *testing.T) {
	tests := map[string]string{
		"sqlvm0-netipinterface.json":   "sqlvm0",
		"dir/sqlvm0_NetIPAddress.json": "sqlvm0",
		"web1.interfaces.json":         "web1",
		"web1-addresses.json":          "web1",
		"web1.json":                    "web1",
		"netipinterface.json":          "netipinterface",
	}
	for in, want := range tests {
		if got := VMName(in); got != want {
			t.Errorf("VMName(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestFlagsAndFamilies(t *testing.T) {
	// One array holding both cmdlets' output, enums as strings
	// (ConvertTo-Json -EnumsAsStrings), a single IPv6 row ignored for flags.
	src := `[[
	  {"InterfaceAlias": "Ethernet", "InterfaceIndex": 4, "AddressFamily": "IPv4", "WeakHostSend": "Disabled", "WeakHostReceive": "Enabled"},
	  {"InterfaceAlias": "Ethernet", "InterfaceIndex": 4, "AddressFamily": "IPv6", "WeakHostSend": "Enabled", "WeakHostReceive": "Enabled"},
	  {"InterfaceAlias": "Ethernet 2", "InterfaceIndex": 7, "InterfaceDescription": "Microsoft KM-TEST Loopback Adapter", "AddressFamily": "IPv4", "WeakHostSend": 1, "WeakHostReceive": true},
	  {"InterfaceAlias": "Bad", "InterfaceIndex": 8, "AddressFamily": 2, "WeakHostSend": "Sometimes"}
	], [
	  {"InterfaceAlias": "Ethernet", "IPAddress": "10.0.0.4", "PrefixLength": 24, "AddressFamily": "IPv4"},
	  {"InterfaceAlias": "Ethernet 2", "IPAddress": "203.0.113.10", "PrefixLength": "32", "AddressFamily": "IPv4"},
	  {"InterfaceAlias": "Ethernet", "IPAddress": "fe80::1%4", "PrefixLength": 64, "AddressFamily": "IPv6"},
	  {"InterfaceAlias": "Ethernet", "IPAddress": "10.0.0.999", "PrefixLength": 24}
	]]`
	r, err := Import("vm.json", []byte(src), "vm")
	if err != nil {
		t.Fatal(err)
	}
	g := r.Deployment.Guests[0]
	eth, lo := g.Interface("Ethernet"), g.Interface("Ethernet 2")
	if eth == nil || lo == nil {
		t.Fatalf("interfaces = %v", g.Interfaces)
	}
	if eth.Kind != "nic" || eth.WeakHostSend || !eth.WeakHostReceive || len(eth.Addresses) != 1 || eth.Addresses[0] != "10.0.0.4/24" {
		t.Errorf("Ethernet = %+v", *eth)
	}
	if lo.Kind != "loopback" || !lo.WeakHostSend || !lo.WeakHostReceive || lo.Addresses[0] != "203.0.113.10/32" {
		t.Errorf("Ethernet 2 = %+v", *lo)
	}
	if len(r.Issues) != 2 {
		t.Errorf("issues = %v, want the bad flag and the bad address", r.Issues)
	}
}

// FuzzImport checks that no input makes the importer panic.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"InterfaceAlias": "Loopback Pseudo-Interface 1", "ifIndex": 1, "AddressFamily": 2, "WeakHostSend": 0, "WeakHostReceive": 0}`))
	f.Add([]byte(`[{"InterfaceAlias": "Ethernet", "IPAddress": "::1", "PrefixLength": 129}, {"InterfaceAlias": 5, "IPAddress": null}]`))
	f.Fuzz(func(t *testing.T, src []byte) {
		r, err := Import("f.json", src, "vm")
		if err == nil && len(r.Deployment.Guests) != 1 {
			t.Fatal("want exactly one guest")
		}
	})
}
