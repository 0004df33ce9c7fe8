// Package ruleset compiles a schema.Deployment into the indexed form the mux
// and the host agent share: load-balancing rules with resolved frontend
// addresses, backend DIPs and probes, and lookup maps from (frontend IP,
// protocol, port) to rule. Mux and host compile the same deployment, so rule
// and backend indexes carried in the encapsulation header agree.
package ruleset

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/schema"
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

// Backend is one pool member of a rule: an IP configuration of a VM.
type Backend struct {
	// Name identifies the member across health changes ("vm/nic/ipconfig").
	Name string
	VM   string
	DIP  [4]byte
	// Probe indexes Set.Probes, or is -1 when the rule has no probe (the
	// member is always healthy).
	Probe int
}

// Rule is a compiled load-balancing rule.
type Rule struct {
	Name         string // "lb/rule"
	FIP          [4]byte
	FrontendPort uint16
	BackendPort  uint16
	HAPorts      bool
	Floating     bool
	Distribution Distribution
	Idle         time.Duration
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
	Protocol  string // Tcp | Http | Https
	Port      int
	Path      string
	Interval  time.Duration
	Threshold int
}

// Set is the compiled deployment.
type Set struct {
	Rules  []Rule
	Probes []Probe
	// Warnings lists what was left out (IPv6 frontends, dangling references).
	Warnings []string

	exact     map[matchKey]uint16
	ha        map[matchKey]uint16 // port 0
	frontends map[[4]byte]bool
}

type matchKey struct {
	fip   [4]byte
	proto uint8
	port  uint16
}

// Compile resolves every load-balancing rule and inbound NAT rule of d.
// Outbound rules are not forwarded by the reference forwarder and are
// ignored.
func Compile(d *schema.Deployment) (*Set, error) {
	s := &Set{exact: map[matchKey]uint16{}, ha: map[matchKey]uint16{}, frontends: map[[4]byte]bool{}}
	probeIndex := map[string]int{}
	for _, lb := range d.LoadBalancers {
		for _, r := range lb.LoadBalancingRules {
			if err := s.addRule(d, lb, r, probeIndex); err != nil {
				return nil, fmt.Errorf("load balancer %s rule %s: %w", lb.Name, r.Name, err)
			}
		}
		for _, r := range lb.InboundNatRules {
			if err := s.addNatRule(d, lb, r); err != nil {
				return nil, fmt.Errorf("load balancer %s inbound NAT rule %s: %w", lb.Name, r.Name, err)
			}
		}
	}
	return s, nil
}

func (s *Set) addRule(d *schema.Deployment, lb *schema.LoadBalancer, r *schema.Rule, probeIndex map[string]int) error {
	name := lb.Name + "/" + r.Name
	fip, ok := s.frontendIP(lb, name, r.FrontendIPConfiguration)
	if !ok {
		return nil
	}
	cr := Rule{
		Name: name, FIP: fip,
		FrontendPort: uint16(r.FrontendPort), BackendPort: uint16(r.BackendPort),
		HAPorts: r.IsHAPorts(), Floating: r.EnableFloatingIP, Idle: idle(r.IdleTimeoutInMinutes),
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
	protos, err := protocols(r.Protocol)
	if err != nil {
		return err
	}
	var probe *schema.Probe
	if r.Probe != "" {
		if probe = lb.Probe(r.Probe); probe == nil {
			s.warnf("%s: probe %q not found; members treated as always healthy", name, r.Probe)
		}
	}
	if probe != nil {
		cr.AllProbedUp = probe.NoHealthyBackendsBehavior == "AllProbedUp"
	}
	pool := lb.Pool(r.BackendAddressPool)
	if pool == nil {
		s.warnf("%s: backend pool %q not found; rule has no members", name, r.BackendAddressPool)
	} else {
		for _, m := range pool.Members {
			b, ok := s.member(d, name, m, r.EnableFloatingIP)
			if !ok {
				continue
			}
			if probe != nil {
				b.Probe = s.probe(lb, probe, m.VM, netip.AddrFrom4(b.DIP), probeIndex)
			}
			cr.Backends = append(cr.Backends, b)
		}
	}
	return s.register(cr, protos)
}

// addNatRule compiles an inbound NAT rule into rules with one backend each
// and no probe: a classic rule (Target) maps frontendPort to its target; a
// v2 rule (BackendAddressPool) gives the pool's k-th member
// frontendPortRangeStart+k, up to frontendPortRangeEnd.
func (s *Set) addNatRule(d *schema.Deployment, lb *schema.LoadBalancer, r *schema.NatRule) error {
	name := lb.Name + "/" + r.Name
	fip, ok := s.frontendIP(lb, name, r.FrontendIPConfiguration)
	if !ok {
		return nil
	}
	protos, err := protocols(r.Protocol)
	if err != nil {
		return err
	}
	add := func(m *schema.PoolMember, fport int) error {
		b, ok := s.member(d, name, m, r.EnableFloatingIP)
		if !ok {
			return nil
		}
		return s.register(Rule{Name: name + "/" + m.VM, FIP: fip, FrontendPort: uint16(fport), BackendPort: uint16(r.BackendPort),
			Floating: r.EnableFloatingIP, Idle: idle(r.IdleTimeoutInMinutes), Backends: []Backend{b}}, protos)
	}
	if r.Target != nil {
		return add(r.Target, r.FrontendPort)
	}
	pool := lb.Pool(r.BackendAddressPool)
	if pool == nil {
		s.warnf("%s: backend pool %q not found; NAT rule skipped", name, r.BackendAddressPool)
		return nil
	}
	for k, m := range pool.Members {
		port := r.FrontendPortRangeStart + k
		if port > r.FrontendPortRangeEnd {
			s.warnf("%s: frontend port range %d-%d has no port for member %s/%s", name, r.FrontendPortRangeStart, r.FrontendPortRangeEnd, m.VM, m.IPConfiguration)
			break
		}
		if err := add(m, port); err != nil {
			return err
		}
	}
	return nil
}

// frontendIP resolves a frontend IP configuration to its IPv4 address.
func (s *Set) frontendIP(lb *schema.LoadBalancer, rule, frontend string) ([4]byte, bool) {
	fe := lb.Frontend(frontend)
	if fe == nil {
		s.warnf("%s: frontend %q not found; rule skipped", rule, frontend)
		return [4]byte{}, false
	}
	fip, err := netip.ParseAddr(fe.IPAddress)
	if err != nil || !fip.Is4() {
		s.warnf("%s: frontend address %q is not IPv4; rule skipped", rule, fe.IPAddress)
		return [4]byte{}, false
	}
	return fip.As4(), true
}

// member resolves a pool member or NAT target to a backend without a probe.
func (s *Set) member(d *schema.Deployment, rule string, m *schema.PoolMember, floating bool) (Backend, bool) {
	nic, ipc := d.IPConfig(m)
	if ipc == nil {
		s.warnf("%s: pool member %s/%s not found", rule, m.VM, m.IPConfiguration)
		return Backend{}, false
	}
	if floating && !ipc.Primary {
		// Azure: "Floating IP isn't currently supported on secondary IP
		// configurations"; such members get no flows.
		s.warnf("%s: member %s/%s is a secondary IP configuration; Floating IP does not deliver to it", rule, m.VM, ipc.Name)
		return Backend{}, false
	}
	dip, err := netip.ParseAddr(ipc.PrivateIPAddress)
	if err != nil || !dip.Is4() {
		s.warnf("%s: member %s/%s address %q is not IPv4; skipped", rule, m.VM, ipc.Name, ipc.PrivateIPAddress)
		return Backend{}, false
	}
	return Backend{Name: m.VM + "/" + nic.Name + "/" + ipc.Name, VM: m.VM, DIP: dip.As4(), Probe: -1}, true
}

// protocols maps a rule's protocol to the IP protocols it matches.
func protocols(p string) ([]uint8, error) {
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

func idle(minutes int) time.Duration {
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
func (s *Set) Match(dst [4]byte, proto uint8, port uint16) (rule int, ok, isFrontend bool) {
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

// IsFrontend reports whether ip is the frontend address of some rule.
func (s *Set) IsFrontend(ip [4]byte) bool { return s.frontends[ip] }
