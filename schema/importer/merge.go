package importer

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// Merge adds src's objects to dst. Load balancers and network security
// groups are appended (the same name twice is a duplicate the loader's
// rules report). VMs with the same name (case-insensitively) are combined
// NIC by NIC, and guests of the same VM interface by interface, so that
// Get-NetIPInterface and Get-NetIPAddress output in two files make one
// guest. A subnet declared again (case-insensitively) is one subnet, since
// templates, az output and Terraform configurations often repeat a virtual
// network or associate a group with a subnet declared elsewhere (see
// mergeSubnet).
func Merge(dst, src *schema.Deployment) {
	dst.LoadBalancers = append(dst.LoadBalancers, src.LoadBalancers...)
	dst.NetworkSecurityGroups = append(dst.NetworkSecurityGroups, src.NetworkSecurityGroups...)
	for _, s := range src.Subnets {
		if !mergeSubnet(dst, s) {
			dst.Subnets = append(dst.Subnets, s)
		}
	}
	for _, vm := range src.VMs {
		if old := findVM(dst, vm.Name); old != nil {
			old.NetworkInterfaces = append(old.NetworkInterfaces, vm.NetworkInterfaces...)
			continue
		}
		dst.VMs = append(dst.VMs, vm)
	}
	for _, g := range src.Guests {
		if old := findGuest(dst, g.VM); old != nil {
			MergeGuest(old, g)
			continue
		}
		dst.Guests = append(dst.Guests, g)
	}
}

func findVM(d *schema.Deployment, name string) *schema.VM {
	for _, vm := range d.VMs {
		if strings.EqualFold(vm.Name, name) {
			return vm
		}
	}
	return nil
}

// mergeSubnet combines s with the subnet of its name in d and reports
// whether it did. Of the two declarations the one that says more of the
// subnet's network security group stays (a group named, else one marked
// unknown, else none), the first on a tie. Two that name different groups
// are not combined, so that the loader reports the name declared twice.
func mergeSubnet(d *schema.Deployment, s *schema.Subnet) bool {
	for i, old := range d.Subnets {
		if !strings.EqualFold(old.Name, s.Name) {
			continue
		}
		switch a, b := groupKnown(old), groupKnown(s); {
		case a == 2 && b == 2 && !strings.EqualFold(old.NetworkSecurityGroup, s.NetworkSecurityGroup):
			return false
		case b > a:
			d.Subnets[i] = s
		}
		return true
	}
	return false
}

// groupKnown says what s says of its network security group: 2 when it
// names one, 1 when it is unknown, 0 when s does not say.
func groupKnown(s *schema.Subnet) int {
	if _, unknown := s.Unknown("networkSecurityGroup"); unknown {
		return 1
	}
	if s.NetworkSecurityGroup != "" {
		return 2
	}
	return 0
}

func findGuest(d *schema.Deployment, vm string) *schema.Guest {
	for _, g := range d.Guests {
		if strings.EqualFold(g.VM, vm) {
			return g
		}
	}
	return nil
}

// MergeGuest adds src's interfaces, sysctls and listeners to dst. An
// interface both declare keeps dst's position and flags and gains src's
// addresses; flags src wrote and dst did not are taken from src.
func MergeGuest(dst, src *schema.Guest) {
	if dst.OS == "" {
		dst.OS = src.OS
	}
	for _, i := range src.Interfaces {
		old := dst.Interface(i.Name)
		if old == nil {
			dst.Interfaces = append(dst.Interfaces, i)
			continue
		}
		for _, a := range i.Addresses {
			if !contains(old.Addresses, a) {
				old.Addresses = append(old.Addresses, a)
			}
		}
		if i.Has("addresses") && !old.Has("addresses") {
			old.SetField("addresses", i.At("addresses"))
		}
		if i.Has("weakHostReceive") && !old.Has("weakHostReceive") {
			old.WeakHostReceive = i.WeakHostReceive
			old.SetField("weakHostReceive", i.At("weakHostReceive"))
		}
		if i.Has("weakHostSend") && !old.Has("weakHostSend") {
			old.WeakHostSend = i.WeakHostSend
			old.SetField("weakHostSend", i.At("weakHostSend"))
		}
		if i.Kind == schema.KindLoopback {
			old.Kind = "loopback"
		}
	}
	for k, v := range src.Sysctls {
		if dst.Sysctls == nil {
			dst.Sysctls = map[string]string{}
		}
		if _, ok := dst.Sysctls[k]; !ok {
			dst.Sysctls[k] = v
		}
	}
	dst.Listeners = append(dst.Listeners, src.Listeners...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
