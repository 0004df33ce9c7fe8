// Package flood generates a deterministic flood of IPv4 packets for the
// forwarder's reliability tests: packets of a fixed set of valid flows mixed
// with fresh 5-tuples (flow-table churn), truncated packets, bad header
// checksums, fragments, packets to other addresses or ports, and random
// bytes. Every packet comes with its Kind, which says how the mux must count
// it. Next writes into the caller's buffer and does not allocate, so tests
// can measure the forwarder's memory under the flood.
package flood

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// Kind is the class of a generated packet.
type Kind uint8

// Kinds, in the order of Weights.
const (
	Valid       Kind = iota // a packet of one of the fixed valid flows (TCP: SYN first, then ACKs; UDP)
	NewFlow                 // a TCP SYN or UDP datagram of a fresh 5-tuple to a rule
	Truncated               // a valid packet cut short (possibly to nothing)
	BadChecksum             // a valid packet with an address byte changed, header checksum not updated
	Fragment                // a valid TCP/UDP packet marked as a fragment (MF or an offset)
	NotFrontend             // a valid UDP packet to an address that is no frontend
	NoRule                  // a valid TCP SYN to the frontend on a port without a rule
	Random                  // up to 120 random bytes
	NumKinds
)

var kindNames = [NumKinds]string{"valid", "new_flow", "truncated", "bad_checksum", "fragment", "not_frontend", "no_rule", "random"}

// String names the kind.
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return "kind?"
}

// Want is how the mux counts a packet of this kind. Random bytes are
// Malformed: a random buffer that passes IPv4 validation (version, lengths
// and header checksum) is a 1-in-10⁶ event, and the generator is seeded.
func (k Kind) Want() stats.Reason {
	switch k {
	case Valid, NewFlow:
		return stats.Forwarded
	case Fragment:
		return stats.Fragment
	case NotFrontend:
		return stats.NotFrontend
	case NoRule:
		return stats.NoRule
	}
	return stats.Malformed
}

// Weights is the share of each kind, out of their sum.
var Weights = [NumKinds]int{Valid: 5, NewFlow: 3, Truncated: 2, BadChecksum: 1, Fragment: 1, NotFrontend: 1, NoRule: 1, Random: 2}

// Config describes the deployment the flood targets.
type Config struct {
	Seed     uint64
	Frontend [4]byte // the frontend IP
	TCPPort  uint16  // a TCP rule's frontend port
	UDPPort  uint16  // a UDP rule's frontend port
	NoRule   uint16  // a TCP port of the frontend without a rule
	Client   [4]byte // source of the valid flows
	Flows    int     // number of valid flows; even ones TCP, odd ones UDP
	// NewFlowNet is the /24 fresh 5-tuples come from (first three bytes).
	NewFlowNet [3]byte
}

// MaxLen is the longest packet Next writes (random bytes; a built packet
// is at most 20 + 20 + 16 bytes).
const MaxLen = 120

// Gen generates packets. It is not safe for concurrent use.
type Gen struct {
	c       Config
	rng     *rand.Rand
	started []bool // valid TCP flow has sent its SYN
	total   int
}

// New returns a generator; equal configs give equal streams.
func New(c Config) *Gen {
	g := &Gen{c: c, rng: rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)), started: make([]bool, c.Flows)}
	for _, w := range Weights {
		g.total += w
	}
	return g
}

// ValidSource returns the source port of valid flow i (its source address
// is Config.Client).
func ValidSource(i int) uint16 { return uint16(20000 + i) }

// Next writes the next packet into b (at least MaxLen bytes) and returns
// its kind, its length and, for Valid, the flow index (else -1).
func (g *Gen) Next(b []byte) (k Kind, n int, flow int) {
	r := g.rng.IntN(g.total)
	for k = 0; r >= Weights[k]; k++ {
		r -= Weights[k]
	}
	if k == Valid && g.c.Flows == 0 {
		k = NewFlow
	}
	flow = -1
	switch k {
	case Valid:
		flow = g.rng.IntN(g.c.Flows)
		n = g.valid(b, flow)
	case NewFlow:
		n = g.fresh(b)
	case Truncated:
		full := g.fresh(b)
		n = g.rng.IntN(full)
	case BadChecksum:
		n = g.fresh(b)
		b[12+g.rng.IntN(8)] ^= byte(1 + g.rng.IntN(255))
	case Fragment:
		n = g.fresh(b)
		if g.rng.IntN(2) == 0 {
			b[6] |= 0x20 // more fragments
		} else {
			binary.BigEndian.PutUint16(b[6:8], uint16(1+g.rng.IntN(0x1fff))) // an offset
		}
		setHeaderChecksum(b)
	case NotFrontend:
		dst := g.c.Frontend
		dst[3]++
		n = build(b, g.c.Client, dst, packet.ProtoUDP, uint16(1024+g.rng.IntN(60000)), g.c.UDPPort, 0)
	case NoRule:
		n = build(b, g.c.Client, g.c.Frontend, packet.ProtoTCP, uint16(1024+g.rng.IntN(60000)), g.c.NoRule, packet.TCPSyn)
	case Random:
		n = g.rng.IntN(MaxLen + 1)
		for i := range n {
			b[i] = byte(g.rng.Uint32())
		}
	}
	return k, n, flow
}

// valid writes the next packet of valid flow i.
func (g *Gen) valid(b []byte, i int) int {
	if i%2 == 1 {
		return build(b, g.c.Client, g.c.Frontend, packet.ProtoUDP, ValidSource(i), g.c.UDPPort, 0)
	}
	flags := uint8(packet.TCPAck)
	if !g.started[i] {
		g.started[i], flags = true, packet.TCPSyn
	}
	return build(b, g.c.Client, g.c.Frontend, packet.ProtoTCP, ValidSource(i), g.c.TCPPort, flags)
}

// fresh writes a TCP SYN or UDP datagram of a random new 5-tuple.
func (g *Gen) fresh(b []byte) int {
	src := [4]byte{g.c.NewFlowNet[0], g.c.NewFlowNet[1], g.c.NewFlowNet[2], byte(1 + g.rng.IntN(254))}
	sport := uint16(1024 + g.rng.IntN(64000))
	if g.rng.IntN(2) == 0 {
		return build(b, src, g.c.Frontend, packet.ProtoUDP, sport, g.c.UDPPort, 0)
	}
	return build(b, src, g.c.Frontend, packet.ProtoTCP, sport, g.c.TCPPort, packet.TCPSyn)
}

// build writes an IPv4 TCP or UDP packet with a 16-byte payload and valid
// checksums into b and returns its length.
func build(b []byte, src, dst [4]byte, proto uint8, sport, dport uint16, flags uint8) int {
	l4 := 8
	if proto == packet.ProtoTCP {
		l4 = 20
	}
	n := 20 + l4 + 16
	clear(b[:n])
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:4], uint16(n))
	binary.BigEndian.PutUint16(b[4:6], sport) // an IP ID
	b[8], b[9] = 64, proto
	copy(b[12:16], src[:])
	copy(b[16:20], dst[:])
	t := b[20:n]
	binary.BigEndian.PutUint16(t[0:2], sport)
	binary.BigEndian.PutUint16(t[2:4], dport)
	if proto == packet.ProtoTCP {
		binary.BigEndian.PutUint32(t[4:8], 1000)
		if flags&packet.TCPAck != 0 {
			binary.BigEndian.PutUint32(t[8:12], 1)
		}
		t[12], t[13] = 5<<4, flags
		binary.BigEndian.PutUint16(t[14:16], 64240)
	} else {
		binary.BigEndian.PutUint16(t[4:6], uint16(8+16))
	}
	copy(t[l4:], "lbcheck flood  \n")
	setHeaderChecksum(b)
	in := packet.Info{Tuple: packet.Tuple{Proto: proto}, Len: n, L4: 20}
	csum := 16
	if proto == packet.ProtoUDP {
		csum = 6
	}
	binary.BigEndian.PutUint16(t[csum:], packet.TransportChecksum(b, &in))
	return n
}

func setHeaderChecksum(b []byte) {
	binary.BigEndian.PutUint16(b[10:12], 0)
	binary.BigEndian.PutUint16(b[10:12], packet.HeaderChecksum(b))
}
