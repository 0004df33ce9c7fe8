// Package stats counts what the forwarder did with each packet, one atomic
// counter per reason, and renders the counters as JSON.
package stats

import (
	"bytes"
	"strconv"
	"sync/atomic"
)

// Reason is what happened to a packet (or a control event). The pure cores
// return a Reason; the I/O shells count it.
type Reason uint8

// Reasons. The JSON key of each is in names.
const (
	Rx               Reason = iota // mux: IPv4 or IPv6 packet read from the fabric interface
	Forwarded                      // mux: encapsulated and sent to a host
	NotFrontend                    // mux: destination is not a frontend IP (ignored)
	NoRule                         // mux: frontend IP, but no rule matches protocol and port (dropped)
	Malformed                      // truncated or invalid IPv4/IPv6/TCP/UDP packet (dropped)
	Fragment                       // fragmented TCP/UDP packet (dropped)
	Offload                        // segmentation-offload packet that is not TCP (dropped)
	NoHealthyBackend               // mux: no healthy member for a new flow (dropped)
	FlowExpired                    // idle-timed-out TCP flow, non-SYN packet (dropped)
	FlowsEvicted                   // flows pushed out of a full flow table
	EncapRx                        // host: encapsulated packet received
	EncapError                     // host: bad encapsulation header or inner packet not matching its rule
	WrongHost                      // host: the backend named in the header is not this host's VM
	Delivered                      // host: rewritten and written to the VM interface
	VMRx                           // host: IPv4 or IPv6 packet read from the VM interface
	Reply                          // host: reply reverse-rewritten and sent to the client
	VMOther                        // host: VM packet that is not a reply of a load-balanced flow (ignored)
	TxError                        // a send failed
	ProbeUp                        // host: probe results "up" sent to the mux
	ProbeDown                      // host: probe results "down" sent to the mux
	HealthReport                   // mux: health report received
	HealthChange                   // mux: a member changed health
	ControlError                   // mux: unreadable control message
	ForeignSender                  // a control or encapsulated datagram from a sender the config names as no peer for it (dropped)
	SNAT                           // host: a connection the VM opened, source-translated to its outbound frontend and sent
	NotSNATed                      // host: a connection the VM opened from an address Azure does not translate, such as a frontend IP (dropped)
	SNATExhausted                  // host: no free SNAT port for a new outbound connection (dropped)
	SNATUnknown                    // host: a packet to an SNAT port that answers no translated connection (dropped)
	TCPReset                       // host: a TCP reset sent at an idle timeout (enableTcpReset), to the VM or to the client
	Hairpin                        // host: a VM packet to an internal load balancer's frontend, sent to the mux
	VNet                           // host: a VM packet to another VM of the virtual network, encapsulated to its host
	FragNeeded                     // mux: a packet for a rule larger than the virtual network's MTU, IPv4 with DF set or IPv6, answered with ICMP fragmentation needed or ICMPv6 packet too big
	TooBig                         // mux: an IPv4 packet for a rule larger than the virtual network's MTU without DF (dropped: the reference does not fragment)
	numReasons
)

var names = [numReasons]string{
	Rx: "rx", Forwarded: "forwarded", NotFrontend: "not_frontend", NoRule: "no_rule",
	Malformed: "malformed", Fragment: "fragment", Offload: "unsupported_offload", NoHealthyBackend: "no_healthy_backend",
	FlowExpired: "flow_expired", FlowsEvicted: "flows_evicted",
	EncapRx: "encap_rx", EncapError: "encap_errors", WrongHost: "wrong_host", Delivered: "delivered",
	VMRx: "vm_rx", Reply: "replies", VMOther: "vm_other", TxError: "tx_errors",
	ProbeUp: "probe_up", ProbeDown: "probe_down",
	HealthReport: "health_reports", HealthChange: "health_changes", ControlError: "control_errors",
	ForeignSender: "foreign_sender",
	SNAT:          "snat", NotSNATed: "not_snated", SNATExhausted: "snat_ports_exhausted", SNATUnknown: "snat_unknown",
	TCPReset: "tcp_resets", Hairpin: "hairpin", VNet: "vnet",
	FragNeeded: "frag_needed", TooBig: "too_big",
}

// String returns the reason's JSON key.
func (r Reason) String() string {
	if r < numReasons {
		return names[r]
	}
	return "reason" + strconv.Itoa(int(r))
}

// Counters holds one counter per Reason. The zero value is ready to use and
// safe for concurrent use.
type Counters struct {
	c [numReasons]atomic.Uint64
}

// Inc adds one to r's counter.
func (c *Counters) Inc(r Reason) {
	if r < numReasons {
		c.c[r].Add(1)
	}
}

// Add adds n to r's counter.
func (c *Counters) Add(r Reason, n uint64) {
	if r < numReasons {
		c.c[r].Add(n)
	}
}

// Get returns r's counter.
func (c *Counters) Get(r Reason) uint64 {
	if r < numReasons {
		return c.c[r].Load()
	}
	return 0
}

// MarshalJSON renders every counter, in Reason order, as one JSON object:
// {"rx":0,"forwarded":0,...}.
func (c *Counters) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for r := range numReasons {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(names[r]))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(c.c[r].Load(), 10))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
