package cases

import (
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "LinuxLoopbackSlash24BreaksSubnet",
		Description: "A Linux guest with its frontend IP on lo as /24 (the doc's Ubuntu example) inside its own subnet can no longer reach its gateway or subnet peers; with /32 it can.",
		Profile:     suite.Core,
		Features:    []features.Name{features.FloatingIP, features.GuestOS},
		Expectation: "An address with prefix P on lo installs 'local P dev lo', so every address of P is local: inbound to the FIP still works, but traffic to the gateway and subnet peers loops back instead of leaving the NIC. With /32 only the FIP is local.",
		Source:      docFibLocal,
		Deployment:  "loopback24.yaml",
		Run: func(t *suite.T) {
			// Inbound to the FIP is delivered either way.
			fip := frontendIP(t, "fip24")
			s := syn(t, fip, 80)
			m := fromClient(s)
			m.Dst, m.DstPort = fip, 80
			t.Expect(t.VM("vm24"), suite.Step{What: "SYN to the /24 frontend reaches vm24", Match: m, Dir: capture.In})

			for _, c := range []struct {
				vm, peer string
				broken   bool
			}{{"vm24", "vm32", true}, {"vm32", "vm24", false}} {
				gw := gateway(t, c.vm)
				for _, dst := range []netip.Addr{gw, dip(t, c.peer)} {
					local, err := routeIsLocal(t, c.vm, dst)
					switch {
					case err != nil:
						t.Errorf("route lookup in %s: %v", c.vm, err)
					case local != c.broken:
						t.Errorf("in %s the route to %s is local=%v, want %v", c.vm, dst, local, c.broken)
					}
				}
				sendUDPFromVM(t, c.vm, netip.AddrPortFrom(gw, 9))
				step := suite.Step{What: c.vm + " sends a datagram to its gateway " + gw.String(),
					Match: pkt.Match{Proto: pkt.UDP, Dst: gw, DstPort: 9}, Dir: capture.Out}
				if c.broken {
					step.What = c.vm + "'s datagram to its gateway never leaves the NIC"
					step.Note = "looped back: the gateway is local because of the /24 on lo"
					t.ExpectNone(t.VM(c.vm), step)
				} else {
					t.Expect(t.VM(c.vm), step)
				}
			}
		},
	})
}

// routeIsLocal reports whether, inside the VM, dst resolves to a local route.
func routeIsLocal(t *suite.T, vm string, dst netip.Addr) (bool, error) {
	var local bool
	err := t.InVM(vm, func() error {
		routes, err := netlink.RouteGet(dst.AsSlice())
		if err != nil {
			return err
		}
		local = len(routes) > 0 && routes[0].Type == unix.RTN_LOCAL
		return nil
	})
	return local, err
}

// sendUDPFromVM sends one datagram from inside the VM.
func sendUDPFromVM(t *suite.T, vm string, dst netip.AddrPort) {
	err := t.InVM(vm, func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("lbcheck"))
		return err
	})
	if err != nil {
		t.Fatalf("sending from %s to %s: %v", vm, dst, err)
	}
}
