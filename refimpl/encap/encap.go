// Package encap is the mux-to-host encapsulation of the reference forwarder:
// the client's IPv4 or IPv6 packet, unchanged, as the payload of a UDP
// datagram to the host's EncapPort (foo-over-UDP style, done in user space
// because the kernel has no ipip/gre modules), behind an 8-byte header
// naming the kind of packet, the rule and the backend the mux chose:
//
//	0      2      3      4         6          8
//	+------+------+------+---------+----------+-----------------------
//	| "LB" | ver  | kind | rule    | backend  | inner IPv4 or IPv6 ...
//	+------+------+------+---------+----------+-----------------------
//
// rule and backend are big-endian indexes into the compiled rule set
// (ruleset.Set.Rules and Rule.Backends), which mux and host compile from the
// same deployment. ver is Version. The outer datagram travels the fabric,
// whose addresses are IPv4 (the target contract's), whatever the inner
// packet's family: the inner packet's version field tells which it is, so
// the header did not change for IPv6.
package encap

import (
	"encoding/binary"
	"errors"
)

// HeaderLen is the size of the encapsulation header.
const HeaderLen = 8

// Version is the header version this package writes and accepts.
const Version = 1

// Kind says what an encapsulated packet is.
type Kind uint8

// The kinds of encapsulated packet.
const (
	// Inbound is a packet for a load-balancing or inbound NAT rule.
	Inbound Kind = iota
	// SNATReturn is a packet to an outbound SNAT port: the answer to a
	// connection the backend opened.
	SNATReturn
	// VNet is a packet between VMs of the virtual network, from one host
	// to another, delivered unchanged (Rule and Backend are zero): for
	// example a backend's reply to another VM that reached its internal
	// load balancer's frontend (hairpin).
	VNet
)

// Header names the rule and backend chosen by the mux.
type Header struct {
	Kind    Kind
	Rule    uint16
	Backend uint16
}

// Errors returned by Decode.
var (
	ErrShort   = errors.New("encap: datagram shorter than the header")
	ErrMagic   = errors.New("encap: not an lbcheck encapsulation header")
	ErrVersion = errors.New("encap: unsupported header version")
	ErrKind    = errors.New("encap: unknown packet kind")
)

// Put writes h into the first HeaderLen bytes of b, which must be that long.
func Put(b []byte, h Header) {
	_ = b[HeaderLen-1]
	b[0], b[1], b[2], b[3] = 'L', 'B', Version, byte(h.Kind)
	binary.BigEndian.PutUint16(b[4:], h.Rule)
	binary.BigEndian.PutUint16(b[6:], h.Backend)
}

// Decode splits a datagram into its header and the inner packet (a subslice
// of b).
func Decode(b []byte) (Header, []byte, error) {
	if len(b) < HeaderLen {
		return Header{}, nil, ErrShort
	}
	if b[0] != 'L' || b[1] != 'B' {
		return Header{}, nil, ErrMagic
	}
	if b[2] != Version {
		return Header{}, nil, ErrVersion
	}
	if Kind(b[3]) > VNet {
		return Header{}, nil, ErrKind
	}
	h := Header{Kind: Kind(b[3]), Rule: binary.BigEndian.Uint16(b[4:]), Backend: binary.BigEndian.Uint16(b[6:])}
	return h, b[HeaderLen:], nil
}
