package packet

import "encoding/binary"

// DontFragment reports whether a packet Parse accepted has the IPv4 DF
// flag set.
func DontFragment(b []byte) bool { return b[6]&0x40 != 0 }

// FragNeededLen is the length of the packets WriteFragNeeded builds for an
// original packet with a 20-byte IPv4 header: IPv4 and ICMP headers, the
// original header and the first 8 bytes of its payload.
const FragNeededLen = 20 + 8 + 20 + 8

// WriteFragNeeded builds in b (at least 20 + 8 + 60 + 8 bytes) an ICMP
// "destination unreachable, fragmentation needed and DF set" (RFC 792, with
// the next-hop MTU of RFC 1191) from src to the sender of orig, a packet
// Parse accepted, and returns it. The ICMP payload is orig's IPv4 header
// and the first 8 bytes after it, which carry its ports, so the sender's
// stack finds the socket to lower its path MTU for.
func WriteFragNeeded(b []byte, orig []byte, in *Info, src [4]byte, mtu uint16) []byte {
	quoted := orig[:min(in.L4+8, in.Len)]
	n := 20 + 8 + len(quoted)
	p := b[:n]
	clear(p[:28])
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], uint16(n))
	p[8] = 64 // TTL
	p[9] = ProtoICMP
	copy(p[12:16], src[:])
	copy(p[16:20], in.Src[:])
	binary.BigEndian.PutUint16(p[10:], HeaderChecksum(p))
	icmp := p[20:]
	icmp[0], icmp[1] = 3, 4 // destination unreachable, fragmentation needed
	binary.BigEndian.PutUint16(icmp[6:], mtu)
	copy(icmp[8:], quoted)
	binary.BigEndian.PutUint16(icmp[2:], ^fold(sum(icmp, 0)))
	return p
}
