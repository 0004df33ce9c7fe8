package schema

import (
	"slices"
	"testing"
)

// positioned builds a deployment whose every object has a distinct path.
func positioned() *Deployment {
	at := func(n *Node, line int, path string) {
		n.SetPos(Pos{File: "a.json", Line: line, Column: 1}, path)
	}
	member := &PoolMember{}
	at(&member.Node, 4, "lb.pool.m")
	lb := &LoadBalancer{
		FrontendIPConfigurations: []*Frontend{{}},
		BackendAddressPools:      []*BackendPool{{Members: []*PoolMember{member}}},
		LoadBalancingRules:       []*Rule{{}},
		InboundNatRules:          []*NatRule{{Target: member}},
	}
	at(&lb.Node, 1, "lb")
	at(&lb.FrontendIPConfigurations[0].Node, 2, "lb.fe")
	at(&lb.BackendAddressPools[0].Node, 3, "lb.pool")
	at(&lb.LoadBalancingRules[0].Node, 5, "lb.rule")
	at(&lb.InboundNatRules[0].Node, 6, "lb.nat")
	vm := &VM{NetworkInterfaces: []*NetworkInterface{{IPConfigurations: []*IPConfig{{}}}}}
	at(&vm.Node, 7, "vm")
	at(&vm.NetworkInterfaces[0].Node, 8, "vm.nic")
	at(&vm.NetworkInterfaces[0].IPConfigurations[0].Node, 9, "vm.nic.ip")
	g := &Guest{Interfaces: []*Interface{{}}, Firewall: &Firewall{Rules: []*FirewallRule{{}}}}
	at(&g.Node, 10, "guest")
	at(&g.Interfaces[0].Node, 11, "guest.if")
	at(&g.Firewall.Node, 12, "guest.fw")
	at(&g.Firewall.Rules[0].Node, 13, "guest.fw.rule")
	nsg := &NetworkSecurityGroup{SecurityRules: []*SecurityRule{{}}}
	at(&nsg.Node, 14, "nsg")
	at(&nsg.SecurityRules[0].Node, 15, "nsg.rule")
	subnet := &Subnet{}
	at(&subnet.Node, 16, "subnet")
	return &Deployment{LoadBalancers: []*LoadBalancer{lb}, VMs: []*VM{vm}, Guests: []*Guest{g},
		NetworkSecurityGroups: []*NetworkSecurityGroup{nsg}, Subnets: []*Subnet{subnet}}
}

func TestWalk(t *testing.T) {
	var got []string
	Walk(positioned(), func(n *Node) { got = append(got, n.Path()) })
	want := []string{"lb", "lb.fe", "lb.pool", "lb.pool.m", "lb.rule", "lb.nat", "lb.pool.m",
		"vm", "vm.nic", "vm.nic.ip", "guest", "guest.if", "guest.fw", "guest.fw.rule", "nsg", "nsg.rule", "subnet"}
	if !slices.Equal(got, want) {
		t.Errorf("Walk visited %v,\nwant %v", got, want)
	}
	Walk(nil, func(*Node) { t.Error("Walk(nil) visited a node") })
}

func TestMovePositions(t *testing.T) {
	var n Node
	n.SetPos(Pos{File: "a.json", Line: 3, Column: 5}, "lb")
	n.SetField("sku", Pos{File: "a.json", Line: 4, Column: 7})
	n.SetUnknown("type", Pos{File: "a.json", Line: 5, Column: 7}, "reference()")
	n.SetField("other", Pos{File: "b.json", Line: 9, Column: 1})
	n.MovePositions(func(p Pos) Pos {
		if p.File == "a.json" {
			return Pos{File: "a.bicep", Line: p.Line * 10, Column: 1}
		}
		return p
	})
	for _, c := range []struct {
		got, want Pos
	}{
		{n.Pos(), Pos{File: "a.bicep", Line: 30, Column: 1}},
		{n.At("sku"), Pos{File: "a.bicep", Line: 40, Column: 1}},
		{n.At("type"), Pos{File: "a.bicep", Line: 50, Column: 1}},
		{n.At("other"), Pos{File: "b.json", Line: 9, Column: 1}},
	} {
		if c.got != c.want {
			t.Errorf("moved to %v, want %v", c.got, c.want)
		}
	}
	if why, ok := n.Unknown("type"); !ok || why != "reference()" || n.Path() != "lb" {
		t.Errorf("unknown type = %q %v, path %q: moving positions changed more than positions", why, ok, n.Path())
	}
}
