// Package mux is the mux's pure decision: for a packet to a frontend IP it
// finds the load-balancing rule, keeps established flows on their backend,
// and picks a healthy backend for new flows by consistent hashing (one
// Maglev table per rule over its healthy members). It does no I/O: the
// caller reads packets, calls Process, and encapsulates to the host the
// Decision names.
package mux

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/flow"
	"github.com/lbcheck/lbcheck/refimpl/maglev"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// Decision is the outcome of Process. Reason is stats.Forwarded when the
// packet goes to Host (encapsulation header: Kind, Rule, Backend); any
// other Reason means drop (or ignore) and count.
type Decision struct {
	Reason stats.Reason
	// Kind is encap.Inbound for a rule's packet (Rule and Backend index
	// the rule set's Rules), encap.SNATReturn for a packet to an outbound
	// SNAT port (they index its SNATs).
	Kind    encap.Kind
	Rule    uint16
	Backend uint16
	Host    netip.AddrPort
	// Len is the packet's length (packet.Info.Len): what to encapsulate
	// (link-layer padding after it is not part of the packet).
	Len int
}

// Options tune a Mux.
type Options struct {
	// FlowLimit caps the flow table (default 65536); the least recently
	// used flow is evicted when it is full.
	FlowLimit int
	// TableSize is the Maglev table size (a prime; default maglev.DefaultSize).
	TableSize int
	// MTU is the virtual network's MTU, the largest packet delivered to a
	// VM (default DefaultMTU).
	MTU int
}

// DefaultMTU is Azure's virtual network MTU.
const DefaultMTU = 1500

// Mux decides where packets go. Process and ExpireFlows must be called from
// one goroutine; SetHealth from any one other goroutine (health state is
// swapped atomically).
type Mux struct {
	set   *ruleset.Set
	hosts []netip.AddrPort   // per rule, per backend: flattened by offset
	off   []int              // rule -> first index in hosts
	snat  [][]netip.AddrPort // per SNAT, per member: its VM's host
	size  int
	mtu   int
	flows *flow.Table[pinned]
	state atomic.Pointer[state]
	up    []bool // SetHealth's working copy, per probe
}

// pinned is what the flow table remembers: the rule and backend of a flow.
type pinned struct {
	rule, backend uint16
}

// state is an immutable snapshot of member health and the tables built from it.
type state struct {
	up    []bool      // per probe target
	rules []ruleState // per rule
}

type ruleState struct {
	table   *maglev.Table // over members; nil when no member may take new flows
	members []uint16      // table index -> backend index
	anyUp   bool
}

// New returns a Mux for the compiled rule set. hostOf returns the provider
// address and encapsulation port of the host running the named VM; members
// whose VM has no host are never chosen. All members start healthy: a member
// goes down only when its host agent reports probeThreshold failures.
func New(set *ruleset.Set, hostOf func(vm string) (netip.AddrPort, bool), o Options) *Mux {
	if o.FlowLimit <= 0 {
		o.FlowLimit = 1 << 16
	}
	if o.MTU <= 0 {
		o.MTU = DefaultMTU
	}
	m := &Mux{set: set, size: o.TableSize, mtu: o.MTU, flows: flow.New[pinned](o.FlowLimit), up: make([]bool, len(set.Probes))}
	for i := range m.up {
		m.up[i] = true
	}
	for _, r := range set.Rules {
		m.off = append(m.off, len(m.hosts))
		for _, b := range r.Backends {
			h, _ := hostOf(b.VM)
			m.hosts = append(m.hosts, h)
		}
	}
	for _, sn := range set.SNATs {
		hs := make([]netip.AddrPort, len(sn.Members))
		for i, mb := range sn.Members {
			hs[i], _ = hostOf(mb.VM)
		}
		m.snat = append(m.snat, hs)
	}
	m.state.Store(m.build())
	return m
}

// SetHealth records the health of probe target probe (an index into the
// rule set's Probes) and rebuilds the affected tables. It reports whether
// the health changed.
func (m *Mux) SetHealth(probe int, up bool) bool {
	if probe < 0 || probe >= len(m.up) || m.up[probe] == up {
		return false
	}
	m.up[probe] = up
	m.state.Store(m.build())
	return true
}

// Healthy reports the current health of probe target probe.
func (m *Mux) Healthy(probe int) bool {
	s := m.state.Load()
	return probe >= 0 && probe < len(s.up) && s.up[probe]
}

func (m *Mux) build() *state {
	s := &state{up: append([]bool(nil), m.up...), rules: make([]ruleState, len(m.set.Rules))}
	for ri, r := range m.set.Rules {
		var names []string
		var members, all []uint16
		for bi, b := range r.Backends {
			if !m.hosts[m.off[ri]+bi].IsValid() {
				continue
			}
			all = append(all, uint16(bi))
			if b.Probe < 0 || s.up[b.Probe] {
				members = append(members, uint16(bi))
			}
		}
		rs := ruleState{anyUp: len(members) > 0}
		if !rs.anyUp && r.AllProbedUp {
			members = all
		}
		if len(members) > 0 {
			for _, bi := range members {
				names = append(names, r.Backends[bi].Name)
			}
			rs.table = maglev.New(names, m.size)
			rs.members = members
		}
		s.rules[ri] = rs
	}
	return s
}

// memberUp reports whether backend bi of rule ri passes its probe.
func (s *state) memberUp(r *ruleset.Rule, bi uint16) bool {
	p := r.Backends[bi].Probe
	return p < 0 || s.up[p]
}

// Process decides what to do with one IPv4 or IPv6 packet read at time now
// (nanoseconds, monotonic). It never panics and does not allocate.
func (m *Mux) Process(b []byte, now int64) Decision {
	in, err := packet.Parse(b)
	switch err {
	case nil:
	case packet.ErrFragment:
		return Decision{Reason: stats.Fragment}
	default:
		return Decision{Reason: stats.Malformed}
	}
	ri, ok, isFrontend := m.set.Match(in.Dst, in.Proto, in.DstPort)
	if !ok {
		// The answer to a connection a backend opened goes to the host
		// of the member whose SNAT ports hold its destination port; the
		// host knows the connection (stateless here, as in Ananta).
		if si, mi, ok := m.set.SNATReturn(in.Dst, in.Proto, in.DstPort); ok && m.snat[si][mi].IsValid() {
			return Decision{Reason: stats.Forwarded, Kind: encap.SNATReturn, Rule: uint16(si), Backend: uint16(mi), Host: m.snat[si][mi], Len: in.Len}
		}
		if isFrontend {
			return Decision{Reason: stats.NoRule}
		}
		return Decision{Reason: stats.NotFrontend}
	}
	if in.Len > m.mtu {
		// Larger than any VM takes: with DF the client learns the MTU.
		if packet.DontFragment(b) {
			return Decision{Reason: stats.FragNeeded, Len: in.Len}
		}
		return Decision{Reason: stats.TooBig}
	}
	r := &m.set.Rules[ri]
	s := m.state.Load()
	rs := &s.rules[ri]
	tcp := in.Proto == packet.ProtoTCP
	syn := tcp && in.TCPFlags&(packet.TCPSyn|packet.TCPAck) == packet.TCPSyn // opens a connection
	p, st := m.flows.Lookup(in.Tuple, now)
	switch {
	case st == flow.Hit && int(p.rule) == ri:
		switch {
		case s.memberUp(r, p.backend), rs.table != nil && !rs.anyUp:
			// Healthy, or every member is down and AllProbedUp keeps them all.
			return m.forward(ri, p.backend, in.Len)
		case tcp && !syn && (rs.anyUp || len(r.Backends) > 1):
			// Probe-down member: established TCP flows continue (with every
			// member down only when the pool has more than one instance).
			return m.forward(ri, p.backend, in.Len)
		}
		// UDP flows move to a healthy member, a reused 5-tuple's new
		// connection is a new flow, and a lone down instance's TCP flows end.
		m.flows.Delete(in.Tuple)
	case st == flow.Expired && tcp && !syn:
		return Decision{Reason: stats.FlowExpired}
	}
	if rs.table == nil {
		return Decision{Reason: stats.NoHealthyBackend}
	}
	bi := rs.members[rs.table.Lookup(Hash(in.Tuple, r.Distribution))]
	m.flows.Put(in.Tuple, pinned{uint16(ri), bi}, now, int64(m.set.FlowIdle(r, in.Proto)))
	return m.forward(ri, bi, in.Len)
}

// FragNeeded builds in out (at least packet.PacketTooBigLen bytes) the
// ICMP error answering b, a packet Process decided stats.FragNeeded for:
// "fragmentation needed" for IPv4, "packet too big" for IPv6, from the
// frontend it was sent to, to its sender, with the virtual network's MTU.
// It returns nil for any other packet.
func (m *Mux) FragNeeded(b, out []byte) []byte {
	in, err := packet.Parse(b)
	switch {
	case err != nil || in.Len <= m.mtu || !packet.DontFragment(b):
		return nil
	case in.IPv6:
		return packet.WritePacketTooBig(out, b, &in, in.Dst, uint32(m.mtu))
	}
	return packet.WriteFragNeeded(out, b, &in, in.Dst, uint16(m.mtu))
}

func (m *Mux) forward(ri int, bi uint16, n int) Decision {
	return Decision{Reason: stats.Forwarded, Rule: uint16(ri), Backend: bi, Host: m.hosts[m.off[ri]+int(bi)], Len: n}
}

// ExpireFlows expires idle flows (a bounded walk of the oldest ones) and
// returns how many it expired. Later non-SYN TCP packets of an expired flow
// are dropped (stats.FlowExpired) while the table remembers it.
func (m *Mux) ExpireFlows(now int64) int { return m.flows.Expire(now, 1024, nil) }

// Flows returns the number of tracked flows and how many were evicted
// because the table was full.
func (m *Mux) Flows() (n int, evicted uint64) { return m.flows.Len(), m.flows.Evicted() }

// Hash hashes the fields of t that distribution d selects: Default all five,
// SourceIP the two addresses, SourceIPProtocol the addresses and protocol.
// Every bit of an IPv6 address counts; IPv4 tuples hash as they did before
// the forwarder knew IPv6.
func Hash(t packet.Tuple, d ruleset.Distribution) uint64 {
	h := addrHash(t)
	var x uint64
	switch d {
	case ruleset.FiveTuple:
		x = uint64(t.SrcPort)<<24 | uint64(t.DstPort)<<8 | uint64(t.Proto)
	case ruleset.SourceIPProtocol:
		x = uint64(t.Proto)
	}
	return maglev.Mix(maglev.Mix(h) ^ x)
}

// addrHash folds the addresses of t into 64 bits: two IPv4 addresses side
// by side, or the four 64-bit halves of two IPv6 addresses mixed in turn.
func addrHash(t packet.Tuple) uint64 {
	if t.Src.Is4() {
		return uint64(binary.BigEndian.Uint32(t.Src[12:]))<<32 | uint64(binary.BigEndian.Uint32(t.Dst[12:]))
	}
	h := maglev.Mix(binary.BigEndian.Uint64(t.Src[:8])) ^ binary.BigEndian.Uint64(t.Src[8:])
	h = maglev.Mix(h) ^ binary.BigEndian.Uint64(t.Dst[:8])
	return maglev.Mix(h) ^ binary.BigEndian.Uint64(t.Dst[8:])
}
