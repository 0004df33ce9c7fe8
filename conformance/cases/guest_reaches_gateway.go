package cases

import (
	"net/netip"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/reports"
	"github.com/lbcheck/lbcheck/schema"
)

// gatewayCheck is GuestReachesGateway's name for its check in the report's
// per-member table.
const gatewayCheck = "the VM reaches its gateway"

func init() {
	suite.Register(&suite.Case{
		ShortName:   "GuestReachesGateway",
		Description: "Every VM of the deployment, configured as its guest declaration says, still reaches its subnet: the route to its gateway is not local, and a datagram to the gateway leaves its NIC.",
		Profile:     suite.Core,
		Features:    []features.Name{features.GuestOS},
		Expectation: "An address with prefix P on lo installs 'local P dev lo' on Linux, so a frontend IP on lo with a prefix wider than /32 that covers the VM's own subnet makes the gateway and the subnet's peers local: traffic to them loops back instead of leaving the NIC.",
		Source:      docFibLocal,
		Budget: func(d *schema.Deployment, to target.Timeouts) time.Duration {
			return time.Duration(len(d.VMs)) * to.Deliver
		},
		Run: func(t *suite.T) {
			for _, h := range t.Config().Hosts {
				if t.Context().Err() != nil {
					return
				}
				vm := h.VM.Name
				gw, err := netip.ParseAddr(h.Gateway)
				if err != nil {
					t.Errorf("VM %s: gateway %q: %v", vm, h.Gateway, err)
					continue
				}
				local, err := routeIsLocal(t, vm, gw)
				switch {
				case err != nil:
					t.Errorf("route lookup in %s: %v", vm, err)
					continue
				case local:
					t.Errorf("in %s the route to its gateway %s is local: an address on lo covers the subnet (a prefix wider than /32)", vm, gw)
					t.Member(gatewayCheck, vm, reports.StatusFailed, "the route to "+gw.String()+" is local")
					continue // a datagram would only loop back
				}
				sendUDPFromVM(t, vm, netip.AddrPortFrom(gw, 9))
				if t.Expect(t.VM(vm), suite.Step{What: vm + " sends a datagram to its gateway " + gw.String(),
					Match: pkt.Match{Proto: pkt.UDP, Dst: gw, DstPort: 9}, Dir: capture.Out}) == nil {
					t.Member(gatewayCheck, vm, reports.StatusFailed, "a datagram to "+gw.String()+" did not leave its NIC")
					continue
				}
				t.Member(gatewayCheck, vm, reports.StatusPassed, gw.String())
			}
		},
	})
}
