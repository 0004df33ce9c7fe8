// Package host is the host agent's pure packet rewriting. Inbound, it
// decapsulates what the mux sent, rewrites the destination for the VM
// (Floating IP off: FIP:fport -> DIP:bport; on: only the port) and records
// the flow; outbound, it recognises the VM's replies of recorded flows and
// reverse-rewrites their source to FIP:fport, so the reply goes straight to
// the client (Direct Server Return). Connections the VM opens itself are
// source-translated (outbound SNAT) to their outbound frontend and a port
// of the member's range when the deployment gives the source address one,
// and dropped otherwise (the frontend IP of a Floating IP rule is never
// translated); their answers come back through the mux and are translated
// back. It does no I/O.
package host

import (
	"slices"
	"sync"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/flow"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// inflow is what the host remembers of a load-balanced flow, keyed by the
// 5-tuple of the VM's replies: the frontend the replies come from and, for
// TCP, what each side sent, so the flow can be reset at its idle timeout.
type inflow struct {
	fip  packet.Addr
	port uint16
	rule uint16
	seen uint8 // tcp* bits
	// clientNext and vmNext are the sequence numbers after the last
	// segment of each side: what the other side acknowledges next.
	clientNext, vmNext uint32
}

// What the host saw of a TCP flow.
const (
	tcpClientSent  = 1 << iota // the client sent a segment (clientNext is known)
	tcpClientAcked             // the client sent a segment with ACK and without SYN
	tcpVMSent                  // the VM sent a segment (vmNext is known)
	tcpVMAcked                 // the VM sent a segment with ACK
	tcpClosed                  // a FIN or RST went either way
)

// established reports whether the flow is an ESTABLISHED TCP connection as
// far as the host can tell: the handshake completed and nobody closed it.
func (f *inflow) established() bool {
	const want = tcpClientSent | tcpClientAcked | tcpVMSent | tcpVMAcked
	return f.seen&(want|tcpClosed) == want
}

// track records one TCP segment of the flow: from the client (inbound) or
// from the VM.
func (f *inflow) track(b []byte, in *packet.Info, fromClient bool) {
	if in.TCPFlags&(packet.TCPFin|packet.TCPRst) != 0 {
		f.seen |= tcpClosed
	}
	next, sent, acked, ackBit := &f.vmNext, uint8(tcpVMSent), uint8(tcpVMAcked), in.TCPFlags&packet.TCPAck != 0
	if fromClient {
		next, sent, acked = &f.clientNext, tcpClientSent, tcpClientAcked
		ackBit = in.TCPFlags&(packet.TCPSyn|packet.TCPAck) == packet.TCPAck
	}
	n := packet.TCPNext(b, in)
	if f.seen&sent == 0 {
		*next = n
	} else {
		*next = later(*next, n)
	}
	f.seen |= sent
	if ackBit {
		f.seen |= acked
	}
}

// later returns the later of two sequence numbers (serial arithmetic).
func later(a, b uint32) uint32 {
	if int32(b-a) > 0 {
		return b
	}
	return a
}

// endpoint is one side of a translated connection.
type endpoint struct {
	ip   packet.Addr
	port uint16
}

// Agent rewrites packets for one VM. Inbound and Reply (or Outbound) are
// safe to call from different goroutines.
type Agent struct {
	set *ruleset.Set
	vm  string

	mu    sync.Mutex
	flows *flow.Table[inflow] // keyed by the reply's 5-tuple
	// snat keys each translated connection twice: by the VM's 5-tuple
	// (value: the frontend address and port it leaves from) and by the
	// answer's 5-tuple to the frontend (value: the VM's DIP and port).
	snat  *flow.Table[endpoint]
	next  [][]uint16    // per SNAT, per member: the next port offset to try
	local []packet.Addr // addresses packets to which are never translated
	dips  []packet.Addr // the VM's addresses (Options.DIPs)
	peers []packet.Addr // the other VMs' addresses (Options.Peers)
}

// Options configure an Agent.
type Options struct {
	// FlowLimit caps the recorded flows and, separately, the translated
	// outbound connections (default 65536; least recently used evicted
	// first).
	FlowLimit int
	// Local are the addresses the VM reaches inside its network without
	// translation, such as its gateway; Azure's platform address is
	// always one.
	Local []packet.Addr
	// DIPs are the VM's own addresses: a packet of the virtual network
	// (encap.VNet) is delivered only when addressed to one of them.
	DIPs []packet.Addr
	// Peers are the other VMs' addresses (Within).
	Peers []packet.Addr
}

// New returns the agent for the named VM.
func New(set *ruleset.Set, vm string, o Options) *Agent {
	flowLimit := o.FlowLimit
	if flowLimit <= 0 {
		flowLimit = 1 << 16
	}
	a := &Agent{set: set, vm: vm, flows: flow.New[inflow](flowLimit), snat: flow.New[endpoint](2 * flowLimit),
		local: append([]packet.Addr{platformAddr}, o.Local...), dips: o.DIPs, peers: o.Peers}
	for _, sn := range set.SNATs {
		a.next = append(a.next, make([]uint16, len(sn.Members)))
	}
	return a
}

// Inbound handles one encapsulated datagram (header and inner packet) at time
// now (nanoseconds). On stats.Delivered it returns the rewritten inner
// packet (IPv4 or IPv6), a subslice of b, to write to the VM; other reasons
// mean drop.
func (a *Agent) Inbound(b []byte, now int64) ([]byte, stats.Reason) {
	h, inner, err := encap.Decode(b)
	switch {
	case err == nil && h.Kind == encap.SNATReturn:
		return a.snatReturn(h, inner, now)
	case err == nil && h.Kind == encap.VNet:
		return a.vnet(inner)
	}
	if err != nil || int(h.Rule) >= len(a.set.Rules) {
		return nil, stats.EncapError
	}
	r := &a.set.Rules[h.Rule]
	if int(h.Backend) >= len(r.Backends) {
		return nil, stats.EncapError
	}
	be := &r.Backends[h.Backend]
	if be.VM != a.vm {
		return nil, stats.WrongHost
	}
	in, why := parse(inner)
	if why != stats.Delivered {
		return nil, why
	}
	// The inner packet must be one the rule matches: the header may not
	// steer arbitrary traffic into the VM.
	if ri, ok, _ := a.set.Match(in.Dst, in.Proto, in.DstPort); !ok || ri != int(h.Rule) {
		return nil, stats.EncapError
	}
	inner = inner[:in.Len]
	fip, fport := in.Dst, in.DstPort
	bport := r.BackendPort
	if r.HAPorts {
		bport = in.DstPort
	}
	if !r.Floating {
		packet.SetDst(inner, &in, be.DIP)
	}
	if in.DstPort != bport {
		packet.SetDstPort(inner, &in, bport)
	}
	if r := a.record(inner, &in, fip, fport, h.Rule, now); r != stats.Delivered {
		return nil, r
	}
	return inner, stats.Delivered
}

// record notes an inbound packet of rule ri (already rewritten for the VM)
// in its flow: a TCP SYN or a packet of a flow not known opens one, a
// non-SYN TCP packet of an expired flow is dropped (stats.FlowExpired).
func (a *Agent) record(b []byte, in *packet.Info, fip packet.Addr, fport, ri uint16, now int64) stats.Reason {
	tcp := in.Proto == packet.ProtoTCP
	key := in.Tuple.Reverse()
	a.mu.Lock()
	defer a.mu.Unlock()
	f, st := a.flows.Lookup(key, now)
	if st == flow.Hit && (!tcp || in.TCPFlags&(packet.TCPSyn|packet.TCPAck) != packet.TCPSyn) {
		if tcp {
			f.track(b, in, true)
		}
		return stats.Delivered
	}
	if st == flow.Expired && tcp && in.TCPFlags&packet.TCPSyn == 0 {
		return stats.FlowExpired
	}
	nf := inflow{fip: fip, port: fport, rule: ri}
	if tcp {
		nf.track(b, in, true)
	}
	a.flows.Put(key, nf, now, int64(a.set.FlowIdle(&a.set.Rules[ri], in.Proto)))
	return stats.Delivered
}

// Reply handles one IPv4 or IPv6 packet the VM sent at time now. On stats.Reply the
// packet (a subslice of b) was rewritten in place to come from the frontend
// and should be sent to dst, the client. stats.VMOther means it is not a
// reply of a load-balanced flow (probe answers, the VM's own traffic) and
// is left alone.
func (a *Agent) Reply(b []byte, now int64) (out []byte, dst packet.Addr, r stats.Reason) {
	in, r := parse(b)
	switch {
	case r != stats.Delivered:
		return nil, dst, r
	case in.Proto != packet.ProtoTCP && in.Proto != packet.ProtoUDP:
		return nil, dst, stats.VMOther
	}
	a.mu.Lock()
	f, st := a.flows.Lookup(in.Tuple, now)
	var fe inflow
	if st == flow.Hit {
		if in.Proto == packet.ProtoTCP {
			f.track(b, &in, false)
		}
		fe = *f
	}
	a.mu.Unlock()
	switch st {
	case flow.Miss:
		return nil, dst, stats.VMOther
	case flow.Expired:
		return nil, dst, stats.FlowExpired
	}
	b = b[:in.Len]
	if in.Src != fe.fip {
		packet.SetSrc(b, &in, fe.fip)
	}
	if in.SrcPort != fe.port {
		packet.SetSrcPort(b, &in, fe.port)
	}
	return b, in.Dst, stats.Reply
}

// platformAddr is Azure's platform address (health probes, DNS, the
// instance metadata service): the VM's packets to it are never translated.
var platformAddr = packet.AddrFrom4([4]byte{168, 63, 129, 16})

// stays reports whether the VM's packets to dst stay on its link, never
// translated: to the local addresses (New), or to an IPv6 link-local or
// multicast address (its IPv6 gateway, neighbour discovery, the source of
// the health probes).
func (a *Agent) stays(dst packet.Addr) bool {
	if slices.Contains(a.local, dst) {
		return true
	}
	ip := dst.NetIP()
	return ip.Is6() && (ip.IsLinkLocalUnicast() || ip.IsMulticast())
}

// snatAttempts bounds the ports Outbound tries for a new connection.
const snatAttempts = 256

// Outbound handles one IPv4 or IPv6 packet the VM sent that Reply left alone
// (stats.VMOther) at time now. When the deployment translates connections
// of the packet's protocol from its source address (ruleset.Set.SNATFor),
// it is rewritten in place (a subslice of b) to come from the outbound
// frontend and a source port of the member's range, the same one for the
// whole connection, and should be sent to dst (stats.SNAT). A connection
// from an address the deployment does not translate, the frontend IP of a
// Floating IP rule included, is dropped (stats.NotSNATed): Azure "won't
// rewrite the outbound flow, and the flow fails". Packets that stay on the
// VM's link (stays) and other protocols stay stats.VMOther.
func (a *Agent) Outbound(b []byte, now int64) (out []byte, dst packet.Addr, r stats.Reason) {
	in, r := parse(b)
	switch {
	case r != stats.Delivered:
		return nil, dst, r
	case in.Proto != packet.ProtoTCP && in.Proto != packet.ProtoUDP, a.stays(in.Dst):
		return nil, dst, stats.VMOther
	}
	si, mi, ok := a.set.SNATFor(in.Src, in.Proto)
	if !ok || a.set.SNATs[si].Members[mi].VM != a.vm {
		return nil, dst, stats.NotSNATed
	}
	sn := &a.set.SNATs[si]
	a.mu.Lock()
	var fe endpoint
	if p, st := a.snat.Lookup(in.Tuple, now); st == flow.Hit {
		fe = *p
		// Keep the answer's entry as fresh as the connection's.
		a.snat.Lookup(answer(in.Tuple, fe), now)
	} else if fe, ok = a.allocate(in.Tuple, si, mi, now); !ok {
		a.mu.Unlock()
		return nil, dst, stats.SNATExhausted
	}
	a.mu.Unlock()
	b = b[:in.Len]
	packet.SetSrc(b, &in, sn.FIP)
	if in.SrcPort != fe.port {
		packet.SetSrcPort(b, &in, fe.port)
	}
	return b, in.Dst, stats.SNAT
}

// answer is the 5-tuple of the packets answering connection t after it
// was translated to leave from fe.
func answer(t packet.Tuple, fe endpoint) packet.Tuple {
	t.Src, t.SrcPort = fe.ip, fe.port
	return t.Reverse()
}

// allocate picks a source port for the new connection t of member mi of
// SNAT si: the next port of the member's range, round robin, that no live
// connection to the same destination uses; it records the connection both
// ways. The caller holds a.mu.
func (a *Agent) allocate(t packet.Tuple, si, mi int, now int64) (endpoint, bool) {
	sn := &a.set.SNATs[si]
	m := &sn.Members[mi]
	size := int(m.Hi) - int(m.Lo) + 1
	next := &a.next[si][mi]
	for range min(size, snatAttempts) {
		fe := endpoint{ip: sn.FIP, port: m.Lo + *next}
		*next = uint16((int(*next) + 1) % size)
		back := answer(t, fe)
		if _, st := a.snat.Lookup(back, now); st == flow.Hit {
			continue
		}
		a.snat.Put(t, fe, now, int64(sn.Idle))
		a.snat.Put(back, endpoint{ip: t.Src, port: t.SrcPort}, now, int64(sn.Idle))
		return fe, true
	}
	return endpoint{}, false
}

// snatReturn delivers a packet the mux sent to this host because it went to
// an SNAT port of one of its VM's members: the answer of a connection
// Outbound translated, rewritten back to the VM's DIP and port.
func (a *Agent) snatReturn(h encap.Header, inner []byte, now int64) ([]byte, stats.Reason) {
	if int(h.Rule) >= len(a.set.SNATs) || int(h.Backend) >= len(a.set.SNATs[h.Rule].Members) {
		return nil, stats.EncapError
	}
	if a.set.SNATs[h.Rule].Members[h.Backend].VM != a.vm {
		return nil, stats.WrongHost
	}
	in, r := parse(inner)
	if r != stats.Delivered {
		return nil, r
	}
	if si, mi, ok := a.set.SNATReturn(in.Dst, in.Proto, in.DstPort); !ok || si != int(h.Rule) || mi != int(h.Backend) {
		return nil, stats.EncapError
	}
	a.mu.Lock()
	var vm endpoint
	p, st := a.snat.Lookup(in.Tuple, now)
	if st == flow.Hit {
		vm = *p
		t := in.Tuple.Reverse()
		t.Src, t.SrcPort = vm.ip, vm.port
		a.snat.Lookup(t, now)
	}
	a.mu.Unlock()
	if st != flow.Hit {
		return nil, stats.SNATUnknown
	}
	inner = inner[:in.Len]
	packet.SetDst(inner, &in, vm.ip)
	if in.DstPort != vm.port {
		packet.SetDstPort(inner, &in, vm.port)
	}
	return inner, stats.Delivered
}

// vnet delivers a packet another host sent from one of its VMs (encap.VNet),
// unchanged, when it is addressed to this VM.
func (a *Agent) vnet(inner []byte) ([]byte, stats.Reason) {
	in, r := parse(inner)
	switch {
	case r != stats.Delivered:
		return nil, r
	case !slices.Contains(a.dips, in.Dst):
		return nil, stats.WrongHost
	}
	return inner[:in.Len], stats.Delivered
}

// Within handles a packet the VM sent that Reply left alone (stats.VMOther)
// and that stays inside the virtual network, unchanged: to a rule of an
// internal load balancer (stats.Hairpin: the host sends it to the mux,
// which balances it like a client's; the member chosen may be this VM
// itself, whose stack then drops a packet from its own address, so Azure's
// hairpin works only when the flow goes to another member), or to another
// VM (Options.Peers; stats.VNet: encapsulated to that VM's host, never
// translated). dst is the packet's destination. Anything else stays
// stats.VMOther, for Outbound.
func (a *Agent) Within(b []byte) (dst packet.Addr, r stats.Reason) {
	in, r := parse(b)
	switch {
	case r != stats.Delivered:
		return dst, r
	case slices.Contains(a.peers, in.Dst):
		return in.Dst, stats.VNet
	}
	if ri, ok, _ := a.set.Match(in.Dst, in.Proto, in.DstPort); ok && a.set.Rules[ri].Internal {
		return in.Dst, stats.Hairpin
	}
	return in.Dst, stats.VMOther
}

// parse parses an IP packet; a reason other than stats.Delivered says
// why it is dropped (a fragment, or malformed).
func parse(b []byte) (packet.Info, stats.Reason) {
	in, err := packet.Parse(b)
	switch {
	case err == packet.ErrFragment:
		return in, stats.Fragment
	case err != nil:
		return in, stats.Malformed
	}
	return in, stats.Delivered
}

// Flows returns the number of recorded flows and how many were evicted
// because the table was full.
func (a *Agent) Flows() (n int, evicted uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flows.Len(), a.flows.Evicted()
}

// Reset is a TCP reset the host sends when an ESTABLISHED flow of a rule
// with enableTcpReset reaches its idle timeout: one to the VM, one to the
// client from the frontend, each with the sequence number the receiver
// expects next, so its stack accepts it (RFC 5961).
type Reset struct {
	Packet []byte // a TCP segment with RST and ACK, IPv4 or IPv6
	// ToVM: deliver Packet to the VM; otherwise send it to the client, Dst,
	// like a reply.
	ToVM bool
	Dst  packet.Addr
}

// ExpireFlows expires idle flows (a bounded walk of the oldest) and returns
// how many it expired and the TCP resets to send for them. Other idle flows
// end silently: their later packets are dropped (stats.FlowExpired).
func (a *Agent) ExpireFlows(now int64) (expired int, resets []Reset) {
	a.mu.Lock()
	defer a.mu.Unlock()
	expired = a.flows.Expire(now, 1024, func(k packet.Tuple, f *inflow) {
		if k.Proto != packet.ProtoTCP || !f.established() || !a.set.Rules[f.rule].TCPReset {
			return
		}
		// k is the reply's 5-tuple: from the VM's address and port to the client.
		toClient := packet.Tuple{Src: f.fip, SrcPort: f.port, Dst: k.Dst, DstPort: k.DstPort, Proto: k.Proto}
		resets = append(resets,
			Reset{Packet: packet.WriteReset(make([]byte, packet.ResetLen6), k.Reverse(), f.clientNext, f.vmNext), ToVM: true},
			Reset{Packet: packet.WriteReset(make([]byte, packet.ResetLen6), toClient, f.vmNext, f.clientNext), Dst: k.Dst})
	})
	return expired + a.snat.Expire(now, 1024, nil), resets
}
