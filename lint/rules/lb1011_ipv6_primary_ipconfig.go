package rules

import (
	"fmt"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// IPv6PrimaryIPConfig is LB1011: a NIC whose primary IP configuration is
// IPv6, or which has no IPv4 IP configuration at all.
var IPv6PrimaryIPConfig = &lint.Rule{
	ID:       "LB1011",
	Severity: lint.Error,
	Doc: lint.Doc{
		Title: "NIC's primary IP configuration is IPv6, or the NIC has no IPv4 one",
		Text: "Azure's dual stack is an IPv4 primary IP configuration plus IPv6 secondary ones: \"IPv6 can't be the " +
			"primary IP configuration for a virtual machine network interface\" (tutorial-dual-stack-outbound-nat-load-balancer) " +
			"and \"IPv6-only Virtual Machines or Virtual Machines Scale Sets aren't supported, each NIC must include at " +
			"least one IPv4 IP configuration\" (IPv6 for Azure Virtual Network, limitations). Azure does not deploy such a " +
			"NIC (the error code is not documented). Dynamic addresses, only known at deployment, are not judged: Azure " +
			"allocates IPv4 unless the configuration asks for IPv6.",
		Fix:    "Make an IPv4 IP configuration the NIC's primary one (add one if the NIC has none) and keep IPv6 in secondary IP configurations.",
		Source: docIPv6,
	},
	Run: runIPv6PrimaryIPConfig,
}

func runIPv6PrimaryIPConfig(pass *lint.Pass) {
	for _, vm := range pass.Deployment.VMs {
		for _, nic := range vm.NetworkInterfaces {
			checkDualStackNIC(pass, vm, nic)
		}
	}
}

// checkDualStackNIC reports nic when none of its IP configurations is
// IPv4 although one is IPv6, else its primary IP configuration when that is
// IPv6. Addresses and primary flags only known at deployment are left out
// without LB0010: a Dynamic address is IPv4 unless asked otherwise.
func checkDualStackNIC(pass *lint.Pass, vm *schema.VM, nic *schema.NetworkInterface) {
	var primary6 *schema.IPConfig
	v4, v6, unknown := false, false, false
	for _, c := range nic.IPConfigurations {
		a := view.ParseAddr(c.PrivateIPAddress)
		switch {
		case settled(c, ipcAddress, a.Is4()):
			v4 = true
		case settled(c, ipcAddress, a.Is6()):
			v6 = true
			if settled(c, ipcPrimary, c.Primary) && primary6 == nil {
				primary6 = c
			}
		default:
			unknown = true // not an address (LB0001), or allocated at deployment
		}
	}
	switch {
	case v6 && !v4 && !unknown:
		pass.Report(nic.At("ipConfigurations"), nic.Path(), "",
			fmt.Sprintf("NIC %s/%s has IPv6 IP configurations and no IPv4 one; Azure supports no IPv6-only NIC: add an IPv4 IP configuration and make it primary",
				vm.Name, nic.Name))
	case primary6 != nil:
		pass.Report(primary6.At("primary"), primary6.Path(), "",
			fmt.Sprintf("IP configuration %s/%s/%s with IPv6 address %s is the NIC's primary one; Azure requires the primary IP configuration to be IPv4: make an IPv4 IP configuration primary and this one secondary",
				vm.Name, nic.Name, primary6.Name, view.ParseAddr(primary6.PrivateIPAddress)))
	}
}
