// Package schematest generates large, valid lbcheck deployments for tests
// and benchmarks of the loader and the lint engine.
package schematest

import (
	"bytes"
	"fmt"
)

// Generate returns a valid three-document YAML deployment: one internal
// Standard load balancer with the given numbers of load-balancing rules and
// frontends, then one VM per guest, then the guests. Guests are spread over
// up to ten backend pools; every frontend serves exactly one pool, and
// every rule has Floating IP enabled with backendPort equal to frontendPort,
// so each (frontend, port) destination is unique. Each guest carries the
// frontend addresses of its pool on a loopback interface, as the Azure
// floating IP guide requires, and listens on every rule's port. Windows and
// Linux guests alternate; Windows ones set the weak-host flags. Counts below
// one are raised to one.
func Generate(rules, frontends, guests int) []byte {
	rules, frontends, guests = max(rules, 1), max(frontends, 1), max(guests, 1)
	pools := min(10, guests, frontends)
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("apiVersion: lbcheck.io/v1alpha1\nkind: Deployment\nloadBalancers:\n")
	w("- name: bench-ilb\n  sku: Standard\n  type: internal\n  frontendIPConfigurations:\n")
	for f := range frontends {
		w("  - name: fe-%d\n    ipAddress: %s\n", f, frontendIP(f))
	}
	w("  backendAddressPools:\n")
	for p := range pools {
		w("  - name: pool-%d\n    members:\n", p)
		for g := p; g < guests; g += pools {
			w("    - vm: vm-%d\n      networkInterface: nic-%d\n      ipConfiguration: ipconfig1\n", g, g)
		}
	}
	w("  probes:\n")
	for p := range pools {
		w("  - name: probe-%d\n    protocol: Tcp\n    port: 8080\n    intervalInSeconds: 5\n", p)
	}
	w("  loadBalancingRules:\n")
	for r := range rules {
		f := r % frontends
		port := 1000 + r/frontends
		w("  - name: rule-%d\n    protocol: Tcp\n    frontendIPConfiguration: fe-%d\n    backendAddressPool: pool-%d\n    probe: probe-%d\n", r, f, f%pools, f%pools)
		w("    frontendPort: %d\n    backendPort: %d\n    enableFloatingIP: true\n    idleTimeoutInMinutes: 15\n", port, port)
	}

	w("---\nvms:\n")
	for g := range guests {
		w("- name: vm-%d\n  networkInterfaces:\n  - name: nic-%d\n    ipConfigurations:\n", g, g)
		w("    - name: ipconfig1\n      privateIPAddress: %s\n      primary: true\n", guestIP(g))
	}

	w("---\nguests:\n")
	ports := (rules + frontends - 1) / frontends
	for g := range guests {
		windows := g%2 == 0
		os, lo, weak := "linux", "lo", ""
		if windows {
			os, lo, weak = "windows", "Loopback Pseudo-Interface 1", "    weakHostReceive: true\n"
		}
		w("- vm: vm-%d\n  os: %s\n  interfaces:\n", g, os)
		w("  - name: eth0\n    kind: nic\n    addresses: [%s/16]\n%s", guestIP(g), weak)
		w("  - name: %s\n    kind: loopback\n    addresses:\n", lo)
		for f := g % pools; f < frontends; f += pools {
			w("    - %s/32\n", frontendIP(f))
		}
		if windows {
			w("    weakHostReceive: true\n    weakHostSend: true\n")
		} else {
			w("  sysctls:\n    net.ipv4.tcp_timestamps: \"0\"\n")
		}
		w("  listeners:\n  - proto: tcp\n    address: 0.0.0.0\n    port: 8080\n")
		for p := range ports {
			w("  - proto: tcp\n    address: 0.0.0.0\n    port: %d\n", 1000+p)
		}
	}
	return b.Bytes()
}

// frontendIP is the address of frontend f, in 10.1.0.0/16.
func frontendIP(f int) string { return fmt.Sprintf("10.1.%d.%d", f/250, f%250+1) }

// guestIP is the DIP of guest g, in 10.0.0.0/16.
func guestIP(g int) string { return fmt.Sprintf("10.0.%d.%d", g/250, g%250+4) }
