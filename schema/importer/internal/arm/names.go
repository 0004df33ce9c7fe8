package arm

import (
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// canonicalize rewrites the names that objects of d refer to in the
// spelling of the object declared, when they differ only in letter case:
// Azure resource names are case-insensitive, lbcheck's model is not.
func canonicalize(d *schema.Deployment) {
	vms := map[string]*schema.VM{}
	for _, vm := range d.VMs {
		vms[strings.ToLower(vm.Name)] = vm
	}
	member := func(m *schema.PoolMember) {
		if m == nil {
			return
		}
		vm := vms[strings.ToLower(m.VM)]
		if vm == nil {
			return
		}
		m.VM = vm.Name
		for _, nic := range vm.NetworkInterfaces {
			if strings.EqualFold(nic.Name, m.NetworkInterface) {
				m.NetworkInterface = nic.Name
				for _, c := range nic.IPConfigurations {
					if strings.EqualFold(c.Name, m.IPConfiguration) {
						m.IPConfiguration = c.Name
					}
				}
			}
		}
	}
	for _, lb := range d.LoadBalancers {
		fe := spellings(lb.FrontendIPConfigurations, func(f *schema.Frontend) string { return f.Name })
		pool := spellings(lb.BackendAddressPools, func(p *schema.BackendPool) string { return p.Name })
		probe := spellings(lb.Probes, func(p *schema.Probe) string { return p.Name })
		for _, r := range lb.LoadBalancingRules {
			fe(&r.FrontendIPConfiguration)
			pool(&r.BackendAddressPool)
			probe(&r.Probe)
		}
		for _, r := range lb.InboundNatRules {
			fe(&r.FrontendIPConfiguration)
			pool(&r.BackendAddressPool)
			member(r.Target)
		}
		for _, r := range lb.OutboundRules {
			for i := range r.FrontendIPConfigurations {
				fe(&r.FrontendIPConfigurations[i])
			}
			pool(&r.BackendAddressPool)
		}
		for _, p := range lb.BackendAddressPools {
			for _, m := range p.Members {
				member(m)
			}
		}
	}
}

// spellings returns a function that replaces a name by the declared
// spelling of the object it matches case-insensitively, if any.
func spellings[T any](objs []T, nameOf func(T) string) func(*string) {
	declared := make(map[string]string, len(objs))
	for _, o := range objs {
		n := nameOf(o)
		if _, dup := declared[strings.ToLower(n)]; !dup {
			declared[strings.ToLower(n)] = n
		}
	}
	return func(s *string) {
		if d, ok := declared[strings.ToLower(*s)]; ok {
			*s = d
		}
	}
}
