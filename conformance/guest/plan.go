// Package guest configures a VM namespace from a guest declaration: NIC and
// loopback addresses, default route, Linux sysctls, Windows strong/weak host
// emulation and the guest firewall (nftables), and a Responder that serves
// the declared listeners from sockets bound inside the namespace.
//
// NewPlan turns a declaration into a Plan (pure, table-tested); Configure
// applies a Plan to a namespace.
package guest

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// Operating systems.
const (
	Linux   = "linux"
	Windows = "windows"
)

// DefaultNIC is the NIC name inside a VM namespace unless a Linux guest
// declares another valid interface name.
const DefaultNIC = "eth0"

// Plan is everything Configure does to a VM namespace.
type Plan struct {
	VM string
	OS string // Linux or Windows
	// NIC is the name of the VM's NIC inside its namespace.
	NIC string
	// NICAddrs are the NIC's addresses: the guest's nic interface addresses,
	// else every DIP with /24.
	NICAddrs []netip.Prefix
	// LoAddrs go on lo: Linux guests with the declared prefix (a /24 on lo
	// makes the whole /24 local, as on a real Linux host); Windows guests as
	// /32, because Windows does not make a loopback adapter's prefix local.
	LoAddrs []netip.Prefix
	// Gateway is the default gateway: the first usable address of the
	// primary DIP's subnet. The host namespace owns it.
	Gateway netip.Addr
	// Peers are addresses of the virtual network the guest reaches through
	// its host, which answers for all of them (as Azure's hosts answer ARP
	// with their own address): the other VMs' DIPs and the internal load
	// balancers' frontend IPs. Configure makes each a permanent neighbour
	// of the NIC at PeerMAC, the host's end of the link (set by the
	// topology).
	Peers   []netip.Addr
	PeerMAC net.HardwareAddr
	// Sysctls are the Linux sysctls, sorted by key.
	Sysctls [][2]string
	// HostModel holds the Windows strong-host drops (empty for Linux).
	HostModel []DropRule
	// Firewall is the guest firewall; nil when disabled or not declared.
	Firewall *FirewallPlan
	// Listeners are the sockets the responder serves.
	Listeners []Listener
}

// Direction of a host-model drop.
const (
	In  = "in"  // packet received on Iface for Addr (strong-host receive)
	Out = "out" // packet sent on Iface from Addr (strong-host send)
)

// DropRule drops packets on Iface whose destination (In) or source (Out) is
// Addr: an address of another interface the strong host model refuses.
type DropRule struct {
	Dir   string
	Iface string
	Addr  netip.Addr
}

// FirewallPlan is the guest's inbound firewall as nftables will apply it:
// loopback and established/related traffic always pass; then Rules in order
// (block rules first: on Windows a block rule wins over an allow rule);
// then, if DefaultDrop, everything else is dropped.
type FirewallPlan struct {
	Rules       []FWRule
	DefaultDrop bool
}

// FWRule matches inbound packets; zero fields match anything.
type FWRule struct {
	Name      string
	Accept    bool
	Proto     string       // "tcp", "udp" or "" (any)
	Local     netip.Prefix // destination
	LocalPort uint16
	Remote    netip.Prefix // source
}

// Listener is one socket of the responder.
type Listener struct {
	Proto string // "tcp" or "udp"
	Addr  netip.AddrPort
}

// String renders "tcp:10.0.0.4:80", as errors name the listener.
func (l Listener) String() string { return l.Proto + ":" + l.Addr.String() }

// NewPlan resolves the guest declaration g (nil: a Linux guest with only its
// DIPs) of VM vm with the given DIPs (primary first).
func NewPlan(vm string, g *schema.Guest, dips []netip.Addr) (*Plan, error) {
	if len(dips) == 0 {
		return nil, fmt.Errorf("vm %s: no private IP address (DIP): give its NIC an ipConfiguration with privateIPAddress", vm)
	}
	if g == nil {
		g = &schema.Guest{VM: vm, OS: Linux}
	}
	p := &Plan{VM: vm, OS: strings.ToLower(string(g.OS)), NIC: DefaultNIC}
	if p.OS == "" {
		p.OS = Linux
	}
	if p.OS != Linux && p.OS != Windows {
		return nil, fmt.Errorf("guest %s: os %q: want linux or windows", vm, g.OS)
	}
	var nic *schema.Interface
	var loops []*schema.Interface
	for _, i := range g.Interfaces {
		switch i.Kind {
		case "nic", "":
			if nic != nil {
				return nil, fmt.Errorf("guest %s: interfaces %s and %s are both NICs; the conformance topology gives each VM one NIC", vm, nic.Name, i.Name)
			}
			nic = i
		case "loopback":
			loops = append(loops, i)
		default:
			return nil, fmt.Errorf("guest %s: interface %s: kind %q: want nic or loopback", vm, i.Name, i.Kind)
		}
	}
	if nic != nil && p.OS == Linux && validIfname(nic.Name) {
		p.NIC = nic.Name
	}

	var err error
	if nic != nil && len(nic.Addresses) > 0 {
		if p.NICAddrs, err = parsePrefixes(vm, nic, 24); err != nil {
			return nil, err
		}
	} else {
		for _, d := range dips {
			p.NICAddrs = append(p.NICAddrs, netip.PrefixFrom(d, 24))
		}
	}
	loBits := -1 // keep declared
	if p.OS == Windows {
		loBits = 32
	}
	for _, l := range loops {
		ps, err := parsePrefixes(vm, l, 32)
		if err != nil {
			return nil, err
		}
		for _, q := range ps {
			if loBits > 0 {
				q = netip.PrefixFrom(q.Addr(), loBits)
			}
			p.LoAddrs = append(p.LoAddrs, q)
		}
	}
	if p.Gateway, err = gateway(vm, dips[0], p.NICAddrs); err != nil {
		return nil, err
	}
	if p.Sysctls, err = sysctls(vm, p.OS, g.Sysctls); err != nil {
		return nil, err
	}
	if p.OS == Windows {
		p.HostModel = hostModel(p.NIC, nic, loops)
	}
	if p.Firewall, err = firewall(vm, g.Firewall); err != nil {
		return nil, err
	}
	if p.Listeners, err = listeners(vm, g.Listeners); err != nil {
		return nil, err
	}
	return p, nil
}

// validIfname reports whether s can name a Linux network interface.
func validIfname(s string) bool {
	return s != "" && len(s) < 16 && s != "lo" && s != "." && s != ".." && !strings.ContainsAny(s, "/: \t\n")
}

// parsePrefixes parses an interface's addresses; a bare address gets bits.
func parsePrefixes(vm string, i *schema.Interface, bits int) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range i.Addresses {
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(s); err == nil {
				p = netip.PrefixFrom(a, bits)
			}
		}
		if err != nil || !p.Addr().Is4() {
			return nil, fmt.Errorf("guest %s: interface %s: address %q: want an IPv4 CIDR such as 10.0.0.4/24", vm, i.Name, s)
		}
		out = append(out, p)
	}
	return out, nil
}

// gateway returns the first usable address of the primary DIP's subnet (its
// prefix from the NIC address that holds it, else /24).
func gateway(vm string, dip netip.Addr, nic []netip.Prefix) (netip.Addr, error) {
	bits := 24
	for _, p := range nic {
		if p.Addr() == dip {
			bits = p.Bits()
		}
	}
	if bits > 29 {
		return netip.Addr{}, fmt.Errorf("vm %s: DIP %s/%d: the subnet is too small for a gateway (Azure subnets are /29 or larger)", vm, dip, bits)
	}
	gw := netip.PrefixFrom(dip, bits).Masked().Addr().Next()
	if dip == gw || dip == gw.Prev() {
		return netip.Addr{}, fmt.Errorf("vm %s: DIP %s is the network or gateway address of %s; Azure reserves the first four addresses of a subnet", vm, dip, netip.PrefixFrom(dip, bits).Masked())
	}
	return gw, nil
}

// sysctls validates and sorts a Linux guest's sysctls.
func sysctls(vm, os string, m map[string]string) ([][2]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	if os != Linux {
		return nil, fmt.Errorf("guest %s: sysctls are Linux settings but the guest is %s", vm, os)
	}
	var out [][2]string
	for k, v := range m {
		if !strings.HasPrefix(k, "net.") {
			return nil, fmt.Errorf("guest %s: sysctl %s: only net.* sysctls can be emulated (they are per network namespace)", vm, k)
		}
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out, nil
}

// hostModel computes the Windows strong-host drops. Packets only arrive on
// and leave through the NIC (loopback adapters carry no wire traffic), so the
// rules are all on the NIC:
//   - receive: a packet for a loopback-owned address arriving on the NIC is
//     dropped unless the NIC has weakHostReceive;
//   - send: a packet leaving the NIC with a loopback-owned source is dropped
//     unless weakHostSend is set on the NIC or on the owning interface.
func hostModel(nicName string, nic *schema.Interface, loops []*schema.Interface) []DropRule {
	var weakRecv, weakSend bool
	var onNIC []netip.Addr
	if nic != nil {
		weakRecv, weakSend = nic.WeakHostReceive, nic.WeakHostSend
		ps, _ := parsePrefixes("", nic, 24)
		for _, p := range ps {
			onNIC = append(onNIC, p.Addr())
		}
	}
	var in, out []DropRule
	seenIn := map[netip.Addr]bool{}
	seenOut := map[netip.Addr]bool{}
	for _, l := range loops {
		ps, _ := parsePrefixes("", l, 32)
		for _, p := range ps {
			a := p.Addr()
			if slices.Contains(onNIC, a) {
				continue
			}
			if !weakRecv && !seenIn[a] {
				seenIn[a] = true
				in = append(in, DropRule{In, nicName, a})
			}
			if !weakSend && !l.WeakHostSend && !seenOut[a] {
				seenOut[a] = true
				out = append(out, DropRule{Out, nicName, a})
			}
		}
	}
	return append(in, out...)
}

// firewall resolves the guest firewall; nil when there is none to apply.
func firewall(vm string, fw *schema.Firewall) (*FirewallPlan, error) {
	if fw == nil || !fw.Enabled {
		return nil, nil
	}
	plan := &FirewallPlan{}
	switch fw.DefaultInbound {
	case schema.Block:
		plan.DefaultDrop = true
	case schema.Allow, "":
	default:
		return nil, fmt.Errorf("guest %s: firewall defaultInbound %q: want allow or block", vm, fw.DefaultInbound)
	}
	var blocks, allows []FWRule
	for i, r := range fw.Rules {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("rule %d", i+1)
		}
		fr := FWRule{Name: name, LocalPort: uint16(r.LocalPort)}
		switch r.Proto {
		case schema.SockTCP, schema.SockUDP:
			fr.Proto = string(r.Proto)
		case schema.SockAny, "":
		default:
			return nil, fmt.Errorf("guest %s: firewall %s: proto %q: want tcp, udp or any", vm, name, r.Proto)
		}
		if r.LocalPort < 0 || r.LocalPort > 65535 {
			return nil, fmt.Errorf("guest %s: firewall %s: localPort %d out of range", vm, name, r.LocalPort)
		}
		var err error
		if fr.Local, err = ruleAddr(r.LocalAddress); err != nil {
			return nil, fmt.Errorf("guest %s: firewall %s: localAddress: %v", vm, name, err)
		}
		if fr.Remote, err = ruleAddr(r.RemoteAddress); err != nil {
			return nil, fmt.Errorf("guest %s: firewall %s: remoteAddress: %v", vm, name, err)
		}
		switch r.Action {
		case schema.Allow, "":
			fr.Accept = true
			allows = append(allows, fr)
		case schema.Block:
			blocks = append(blocks, fr)
		default:
			return nil, fmt.Errorf("guest %s: firewall %s: action %q: want allow or block", vm, name, r.Action)
		}
	}
	plan.Rules = append(blocks, allows...)
	return plan, nil
}

// ruleAddr parses a firewall address: empty or "any" is the zero prefix; a
// bare address is a /32.
func ruleAddr(s string) (netip.Prefix, error) {
	switch strings.ToLower(s) {
	case "", "any", "*":
		return netip.Prefix{}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() {
			return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address", s)
	}
	return netip.PrefixFrom(a, 32), nil
}

// listeners resolves the declared listening sockets.
func listeners(vm string, ls []*schema.Listener) ([]Listener, error) {
	var out []Listener
	for _, l := range ls {
		proto := strings.ToLower(string(l.Proto))
		if proto != "tcp" && proto != "udp" {
			return nil, fmt.Errorf("guest %s: listener %s:%d: proto %q: want tcp or udp", vm, l.Address, l.Port, l.Proto)
		}
		if l.Port < 1 || l.Port > 65535 {
			return nil, fmt.Errorf("guest %s: listener %s %s: port %d out of range 1-65535", vm, proto, l.Address, l.Port)
		}
		a := netip.IPv4Unspecified()
		if l.Address != "" && l.Address != "::" && l.Address != "0.0.0.0" && l.Address != "*" {
			var err error
			if a, err = netip.ParseAddr(l.Address); err != nil || !a.Is4() {
				return nil, fmt.Errorf("guest %s: listener %s:%d: address %q: want an IPv4 address or 0.0.0.0", vm, proto, l.Port, l.Address)
			}
		}
		out = append(out, Listener{Proto: proto, Addr: netip.AddrPortFrom(a, uint16(l.Port))})
	}
	return out, nil
}
