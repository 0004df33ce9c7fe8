// Package packet parses IPv4 packets carrying TCP or UDP and rewrites their
// addresses and ports in place with incremental checksum updates (RFC 1624).
// Nothing in it allocates: packets are plain byte slices and headers are read
// at fixed offsets after Parse has validated the lengths.
package packet

import (
	"encoding/binary"
	"errors"
)

// IP protocol numbers the forwarder cares about.
const (
	ProtoICMP = 1
	ProtoTCP  = 6
	ProtoUDP  = 17
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
	ErrNotIPv4   = errors.New("packet: not IPv4")
	ErrHeader    = errors.New("packet: bad IPv4 header")
	ErrChecksum  = errors.New("packet: bad IPv4 header checksum")
	ErrFragment  = errors.New("packet: fragmented TCP/UDP")
)

// Tuple is a flow's 5-tuple. Ports are zero for protocols without ports.
// It is comparable, so it serves as a map key.
type Tuple struct {
	Src, Dst         [4]byte
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
	// Len is the IPv4 total length; bytes after it (link-layer padding)
	// are not part of the packet.
	Len int
	// L4 is the offset of the TCP or UDP header (the IPv4 header length).
	L4 int
	// TCPFlags holds the TCP flags byte (zero for other protocols).
	TCPFlags uint8
}

// Parse validates the IPv4 header (version, lengths, header checksum) and,
// for TCP and UDP, the transport header length, and returns the packet's
// tuple. Fragmented TCP/UDP packets are rejected: their ports are not in
// every fragment.
func Parse(b []byte) (Info, error) {
	var in Info
	if len(b) < 20 {
		return in, ErrTruncated
	}
	if b[0]>>4 != 4 {
		return in, ErrNotIPv4
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || total < ihl {
		return in, ErrHeader
	}
	if total > len(b) {
		return in, ErrTruncated
	}
	if fold(sum(b[:ihl], 0)) != 0xffff {
		return in, ErrChecksum
	}
	in.Len = total
	in.L4 = ihl
	in.Proto = b[9]
	copy(in.Src[:], b[12:16])
	copy(in.Dst[:], b[16:20])
	if in.Proto != ProtoTCP && in.Proto != ProtoUDP {
		return in, nil
	}
	if frag := binary.BigEndian.Uint16(b[6:8]); frag&0x3fff != 0 {
		return in, ErrFragment
	}
	l4 := b[ihl:total]
	switch in.Proto {
	case ProtoTCP:
		if len(l4) < 20 {
			return in, ErrTruncated
		}
		if off := int(l4[12]>>4) * 4; off < 20 || off > len(l4) {
			return in, ErrHeader
		}
		in.TCPFlags = l4[13]
	case ProtoUDP:
		if len(l4) < 8 {
			return in, ErrTruncated
		}
		if ul := int(binary.BigEndian.Uint16(l4[4:6])); ul < 8 || ul > len(l4) {
			return in, ErrHeader
		}
	}
	in.SrcPort = binary.BigEndian.Uint16(l4[0:2])
	in.DstPort = binary.BigEndian.Uint16(l4[2:4])
	return in, nil
}

// l4Checksum returns the offset of the transport checksum field, or -1 when
// the packet has none to maintain (other protocols, or UDP sent without a
// checksum).
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

// setAddr replaces the address at off (12 = source, 16 = destination) and
// fixes the IPv4 header checksum and the transport checksum, which covers the
// addresses through the pseudo-header.
func setAddr(b []byte, in *Info, off int, ip [4]byte) {
	l4 := l4Checksum(b, in)
	for i := 0; i < 4; i += 2 {
		old := binary.BigEndian.Uint16(b[off+i:])
		neu := binary.BigEndian.Uint16(ip[i:])
		update(b[10:12], old, neu)
		if l4 >= 0 {
			updateL4(b, in, l4, old, neu)
		}
	}
	copy(b[off:off+4], ip[:])
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
// checksum that comes out as zero is sent as 0xffff (RFC 768).
func updateL4(b []byte, in *Info, off int, old, neu uint16) {
	update(b[off:off+2], old, neu)
	if in.Proto == ProtoUDP && binary.BigEndian.Uint16(b[off:]) == 0 {
		binary.BigEndian.PutUint16(b[off:], 0xffff)
	}
}

// SetSrc rewrites the source address of a packet Parse accepted (in is its
// Info, updated too) and fixes the checksums.
func SetSrc(b []byte, in *Info, ip [4]byte) {
	setAddr(b, in, 12, ip)
	in.Src = ip
}

// SetDst rewrites the destination address and fixes the checksums.
func SetDst(b []byte, in *Info, ip [4]byte) {
	setAddr(b, in, 16, ip)
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
	in, err := Parse(b)
	if err != nil || (in.Proto != ProtoTCP && in.Proto != ProtoUDP) {
		return
	}
	off := in.L4 + 16
	if in.Proto == ProtoUDP {
		off = in.L4 + 6
	}
	binary.BigEndian.PutUint16(b[off:], TransportChecksum(b, &in))
}
