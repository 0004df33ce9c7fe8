// Package topo builds the conformance topology for a deployment (see
// notes/topology.md and conformance/contract): a fabric bridge, the mux,
// clients, and one host plus one VM per backend VM, all in namespaces of one
// netlab.Lab. Plan computes every address, MAC and name without touching
// the system; Build creates the namespaces, configures the guests and writes
// the contract.Config the targets read.
package topo

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// Fixed parts of the topology.
const (
	// EncapPort is the UDP port host roles receive encapsulated packets
	// on. It is in IANA's dynamic range, which no protocol is assigned, and
	// above Linux's ephemeral ports, so no decoder (tcpdump, Wireshark)
	// mistakes the reference's encapsulation (its 8-byte header, then the
	// inner IPv4 packet, FOU-style) for Geneve or VXLAN, and no socket of
	// the namespace takes it first.
	EncapPort = 62081
	// ControlPort is the UDP port the mux role receives health reports on
	// (same range).
	ControlPort = 62090
	// Iface is the fabric-facing interface of every client, mux and host.
	Iface = "eth0"
	// VMIface is the host's interface towards its VM.
	VMIface = "vm0"
	// Bridge is the fabric bridge.
	Bridge = "br0"
	// VNetMTU is the MTU of the VMs' links (contract.Config.MTU).
	VNetMTU = 1500
	// FabricMTU is the MTU of the fabric's links (contract.Config.FabricMTU).
	FabricMTU = 9000
	// MaxClients and MaxHosts keep addresses inside the fabric /24.
	MaxClients = 100
	MaxHosts   = 88
)

// Fabric addressing (documentation range 198.51.100.0/24).
var (
	FabricNet = netip.MustParsePrefix("198.51.100.0/24")
	MuxAddr   = netip.MustParseAddr("198.51.100.2")
)

// SteeringAddrs is how many extra source addresses the first client holds
// (SteeringAddr): flows of a rule that hashes only the source address reach
// its other members from them, and their answers come back to the client.
const SteeringAddrs = 48

// SteeringAddr is the first client's i-th extra address (i <
// SteeringAddrs): 198.51.100.(200+i).
func SteeringAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 51, 100, byte(200 + i%SteeringAddrs)})
}

// ClientAddr is client k's address: 198.51.100.(100+k).
func ClientAddr(k int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(100 + k)}) }

// HostAddr is host n's provider address: 198.51.100.(11+n).
func HostAddr(n int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(11 + n)}) }

// MAC kinds: the second-to-last but one byte of every MAC says what it is.
const (
	macClient = 0x01
	macMux    = 0x02
	macHost   = 0x03 // host eth0
	macHostVM = 0x04 // host vm0 (the VM's gateway)
	macVM     = 0x05 // VM NIC
)

// MAC returns the locally administered unicast MAC 02:00:00:<kind>:<i>.
func MAC(kind byte, i int) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0x00, 0x00, kind, byte(i >> 8), byte(i)}
}

// IsSuiteMAC reports whether m is one the topology assigns: MAC of some
// kind, or the fabric-side port of one (02 or 06, then 00:00:<kind>). No
// real interface carries these locally administered addresses, so a frame
// with one outside the suite's namespaces is the suite's.
func IsSuiteMAC(m net.HardwareAddr) bool {
	return len(m) == 6 && (m[0] == 0x02 || m[0] == 0x06) && m[1] == 0 && m[2] == 0 && m[3] >= macClient && m[3] <= macVM
}

// portMAC is the MAC of the fabric-side peer of a link (first byte 06).
func portMAC(m net.HardwareAddr) net.HardwareAddr {
	p := slices.Clone(m)
	p[0] = 0x06
	return p
}

// MaxOutboundDestinations bounds the outbound destinations the first
// client holds (contract.Config.Internet).
const MaxOutboundDestinations = 64

// DefaultOutboundPort is the port a declared outbound flow without one is
// opened to.
const DefaultOutboundPort = 443

// outboundDestinations lists the destinations of the guests' declared
// outbound flows (schema.OutboundFlow) the first client holds, standing
// for the internet: IPv4 addresses Azure reaches through outbound SNAT
// (view.Internet), none that the topology uses (taken), in declaration
// order, at most MaxOutboundDestinations. A flow without a destination
// goes to the first client's own address.
func outboundDestinations(d *schema.Deployment, taken map[netip.Addr]bool) []netip.Addr {
	var out []netip.Addr
	for _, g := range d.Guests {
		for _, f := range g.Outbound {
			a := view.ParseAddr(f.Destination)
			if len(out) == MaxOutboundDestinations || !a.Is4() || !view.Internet(a) || taken[a] {
				continue
			}
			taken[a] = true
			out = append(out, a)
		}
	}
	return out
}

// Options control Build.
type Options struct {
	// Clients is the number of client namespaces (default 1).
	Clients int
	// Dir is the run directory; empty: a temporary one removed by Close.
	Dir string
	// EncapPort and ControlPort default to the constants above.
	EncapPort, ControlPort int
	// Minute is how long one minute of the deployment's idle timeouts
	// lasts for the target (contract.Config.MinuteMillis); 0: a minute.
	Minute time.Duration
}

// Spec is the computed topology: the contract.Config plus the guest plans,
// in host order.
type Spec struct {
	Config    *contract.Config
	Guests    []*guest.Plan
	DIPs      [][]netip.Addr // per host, primary first
	Frontends []netip.Addr   // every frontend IP, routed by clients to the mux
	// Internal are the internal load balancers' frontend IPs: VMs reach
	// them too (guest.Plan.Peers), and hosts route them to the mux.
	Internal []netip.Addr
	// Outbound are the guests' outbound destinations the first client
	// holds (contract.Config.Internet), routed to it by the hosts.
	Outbound []netip.Addr
}

// Plan computes the topology for d without touching the system. Guests
// the deployment leaves undeclared are completed as Azure documents
// (Assumed). Every VM
// that a load-balancing rule or inbound NAT rule delivers to in d's
// semantic view (schema/view), excluded deliveries included, gets a host,
// in the order of d.VMs.
func Plan(d *schema.Deployment, opts Options) (*Spec, error) {
	if d == nil {
		return nil, fmt.Errorf("no deployment")
	}
	if opts.Clients == 0 {
		opts.Clients = 1
	}
	if opts.Clients < 0 || opts.Clients > MaxClients {
		return nil, fmt.Errorf("%d clients: want 1 to %d", opts.Clients, MaxClients)
	}
	if opts.EncapPort == 0 {
		opts.EncapPort = EncapPort
	}
	if opts.ControlPort == 0 {
		opts.ControlPort = ControlPort
	}
	fips, err := frontends(d)
	if err != nil {
		return nil, err
	}
	v := view.Resolve(d)
	vms := backendVMs(v)
	if len(vms) == 0 {
		return nil, fmt.Errorf("no VM is a member of a backend pool a rule uses or the target of a NAT rule: nothing to forward to (add pool members and a rule that names their pool)")
	}
	if len(vms) > MaxHosts {
		return nil, fmt.Errorf("%d backend VMs: the conformance fabric holds at most %d", len(vms), MaxHosts)
	}
	s := &Spec{Frontends: fips, Config: &contract.Config{
		Deployment:   d,
		Mux:          contract.Mux{Address: MuxAddr.String(), MAC: MAC(macMux, 0).String(), Iface: Iface},
		EncapPort:    opts.EncapPort,
		ControlPort:  opts.ControlPort,
		MinuteMillis: int(opts.Minute.Milliseconds()),
		MTU:          VNetMTU,
		FabricMTU:    FabricMTU,
	}}
	for k := range opts.Clients {
		s.Config.Clients = append(s.Config.Clients, ClientAddr(k).String())
	}
	owner := map[netip.Addr]string{}
	for n, vm := range vms {
		dips, err := vmDIPs(vm)
		if err != nil {
			return nil, err
		}
		for _, a := range dips {
			if err := checkInside("vm "+vm.Name+" DIP", a); err != nil {
				return nil, err
			}
			if o, dup := owner[a]; dup {
				return nil, fmt.Errorf("DIP %s is used by both vm %s and vm %s", a, o, vm.Name)
			}
			if slices.Contains(fips, a) {
				return nil, fmt.Errorf("vm %s: DIP %s is also a frontend IP", vm.Name, a)
			}
			owner[a] = vm.Name
		}
		g, _ := assume(v, vm)
		gp, err := guest.NewPlan(vm.Name, g, dips)
		if err != nil {
			return nil, err
		}
		s.Guests = append(s.Guests, gp)
		s.DIPs = append(s.DIPs, dips)
		h := contract.Host{
			Index: n, Address: HostAddr(n).String(), MAC: MAC(macHost, n).String(),
			Iface: Iface, VMIface: VMIface, VMIfaceMAC: MAC(macHostVM, n).String(),
			Gateway: gp.Gateway.String(),
			VM:      contract.VM{Name: vm.Name, MAC: MAC(macVM, n).String(), Iface: gp.NIC},
		}
		for _, a := range dips {
			h.VM.DIPs = append(h.VM.DIPs, a.String())
		}
		s.Config.Hosts = append(s.Config.Hosts, h)
	}
	s.Internal = internalFrontends(d)
	for n, gp := range s.Guests {
		gp.PeerMAC = MAC(macHostVM, n)
		for m, dips := range s.DIPs {
			if m != n {
				gp.Peers = append(gp.Peers, dips...)
			}
		}
		gp.Peers = append(gp.Peers, s.Internal...)
	}
	taken := map[netip.Addr]bool{MuxAddr: true}
	for _, a := range fips {
		taken[a] = true
	}
	for a := range owner {
		taken[a] = true
	}
	for k := range opts.Clients {
		taken[ClientAddr(k)] = true
	}
	for i := range SteeringAddrs {
		taken[SteeringAddr(i)] = true
	}
	for n, gp := range s.Guests {
		taken[HostAddr(n)], taken[gp.Gateway] = true, true
	}
	s.Outbound = outboundDestinations(d, taken)
	for _, a := range s.Outbound {
		s.Config.Internet = append(s.Config.Internet, a.String())
	}
	return s, nil
}

// frontends collects and checks every frontend IP of every load balancer.
func frontends(d *schema.Deployment) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, lb := range d.LoadBalancers {
		for _, f := range lb.FrontendIPConfigurations {
			if f.IPAddress == "" {
				return nil, fmt.Errorf("load balancer %s frontend %s has no ipAddress: conformance needs a concrete address (use a documentation range such as 203.0.113.10)", lb.Name, f.Name)
			}
			a, err := netip.ParseAddr(f.IPAddress)
			if err != nil || !a.Is4() {
				return nil, fmt.Errorf("load balancer %s frontend %s: ipAddress %q is not an IPv4 address", lb.Name, f.Name, f.IPAddress)
			}
			if err := checkInside(fmt.Sprintf("load balancer %s frontend %s", lb.Name, f.Name), a); err != nil {
				return nil, err
			}
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// internalFrontends returns the frontend IPs of internal load balancers
// (checked by frontends), each once.
func internalFrontends(d *schema.Deployment) []netip.Addr {
	var out []netip.Addr
	for _, lb := range d.LoadBalancers {
		if lb.Type != schema.LBInternal {
			continue
		}
		for _, f := range lb.FrontendIPConfigurations {
			if a, err := netip.ParseAddr(f.IPAddress); err == nil && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// checkInside rejects addresses the topology itself uses or cannot route.
func checkInside(what string, a netip.Addr) error {
	switch {
	case FabricNet.Contains(a):
		return fmt.Errorf("%s %s collides with the conformance fabric %s; use another range (e.g. 203.0.113.0/24 or 10.x)", what, a, FabricNet)
	case a.String() == contract.ProbeSource:
		return fmt.Errorf("%s %s is Azure's health probe source address", what, a)
	case a.IsLoopback(), a.IsMulticast(), a.IsUnspecified(), a.IsLinkLocalUnicast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%s %s is not a unicast address a VM can own", what, a)
	}
	return nil
}

// backendVMs returns the VMs some binding of v delivers to, in deployment
// order. A delivery the view excludes (a secondary IP configuration behind
// Floating IP) still makes its VM a backend: the cases check that it
// receives nothing, so it must be in the topology. A member naming no IP
// configuration (LB1001) and a pool no rule uses make none.
func backendVMs(v *view.View) []*schema.VM {
	used := map[string]bool{}
	for _, b := range v.Bindings {
		for _, d := range b.Deliveries {
			used[d.VM.Name] = true
		}
	}
	var out []*schema.VM
	for _, vm := range v.Deployment.VMs {
		if used[vm.Name] {
			out = append(out, vm)
		}
	}
	return out
}

// vmDIPs lists a VM's IP configuration addresses, the primary
// configuration of the first NIC first.
func vmDIPs(vm *schema.VM) ([]netip.Addr, error) {
	var primary, rest []netip.Addr
	for _, nic := range vm.NetworkInterfaces {
		for _, c := range nic.IPConfigurations {
			if c.PrivateIPAddress == "" {
				continue
			}
			a, err := netip.ParseAddr(c.PrivateIPAddress)
			if err != nil || !a.Is4() {
				return nil, fmt.Errorf("vm %s ipConfiguration %s: privateIPAddress %q is not an IPv4 address", vm.Name, c.Name, c.PrivateIPAddress)
			}
			if c.Primary && len(primary) == 0 {
				primary = append(primary, a)
			} else {
				rest = append(rest, a)
			}
		}
	}
	dips := append(primary, rest...)
	if len(dips) == 0 {
		return nil, fmt.Errorf("vm %s is a backend but has no privateIPAddress (DIP): give its NIC an ipConfiguration with one", vm.Name)
	}
	return dips, nil
}
