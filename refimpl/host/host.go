// Package host is the host agent's pure packet rewriting. Inbound, it
// decapsulates what the mux sent, rewrites the destination for the VM
// (Floating IP off: FIP:fport -> DIP:bport; on: only the port) and records
// the flow; outbound, it recognises the VM's replies of recorded flows and
// reverse-rewrites their source to FIP:fport, so the reply goes straight to
// the client (Direct Server Return). It does no I/O.
package host

import (
	"sync"

	"github.com/lbcheck/lbcheck/refimpl/encap"
	"github.com/lbcheck/lbcheck/refimpl/flow"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// frontend is what a reply is rewritten to.
type frontend struct {
	fip  [4]byte
	port uint16
}

// Agent rewrites packets for one VM. Inbound and Reply are safe to call
// from different goroutines.
type Agent struct {
	set *ruleset.Set
	vm  string

	mu    sync.Mutex
	flows *flow.Table[frontend] // keyed by the reply's 5-tuple
}

// New returns the agent for the named VM. flowLimit caps the recorded flows
// (default 65536; least recently used evicted first).
func New(set *ruleset.Set, vm string, flowLimit int) *Agent {
	if flowLimit <= 0 {
		flowLimit = 1 << 16
	}
	return &Agent{set: set, vm: vm, flows: flow.New[frontend](flowLimit)}
}

// Inbound handles one encapsulated datagram (header and inner packet) at time
// now (nanoseconds). On stats.Delivered it returns the rewritten inner IPv4
// packet, a subslice of b, to write to the VM; other reasons mean drop.
func (a *Agent) Inbound(b []byte, now int64) ([]byte, stats.Reason) {
	h, inner, err := encap.Decode(b)
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
	in, err := packet.Parse(inner)
	switch {
	case err == packet.ErrFragment:
		return nil, stats.Fragment
	case err != nil:
		return nil, stats.Malformed
	}
	// The inner packet must be one the rule matches: the header may not
	// steer arbitrary traffic into the VM.
	if ri, ok, _ := a.set.Match(in.Dst, in.Proto, in.DstPort); !ok || ri != int(h.Rule) {
		return nil, stats.EncapError
	}
	inner = inner[:in.Len]
	fe := frontend{fip: in.Dst, port: in.DstPort}
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
	a.mu.Lock()
	a.flows.Put(in.Tuple.Reverse(), fe, now, int64(r.Idle))
	a.mu.Unlock()
	return inner, stats.Delivered
}

// Reply handles one IPv4 packet the VM sent at time now. On stats.Reply the
// packet (a subslice of b) was rewritten in place to come from the frontend
// and should be sent to dst, the client. stats.VMOther means it is not a
// reply of a load-balanced flow (probe answers, the VM's own traffic) and
// is left alone.
func (a *Agent) Reply(b []byte, now int64) (out []byte, dst [4]byte, r stats.Reason) {
	in, err := packet.Parse(b)
	switch {
	case err == packet.ErrFragment:
		return nil, dst, stats.Fragment
	case err != nil:
		return nil, dst, stats.Malformed
	case in.Proto != packet.ProtoTCP && in.Proto != packet.ProtoUDP:
		return nil, dst, stats.VMOther
	}
	a.mu.Lock()
	fe, st := a.flows.Lookup(in.Tuple, now)
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

// Flows returns the number of recorded flows and how many were evicted
// because the table was full.
func (a *Agent) Flows() (n int, evicted uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flows.Len(), a.flows.Evicted()
}

// ExpireFlows drops idle flows (a bounded walk of the oldest) and returns
// how many it removed.
func (a *Agent) ExpireFlows(now int64) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.flows.Expire(now, 1024)
}
