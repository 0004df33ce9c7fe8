package cases

import (
	"fmt"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/schema"
)

// ruleFlow is one flow a generic case sends for a load-balancing rule.
type ruleFlow struct {
	lb       *schema.LoadBalancer
	rule     *schema.Rule
	proto    string // pkt.TCP or pkt.UDP
	fip      netip.Addr
	fport    uint16
	bport    uint16
	backends map[string]netip.Addr // VM -> destination it must see
}

func (f ruleFlow) String() string {
	return fmt.Sprintf("rule %s/%s (%s %s:%d)", f.lb.Name, f.rule.Name, f.proto, f.fip, f.fport)
}

// haProbePorts are the ports generic cases use for HA-ports rules.
var haProbePorts = map[string]uint16{pkt.TCP: 80, pkt.UDP: 53}

// ruleFlows lists one flow per protocol of every IPv4 load-balancing rule,
// with the destination each pool member must see: FIP:bport with Floating
// IP, else the member's DIP:bport.
func ruleFlows(t *suite.T) []ruleFlow {
	d := t.Deployment()
	var out []ruleFlow
	for _, lb := range d.LoadBalancers {
		for _, r := range lb.LoadBalancingRules {
			fe := lb.Frontend(r.FrontendIPConfiguration)
			if fe == nil {
				continue
			}
			fip, err := netip.ParseAddr(fe.IPAddress)
			if err != nil || !fip.Is4() {
				t.Logf("rule %s/%s: frontend %s is not IPv4; not tested", lb.Name, r.Name, fe.IPAddress)
				continue
			}
			protos := map[string][]string{"Tcp": {pkt.TCP}, "Udp": {pkt.UDP}, "All": {pkt.TCP, pkt.UDP}}[r.Protocol]
			for _, proto := range protos {
				f := ruleFlow{lb: lb, rule: r, proto: proto, fip: fip, fport: uint16(r.FrontendPort), bport: uint16(r.BackendPort), backends: map[string]netip.Addr{}}
				if f.fport == 0 {
					f.fport = haProbePorts[proto]
				}
				if f.bport == 0 {
					f.bport = f.fport
				}
				if pool := lb.Pool(r.BackendAddressPool); pool != nil {
					for _, m := range pool.Members {
						_, ipc := d.IPConfig(m)
						if ipc == nil || t.Config().HostForVM(m.VM) == nil {
							continue
						}
						dst := fip
						if !r.EnableFloatingIP {
							if dst, err = netip.ParseAddr(ipc.PrivateIPAddress); err != nil {
								continue
							}
						}
						f.backends[m.VM] = dst
					}
				}
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		t.Skipf("the deployment has no IPv4 load-balancing rule to test")
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
