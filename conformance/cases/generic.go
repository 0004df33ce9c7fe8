package cases

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/schema"
)

// ruleFlow is one flow a generic case sends for a load-balancing rule or a
// classic inbound NAT rule.
type ruleFlow struct {
	lb       *schema.LoadBalancer
	kind     string // "rule" or "inbound NAT rule"
	name     string
	proto    string // pkt.TCP or pkt.UDP
	fip      netip.Addr
	fport    uint16
	bport    uint16
	backends map[string]netip.Addr // VM -> destination it must see
}

func (f ruleFlow) String() string {
	return fmt.Sprintf("%s %s/%s (%s %s:%d)", f.kind, f.lb.Name, f.name, f.proto, f.fip, f.fport)
}

// haProbePorts are the ports generic cases use for HA-ports rules.
var haProbePorts = map[string]uint16{pkt.TCP: 80, pkt.UDP: 53}

// ruleFlows lists one flow per protocol of every IPv4 load-balancing rule
// and classic (target) inbound NAT rule, with the destination each pool
// member or the NAT target must see: FIP:bport with Floating IP, else the
// member's DIP:bport. V2 NAT rules (a port range over a pool) are left to
// InboundNatRulePortRange: which member owns which port is not documented.
func ruleFlows(t *suite.T) []ruleFlow {
	var out []ruleFlow
	for _, lb := range t.Deployment().LoadBalancers {
		for _, r := range lb.LoadBalancingRules {
			var members []*schema.PoolMember
			if pool := lb.Pool(r.BackendAddressPool); pool != nil {
				members = pool.Members
			}
			out = append(out, flowsFor(t, ruleFlow{lb: lb, kind: "rule", name: r.Name, fport: uint16(r.FrontendPort), bport: uint16(r.BackendPort)},
				r.FrontendIPConfiguration, r.Protocol, r.EnableFloatingIP, members)...)
		}
		for _, r := range lb.InboundNatRules {
			if r.Target == nil {
				t.Logf("inbound NAT rule %s/%s: a port range over pool %s; not tested by generic cases", lb.Name, r.Name, r.BackendAddressPool)
				continue
			}
			out = append(out, flowsFor(t, ruleFlow{lb: lb, kind: "inbound NAT rule", name: r.Name, fport: uint16(r.FrontendPort), bport: uint16(r.BackendPort)},
				r.FrontendIPConfiguration, r.Protocol, r.EnableFloatingIP, []*schema.PoolMember{r.Target})...)
		}
	}
	if len(out) == 0 {
		t.Skipf("the deployment has no IPv4 load-balancing rule or classic inbound NAT rule to test")
	}
	return out
}

// flowsFor completes base (load balancer, kind, name, ports) into one flow
// per protocol, with the destination each member with a VM in the topology
// must see.
func flowsFor(t *suite.T, base ruleFlow, frontend, protocol string, floating bool, members []*schema.PoolMember) []ruleFlow {
	fe := base.lb.Frontend(frontend)
	if fe == nil {
		return nil
	}
	fip, err := netip.ParseAddr(fe.IPAddress)
	if err != nil || !fip.Is4() {
		t.Logf("%s %s/%s: frontend %s is not IPv4; not tested", base.kind, base.lb.Name, base.name, fe.IPAddress)
		return nil
	}
	var out []ruleFlow
	for _, proto := range map[string][]string{"Tcp": {pkt.TCP}, "Udp": {pkt.UDP}, "All": {pkt.TCP, pkt.UDP}}[protocol] {
		f := base
		f.proto, f.fip, f.backends = proto, fip, map[string]netip.Addr{}
		if f.fport == 0 {
			f.fport = haProbePorts[proto]
		}
		if f.bport == 0 {
			f.bport = f.fport
		}
		for _, m := range members {
			_, ipc := t.Deployment().IPConfig(m)
			if ipc == nil || t.Config().HostForVM(m.VM) == nil {
				continue
			}
			dst := fip
			if !floating {
				if dst, err = netip.ParseAddr(ipc.PrivateIPAddress); err != nil {
					continue
				}
			}
			f.backends[m.VM] = dst
		}
		out = append(out, f)
	}
	return out
}

func (f ruleFlow) send(t *suite.T) pkt.Spec {
	return t.Send(pkt.Spec{Proto: f.proto, Dst: f.fip, DstPort: f.fport, Payload: payloadFor(f.proto)})
}

func (f ruleFlow) points(t *suite.T) []suite.Point {
	var names []string
	for vm := range f.backends {
		names = append(names, vm)
	}
	return t.VMs(names...)
}
