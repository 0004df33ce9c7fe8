// Package ruleset compiles a schema.Deployment into the indexed form the mux
// and the host agent share: load-balancing rules with resolved frontend
// addresses, backend DIPs and probes, and lookup maps from (frontend IP,
// protocol, port) to rule. Which members a rule reaches comes from the
// deployment's semantic view (schema/view), the one lint and the
// conformance suite read. Mux and host compile the same deployment, so rule
// and backend indexes carried in the encapsulation header agree.
package ruleset

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// Distribution is a rule's loadDistribution: which fields are hashed.
type Distribution uint8

// Distributions (Azure distribution-mode-concepts).
const (
	FiveTuple        Distribution = iota // Default: src IP, src port, dst IP, dst port, protocol
	SourceIP                             // src IP, dst IP
	SourceIPProtocol                     // src IP, dst IP, protocol
)

// DefaultIdle is the idle timeout when a rule does not set one (Azure: 4 minutes).
const DefaultIdle = 4 * time.Minute

// UDPIdle is how long the forwarder keeps an idle UDP flow. Azure applies a
// rule's idle timeout to TCP flows only and documents none for UDP; the
// reference keeps UDP flows as long as the longest idle timeout a rule may
// set (100 minutes).
const UDPIdle = 100 * time.Minute

// Backend is one pool member of a rule: an IP configuration of a VM.
type Backend struct {
	// Name identifies the member across health changes ("vm/nic/ipconfig").
	Name string
	VM   string
	DIP  packet.Addr
	// Probe indexes Set.Probes, or is -1 when the rule has no probe (the
	// member is always healthy).
	Probe int
}

// Rule is a compiled load-balancing rule.
type Rule struct {
	Name         string // "lb/rule"
	FIP          packet.Addr
	FrontendPort uint16
	BackendPort  uint16
	HAPorts      bool
	Floating     bool
	Distribution Distribution
	// Idle is the idle timeout of the rule's TCP flows (FlowIdle).
	Idle time.Duration
	// TCPReset is enableTcpReset: an ESTABLISHED TCP flow reaching its
	// idle timeout is reset at both ends instead of dropped silently.
	TCPReset bool
	// Internal is set for a rule of an internal load balancer: its
	// frontend is a private address the virtual network's VMs reach too.
	Internal bool
	// AllProbedUp is noHealthyBackendsBehavior=AllProbedUp: with every
	// member down, new flows go to all members.
	AllProbedUp bool
	Backends    []Backend
}

// Probe is one health probe target: a probe of a load balancer aimed at one DIP.
type Probe struct {
	// Key identifies the target in health reports: "lb/probe/dip".
	Key       string
	VM        string
	DIP       netip.Addr
	Protocol  schema.ProbeProtocol
	Port      int
	Path      string
	Interval  time.Duration
	Threshold int
}

// SNAT is a compiled outbound translation (view.SNAT): the connections its
// members open from their DIPs leave from FIP on a port of the member's
// range.
type SNAT struct {
	Name    string // "lb/rule"
	FIP     packet.Addr
	Idle    time.Duration
	Members []SNATMember
}

// SNATMember is one IP configuration of an SNAT and its source ports on
// the frontend, Lo to Hi inclusive.
type SNATMember struct {
	VM     string
	DIP    packet.Addr
	Lo, Hi uint16
}

// Set is the compiled deployment.
type Set struct {
	Rules  []Rule
	Probes []Probe
	SNATs  []SNAT
	// Warnings lists what was left out (members of the other IP version,
	// dangling references).
	Warnings []string
	// UDPIdle is the idle timeout of UDP flows (the constant UDPIdle,
	// unless ScaleMinute changed it).
	UDPIdle time.Duration

	exact     map[matchKey]uint16
	ha        map[matchKey]uint16 // port 0
	frontends map[packet.Addr]bool
	snatOf    map[snatSource]snatRef     // a DIP's translation per protocol
	snatPorts map[snatSource][]snatRange // per frontend and protocol, ranges sorted by Lo
}

// snatRef names a member of an SNAT: SNATs[snat].Members[member].
type snatRef struct{ snat, member uint16 }

// snatSource is an address (a DIP, or a frontend) and a protocol.
type snatSource struct {
	addr  packet.Addr
	proto uint8
}

// snatRange is a member's port range on a frontend.
type snatRange struct {
	lo, hi uint16
	ref    snatRef
}

type matchKey struct {
	fip   packet.Addr
	proto uint8
	port  uint16
}

// Compile resolves every load-balancing rule and inbound NAT rule of d
// from its semantic view (schema/view), so the forwarder delivers to
// exactly the members lint and the conformance cases expect: a delivery
// the view excludes (a secondary IP configuration behind Floating IP, a
// v2 NAT rule's member past its port range) gets no flows, and a warning.
// Rules are compiled in declaration order (per load balancer its rules,
// then its NAT rules), so the mux and the host agent index them alike.
// Outbound SNAT (outbound rules, and public rules' default SNAT) is
// compiled from the view's SNATs: per DIP and protocol the first that
// translates it.
func Compile(d *schema.Deployment) (*Set, error) {
	s := &Set{UDPIdle: UDPIdle, exact: map[matchKey]uint16{}, ha: map[matchKey]uint16{}, frontends: map[packet.Addr]bool{},
		snatOf: map[snatSource]snatRef{}, snatPorts: map[snatSource][]snatRange{}}
	probeIndex := map[string]int{}
	v := view.Resolve(d)
	for _, b := range v.Bindings {
		if b.Kind == view.NATKind {
			if err := s.addNatRule(b); err != nil {
				return nil, fmt.Errorf("load balancer %s inbound NAT rule %s: %w", b.LB.Name, b.Name, err)
			}
			continue
		}
		if err := s.addRule(b, probeIndex); err != nil {
			return nil, fmt.Errorf("load balancer %s rule %s: %w", b.LB.Name, b.Name, err)
		}
	}
	for _, sn := range v.SNATs() {
		if err := s.addSNAT(sn); err != nil {
			return nil, fmt.Errorf("load balancer %s outbound SNAT of %s: %w", sn.LB.Name, sn.Name, err)
		}
	}
	for _, rs := range s.snatPorts {
		slices.SortFunc(rs, func(a, b snatRange) int { return int(a.lo) - int(b.lo) })
	}
	return s, nil
}

// addSNAT compiles one outbound translation, IPv4 or IPv6 (its
// frontend's). A DIP and protocol an earlier SNAT translates keep that one
// (view.OutboundFor's order); a member without ports or with an address of
// the other family is left out with a warning.
func (s *Set) addSNAT(sn *view.SNAT) error {
	name := sn.LB.Name + "/" + sn.Name
	if sn.Frontend == nil || !sn.FIP().IsValid() {
		s.warnf("%s: outbound frontend missing or not an IP address; no outbound SNAT", name)
		return nil
	}
	var protos []uint8
	for _, p := range sn.Protocols {
		ps, err := protocols(p)
		if err != nil {
			return err
		}
		protos = append(protos, ps...)
	}
	if len(s.SNATs) >= 1<<16 || len(sn.Members) >= 1<<16 {
		return fmt.Errorf("more than %d SNATs or members", 1<<16)
	}
	c := SNAT{Name: name, FIP: packet.AddrFrom(sn.FIP()), Idle: idleOf(sn.IdleMinutes)}
	si := uint16(len(s.SNATs))
	for _, m := range sn.Members {
		if m.Ports.Hi == 0 || family(m.DIP) != family(sn.FIP()) {
			s.warnf("%s: member %s gets no outbound SNAT (no ports left on the frontend, or not an %s address)", name, m, family(sn.FIP()))
			continue
		}
		ref := snatRef{si, uint16(len(c.Members))}
		c.Members = append(c.Members, SNATMember{VM: m.VM.Name, DIP: packet.AddrFrom(m.DIP), Lo: uint16(m.Ports.Lo), Hi: uint16(m.Ports.Hi)})
		for _, p := range protos {
			src := snatSource{packet.AddrFrom(m.DIP), p}
			if _, dup := s.snatOf[src]; dup {
				continue
			}
			s.snatOf[src] = ref
			k := snatSource{c.FIP, p}
			s.snatPorts[k] = append(s.snatPorts[k], snatRange{uint16(m.Ports.Lo), uint16(m.Ports.Hi), ref})
		}
	}
	s.SNATs = append(s.SNATs, c)
	return nil
}

func (s *Set) addRule(b *view.Binding, probeIndex map[string]int) error {
	r := b.Rule
	name := b.LB.Name + "/" + b.Name
	fip, ok := s.frontendIP(b, name, r.FrontendIPConfiguration)
	if !ok {
		return nil
	}
	cr := Rule{
		Name: name, FIP: fip,
		FrontendPort: uint16(r.FrontendPort), BackendPort: uint16(b.BackendPort),
		HAPorts: b.HAPorts, Floating: b.Floating, Idle: idleOf(r.IdleTimeoutInMinutes), TCPReset: r.EnableTcpReset,
		Internal: b.LB.Type == schema.LBInternal,
	}
	switch r.LoadDistribution {
	case "", "Default":
	case "SourceIP":
		cr.Distribution = SourceIP
	case "SourceIPProtocol":
		cr.Distribution = SourceIPProtocol
	default:
		return fmt.Errorf("unknown loadDistribution %q (want Default, SourceIP or SourceIPProtocol)", r.LoadDistribution)
	}
	protos, err := protocols(b.Protocol)
	if err != nil {
		return err
	}
	if r.Probe != "" && b.Probe == nil {
		s.warnf("%s: probe %q not found; members treated as always healthy", name, r.Probe)
	}
	if b.Probe != nil {
		cr.AllProbedUp = b.Probe.NoHealthyBackendsBehavior == schema.AllProbedUp
	}
	if b.Pool == nil {
		s.warnf("%s: backend pool %q not found; rule has no members", name, r.BackendAddressPool)
	}
	for _, d := range s.deliveries(b, name) {
		be := backend(d)
		if b.Probe != nil {
			be.Probe = s.probe(b.LB.LoadBalancer, b.Probe, d.VM.Name, d.DIP, probeIndex)
		}
		cr.Backends = append(cr.Backends, be)
	}
	return s.register(cr, protos)
}

// addNatRule compiles an inbound NAT rule into rules with one backend each
// and no probe: a classic rule (Target) maps frontendPort to its target; a
// v2 rule (BackendAddressPool) maps each member's own frontend port
// (view.Delivery.FrontendPort: frontendPortRangeStart plus the member's
// index) to it.
func (s *Set) addNatRule(b *view.Binding) error {
	r := b.NAT
	name := b.LB.Name + "/" + b.Name
	fip, ok := s.frontendIP(b, name, r.FrontendIPConfiguration)
	if !ok {
		return nil
	}
	protos, err := protocols(b.Protocol)
	if err != nil {
		return err
	}
	if r.Target == nil && b.Pool == nil {
		s.warnf("%s: backend pool %q not found; NAT rule skipped", name, r.BackendAddressPool)
		return nil
	}
	for _, d := range s.deliveries(b, name) {
		fport := r.FrontendPort
		if r.Target == nil {
			fport = d.FrontendPort
		}
		cr := Rule{Name: name + "/" + d.VM.Name, FIP: fip, FrontendPort: uint16(fport), BackendPort: uint16(b.BackendPort),
			Floating: b.Floating, Idle: idleOf(r.IdleTimeoutInMinutes), TCPReset: r.EnableTcpReset,
			Internal: b.LB.Type == schema.LBInternal, Backends: []Backend{backend(d)}}
		if err := s.register(cr, protos); err != nil {
			return err
		}
	}
	return nil
}

// frontendIP returns the binding's frontend address, IPv4 or IPv6;
// frontend is the name it gives.
func (s *Set) frontendIP(b *view.Binding, rule, frontend string) (packet.Addr, bool) {
	if b.Frontend == nil {
		s.warnf("%s: frontend %q not found; rule skipped", rule, frontend)
		return packet.Addr{}, false
	}
	if !b.FIP().IsValid() {
		s.warnf("%s: frontend address %q is not an IP address; rule skipped", rule, b.Frontend.IPAddress)
		return packet.Addr{}, false
	}
	return packet.AddrFrom(b.FIP()), true
}

// deliveries returns the deliveries of b that get flows, in member order,
// and warns about the rest: members naming no IP configuration, members the
// view excludes, DIPs not of the frontend's family (a rule translates
// between addresses of one IP version).
func (s *Set) deliveries(b *view.Binding, rule string) []*view.Delivery {
	var out []*view.Delivery
	for _, d := range b.Deliveries {
		switch {
		case d.Excluded != "":
			s.warnf("%s: member %s skipped: %s", rule, d, d.Excluded)
		case family(d.DIP) != family(b.FIP()):
			s.warnf("%s: member %s address %q is not an %s address, as the frontend's is; skipped", rule, d, d.IPConfig.PrivateIPAddress, family(b.FIP()))
		default:
			out = append(out, d)
		}
	}
	for _, m := range b.Unresolved {
		s.warnf("%s: pool member %s/%s not found", rule, m.VM, m.IPConfiguration)
	}
	return out
}

// family names the IP version of a: "IPv4", "IPv6", or "" when a is not an
// address.
func family(a netip.Addr) string {
	switch {
	case a.Is4():
		return "IPv4"
	case a.Is6():
		return "IPv6"
	}
	return ""
}

// backend is the backend of a delivery, without a probe.
func backend(d *view.Delivery) Backend {
	return Backend{Name: d.String(), VM: d.VM.Name, DIP: packet.AddrFrom(d.DIP), Probe: -1}
}

// protocols maps a rule's protocol to the IP protocols it matches.
func protocols(p schema.Protocol) ([]uint8, error) {
	switch p {
	case "Tcp":
		return []uint8{packet.ProtoTCP}, nil
	case "Udp":
		return []uint8{packet.ProtoUDP}, nil
	case "All":
		return []uint8{packet.ProtoTCP, packet.ProtoUDP}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (want Tcp, Udp or All)", p)
}

// FlowIdle is the idle timeout of a flow of protocol proto under rule r:
// the rule's for TCP, s.UDPIdle for UDP.
func (s *Set) FlowIdle(r *Rule, proto uint8) time.Duration {
	if proto == packet.ProtoTCP {
		return r.Idle
	}
	return s.UDPIdle
}

// ScaleMinute makes the deployment's time run at minute per minute: the
// timeouts given in minutes (the rules', NAT rules' and SNATs' idle
// timeouts, and UDPIdle) and the probe intervals given in seconds. The
// conformance runner shortens the minute (contract.Config.MinuteMillis)
// so a deployment's 4-minute idle timeout, or its 5-second probe interval,
// passes quickly in a test.
func (s *Set) ScaleMinute(minute time.Duration) {
	if minute <= 0 || minute == time.Minute {
		return
	}
	scale := func(d *time.Duration) { *d = time.Duration(float64(*d) * float64(minute) / float64(time.Minute)) }
	for i := range s.Rules {
		scale(&s.Rules[i].Idle)
	}
	for i := range s.SNATs {
		scale(&s.SNATs[i].Idle)
	}
	scale(&s.UDPIdle)
	for i := range s.Probes {
		scale(&s.Probes[i].Interval)
	}
}

func idleOf(minutes int) time.Duration {
	if minutes > 0 {
		return time.Duration(minutes) * time.Minute
	}
	return DefaultIdle
}

// register adds a compiled rule and its match keys. A later rule with the
// same frontend, protocol and port as an earlier one is kept out of the
// match maps (with a warning).
func (s *Set) register(cr Rule, protos []uint8) error {
	if len(s.Rules) >= 1<<16 || len(cr.Backends) >= 1<<16 {
		return fmt.Errorf("more than %d rules or backends", 1<<16)
	}
	idx := uint16(len(s.Rules))
	s.Rules = append(s.Rules, cr)
	s.frontends[cr.FIP] = true
	for _, p := range protos {
		k := matchKey{cr.FIP, p, cr.FrontendPort}
		m := s.exact
		if cr.HAPorts {
			m = s.ha
		}
		if prev, dup := m[k]; dup {
			s.warnf("%s: same frontend, protocol and port as %s; %s wins", cr.Name, s.Rules[prev].Name, s.Rules[prev].Name)
			continue
		}
		m[k] = idx
	}
	return nil
}

func (s *Set) probe(lb *schema.LoadBalancer, p *schema.Probe, vm string, dip netip.Addr, index map[string]int) int {
	key := lb.Name + "/" + p.Name + "/" + dip.String()
	if i, ok := index[key]; ok {
		return i
	}
	interval := time.Duration(p.IntervalInSeconds) * time.Second
	if interval <= 0 {
		interval = 15 * time.Second // REST default
	}
	threshold := p.ProbeThreshold
	if threshold <= 0 {
		threshold = 1
	}
	s.Probes = append(s.Probes, Probe{Key: key, VM: vm, DIP: dip, Protocol: p.Protocol, Port: p.Port,
		Path: p.RequestPath, Interval: interval, Threshold: threshold})
	index[key] = len(s.Probes) - 1
	return len(s.Probes) - 1
}

func (s *Set) warnf(format string, args ...any) {
	s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
}

// Match returns the index of the rule for a packet to dst with protocol
// proto and destination port port. A rule with that exact frontend, protocol
// and port wins over an HA-ports rule on the same frontend. isFrontend
// reports whether dst is a frontend IP at all.
func (s *Set) Match(dst packet.Addr, proto uint8, port uint16) (rule int, ok, isFrontend bool) {
	if !s.frontends[dst] {
		return -1, false, false
	}
	if proto != packet.ProtoTCP && proto != packet.ProtoUDP {
		return -1, false, true
	}
	if i, ok := s.exact[matchKey{dst, proto, port}]; ok {
		return int(i), true, true
	}
	if i, ok := s.ha[matchKey{dst, proto, 0}]; ok {
		return int(i), true, true
	}
	return -1, false, true
}

// SNATFor returns the SNAT member that translates connections of protocol
// proto the IP configuration with address src opens; ok is false when none
// does (the frontend IP of a Floating IP rule, a VM without outbound SNAT).
func (s *Set) SNATFor(src packet.Addr, proto uint8) (snat, member int, ok bool) {
	r, ok := s.snatOf[snatSource{src, proto}]
	if !ok {
		return -1, -1, false
	}
	return int(r.snat), int(r.member), true
}

// SNATReturn returns the SNAT member whose source port range on frontend
// dst holds port, for packets of protocol proto coming back to it.
func (s *Set) SNATReturn(dst packet.Addr, proto uint8, port uint16) (snat, member int, ok bool) {
	rs := s.snatPorts[snatSource{dst, proto}]
	i, _ := slices.BinarySearchFunc(rs, port, func(r snatRange, port uint16) int { return int(r.hi) - int(port) })
	if i == len(rs) || rs[i].lo > port {
		return -1, -1, false
	}
	return int(rs[i].ref.snat), int(rs[i].ref.member), true
}

// IsFrontend reports whether ip is the frontend address of some rule.
func (s *Set) IsFrontend(ip packet.Addr) bool { return s.frontends[ip] }
