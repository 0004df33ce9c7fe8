package schema

// Lookups by name. They return nil when nothing has that name; the loader
// reports dangling references, so rules may treat nil as "already reported".

// Frontend returns the frontend IP configuration with the given name.
func (lb *LoadBalancer) Frontend(name string) *Frontend {
	for _, f := range lb.FrontendIPConfigurations {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Pool returns the backend address pool with the given name.
func (lb *LoadBalancer) Pool(name string) *BackendPool {
	for _, p := range lb.BackendAddressPools {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Probe returns the probe with the given name.
func (lb *LoadBalancer) Probe(name string) *Probe {
	for _, p := range lb.Probes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// VM returns the VM with the given name.
func (d *Deployment) VM(name string) *VM {
	for _, vm := range d.VMs {
		if vm.Name == name {
			return vm
		}
	}
	return nil
}

// Guest returns the guest declaration of the named VM.
func (d *Deployment) Guest(vm string) *Guest {
	for _, g := range d.Guests {
		if g.VM == vm {
			return g
		}
	}
	return nil
}

// Interface returns the guest interface with the given name.
func (g *Guest) Interface(name string) *Interface {
	for _, i := range g.Interfaces {
		if i.Name == name {
			return i
		}
	}
	return nil
}

// NetworkSecurityGroup returns the network security group with the given
// name.
func (d *Deployment) NetworkSecurityGroup(name string) *NetworkSecurityGroup {
	for _, nsg := range d.NetworkSecurityGroups {
		if nsg.Name == name {
			return nsg
		}
	}
	return nil
}
