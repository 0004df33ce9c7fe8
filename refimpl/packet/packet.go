// Package packet parses IPv4 and IPv6 packets carrying TCP or UDP and
// rewrites their addresses and ports in place with incremental checksum
// updates (RFC 1624). Nothing in it allocates: packets are plain byte slices
// and headers are read at fixed offsets after Parse has validated the
// lengths.
package packet

import (
	"encoding/binary"
	"errors"
)

// IP protocol numbers the forwarder cares about.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// TCP flags.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPAck = 0x10
)

// Errors returned by Parse. Every one means "drop the packet".
var (
	ErrTruncated = errors.New("packet: truncated")
	ErrVersion   = errors.New("packet: neither IPv4 nor IPv6")
	ErrHeader    = errors.New("packet: bad IP or transport header")
	ErrChecksum  = errors.New("packet: bad IPv4 header checksum")
	// ErrFragment: an IPv4 TCP/UDP fragment, or an IPv6 packet with a
	// Fragment header (whatever it carries).
	ErrFragment = errors.New("packet: fragment")
	// ErrExtension: IPv6 extension headers Parse does not walk past (see
	// Parse).
	ErrExtension = errors.New("packet: IPv6 extension headers misplaced, too many, or routing still to do")
	// ErrAddress: an IPv6 header carries an IPv4-mapped address, which
	// never appears on the wire (RFC 4291 2.5.5.2).
	ErrAddress = errors.New("packet: IPv4-mapped address in an IPv6 header")
	// ErrNoChecksum: a UDP datagram over IPv6 without a checksum, which
	// IPv6 does not allow (RFC 8200 8.1).
	ErrNoChecksum = errors.New("packet: UDP over IPv6 without a checksum")
)

// Tuple is a flow's 5-tuple. Ports are zero for protocols without ports.
// It is comparable, so it serves as a map key.
type Tuple struct {
	Src, Dst         Addr
	SrcPort, DstPort uint16
	Proto            uint8
}

// Reverse returns the tuple of the opposite direction.
func (t Tuple) Reverse() Tuple {
	return Tuple{Src: t.Dst, Dst: t.Src, SrcPort: t.DstPort, DstPort: t.SrcPort, Proto: t.Proto}
}

// Info is what Parse learns about a valid packet.
type Info struct {
	Tuple
	// Len is the packet's length: the IPv4 total length, or the 40 bytes
	// of the IPv6 header plus its payload length; bytes after it
	// (link-layer padding) are not part of the packet.
	Len int
	// L4 is the offset of the transport header: the IPv4 header length,
	// or 40 plus the IPv6 extension headers skipped.
	L4 int
	// TCPFlags holds the TCP flags byte (zero for other protocols).
	TCPFlags uint8
	// IPv6 is set for an IPv6 packet.
	IPv6 bool
}

// Parse validates an IPv4 or IPv6 packet and, for TCP and UDP, the
// transport header length, and returns the packet's tuple.
//
// IPv4: version, lengths and the header checksum. Fragmented TCP/UDP
// packets are rejected: their ports are not in every fragment.
//
// IPv6: the payload length against the buffer, no IPv4-mapped address
// (ErrAddress). Hop-by-Hop Options (right after the header only),
// Destination Options and finished Routing headers are skipped, at most
// eight; a Routing header with segments left is ErrExtension, a Fragment
// header ErrFragment. Proto is the header after them (ICMPv6, ESP, AH and
// the rest have no ports); a UDP datagram without a checksum is
// ErrNoChecksum.
func Parse(b []byte) (Info, error) { return parse(b, false) }

// parse is Parse; offloaded accepts a UDP/IPv6 checksum of zero, which a
// checksum left to offload may be (CompleteChecksum).
func parse(b []byte, offloaded bool) (Info, error) {
	var in Info
	if len(b) == 0 {
		return in, ErrTruncated
	}
	var err error
	switch b[0] >> 4 {
	case 4:
		err = parse4(b, &in)
	case 6:
		err = parse6(b, &in)
	default:
		return in, ErrVersion
	}
	if err != nil || (in.Proto != ProtoTCP && in.Proto != ProtoUDP) {
		return in, err
	}
	return in, transport(b, &in, offloaded)
}

// parse4 validates the IPv4 header and fills in in's addresses, protocol,
// length and transport offset.
func parse4(b []byte, in *Info) error {
	if len(b) < 20 {
		return ErrTruncated
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl {
		return ErrHeader
	}
	if total > len(b) {
		return ErrTruncated
	}
	if fold(sum(b[:ihl], 0)) != 0xffff {
		return ErrChecksum
	}
	in.Len = total
	in.L4 = ihl
	in.Proto = b[9]
	in.Src.put4(b[src4:])
	in.Dst.put4(b[dst4:])
	if in.Proto != ProtoTCP && in.Proto != ProtoUDP {
		return nil
	}
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x3fff != 0 {
		return ErrFragment
	}
	return nil
}

// transport validates the TCP or UDP header of a packet whose IP header
// parsed and reads its ports and flags.
func transport(b []byte, in *Info, offloaded bool) error {
	l4 := b[in.L4:in.Len]
	switch in.Proto {
	case ProtoTCP:
		if len(l4) < 20 {
			return ErrTruncated
		}
		if off := int(l4[12]>>4) * 4; off < 20 || off > len(l4) {
			return ErrHeader
		}
		in.TCPFlags = l4[13]
	case ProtoUDP:
		if len(l4) < 8 {
			return ErrTruncated
		}
		if ul := int(binary.BigEndian.Uint16(l4[4:6])); ul < 8 || ul > len(l4) {
			return ErrHeader
		}
		if in.IPv6 && !offloaded && binary.BigEndian.Uint16(l4[6:8]) == 0 {
			return ErrNoChecksum
		}
	}
	in.SrcPort = binary.BigEndian.Uint16(l4[0:2])
	in.DstPort = binary.BigEndian.Uint16(l4[2:4])
	return nil
}

// l4Checksum returns the offset of the transport checksum field, or -1 when
// the packet has none to maintain (other protocols, or UDP over IPv4 sent
// without a checksum).
func l4Checksum(b []byte, in *Info) int {
	switch in.Proto {
	case ProtoTCP:
		return in.L4 + 16
	case ProtoUDP:
		if binary.BigEndian.Uint16(b[in.L4+6:]) == 0 {
			return -1
		}
		return in.L4 + 6
	}
	return -1
}

// Address offsets in the IP headers.
const (
	src4, dst4 = 12, 16
	src6, dst6 = 8, 24
)

// setAddr replaces the address at off with ip (of the packet's family) and
// fixes the transport checksum, which covers the addresses through the
// pseudo-header, and for IPv4 the header checksum. The address changes as
// one 16-bit word would, its words summed (RFC 1624 works on any sum of
// words: one update for the 8 words of an IPv6 address).
func setAddr(b []byte, in *Info, off int, ip Addr) {
	l4 := l4Checksum(b, in)
	a := ip[12:]
	if in.IPv6 {
		a = ip[:]
	}
	old, neu := fold(sum(b[off:off+len(a)], 0)), fold(sum(a, 0))
	if !in.IPv6 {
		update(b[10:12], old, neu)
	}
	if l4 >= 0 {
		updateL4(b, in, l4, old, neu)
	}
	copy(b[off:], a)
}

// setPort replaces the port at offset off within the transport header.
func setPort(b []byte, in *Info, off int, port uint16) {
	p := b[in.L4+off:]
	old := binary.BigEndian.Uint16(p)
	if l4 := l4Checksum(b, in); l4 >= 0 {
		updateL4(b, in, l4, old, port)
	}
	binary.BigEndian.PutUint16(p, port)
}

// updateL4 applies an incremental update to a transport checksum. A UDP
// checksum that comes out as zero is sent as 0xffff (RFC 768, RFC 8200 8.1).
func updateL4(b []byte, in *Info, off int, old, neu uint16) {
	update(b[off:off+2], old, neu)
	if in.Proto == ProtoUDP && binary.BigEndian.Uint16(b[off:]) == 0 {
		binary.BigEndian.PutUint16(b[off:], 0xffff)
	}
}

// SetSrc rewrites the source address of a packet Parse accepted (in is its
// Info, updated too) and fixes the checksums. ip must be of the packet's
// family.
func SetSrc(b []byte, in *Info, ip Addr) {
	off := src4
	if in.IPv6 {
		off = src6
	}
	setAddr(b, in, off, ip)
	in.Src = ip
}

// SetDst rewrites the destination address and fixes the checksums. ip must
// be of the packet's family.
func SetDst(b []byte, in *Info, ip Addr) {
	off := dst4
	if in.IPv6 {
		off = dst6
	}
	setAddr(b, in, off, ip)
	in.Dst = ip
}

// SetSrcPort rewrites the TCP/UDP source port and fixes the checksum. It
// must only be called for TCP and UDP packets.
func SetSrcPort(b []byte, in *Info, port uint16) {
	setPort(b, in, 0, port)
	in.SrcPort = port
}

// SetDstPort rewrites the TCP/UDP destination port and fixes the checksum.
// It must only be called for TCP and UDP packets.
func SetDstPort(b []byte, in *Info, port uint16) {
	setPort(b, in, 2, port)
	in.DstPort = port
}

// CompleteChecksum writes the full TCP/UDP checksum into a packet whose
// checksum was left to offload (its field holds only the pseudo-header sum,
// as packets read from a veth with AF_PACKET often do). Packets Parse
// rejects, and other protocols, are left alone.
func CompleteChecksum(b []byte) {
	in, err := parse(b, true)
	if err != nil || (in.Proto != ProtoTCP && in.Proto != ProtoUDP) {
		return
	}
	off := in.L4 + 16
	if in.Proto == ProtoUDP {
		off = in.L4 + 6
	}
	binary.BigEndian.PutUint16(b[off:], TransportChecksum(b, &in))
}
