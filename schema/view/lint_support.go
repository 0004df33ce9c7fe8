package view

import "github.com/lbcheck/lbcheck/schema"

// Member resolves a pool member to the IP configuration it names, as
// Resolve does for the members of bindings: on the NIC it names, or the
// first NIC with an IP configuration of that name. It serves readers of
// pools no binding sends to, such as an outbound rule's (LB1009 counts the
// rules that reach each NIC). ok is false for a dangling reference.
func (v *View) Member(m *schema.PoolMember) (vm *schema.VM, nic *schema.NetworkInterface, ipc *schema.IPConfig, ok bool) {
	return v.member(m)
}
