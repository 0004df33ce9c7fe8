package packet

import "encoding/binary"

// DontFragment reports whether a packet Parse accepted may not be
// fragmented on its way: an IPv4 packet with the DF flag set, and every
// IPv6 packet (only its source fragments, RFC 8200 5).
func DontFragment(b []byte) bool { return b[0]>>4 == 6 || b[6]&0x40 != 0 }

// FragNeededLen is the length of the packets WriteFragNeeded builds for an
// original packet with a 20-byte IPv4 header: IPv4 and ICMP headers, the
// original header and the first 8 bytes of its payload.
const FragNeededLen = 20 + 8 + 20 + 8

// WriteFragNeeded builds in b (at least 20 + 8 + 60 + 8 bytes) an ICMP
// "destination unreachable, fragmentation needed and DF set" (RFC 792, with
// the next-hop MTU of RFC 1191) from src to the sender of orig, an IPv4
// packet Parse accepted, and returns it. The ICMP payload is orig's IPv4
// header and the first 8 bytes after it, which carry its ports, so the
// sender's stack finds the socket to lower its path MTU for.
func WriteFragNeeded(b []byte, orig []byte, in *Info, src Addr, mtu uint16) []byte {
	quoted := orig[:min(in.L4+8, in.Len)]
	p := b[:20+8+len(quoted)]
	h := putHeader(p, src, in.Src, ProtoICMP, false)
	icmp := p[h.L4:]
	clear(icmp[:8])
	icmp[0], icmp[1] = 3, 4 // destination unreachable, fragmentation needed
	binary.BigEndian.PutUint16(icmp[6:], mtu)
	copy(icmp[8:], quoted)
	binary.BigEndian.PutUint16(icmp[2:], ^fold(sum(icmp, 0)))
	return p
}

// PacketTooBigLen is the longest packet WritePacketTooBig builds: the IPv6
// minimum MTU, which an ICMPv6 error message must not exceed (RFC 4443 2.4).
const PacketTooBigLen = 1280

// WritePacketTooBig builds in b (at least PacketTooBigLen bytes) an ICMPv6
// Packet Too Big (RFC 4443 3.2), the IPv6 counterpart of WriteFragNeeded,
// from src to the sender of orig, an IPv6 packet Parse accepted, with the
// next hop's MTU, and returns it. The ICMPv6 payload is as much of orig as
// fits in PacketTooBigLen bytes (its headers and ports included), so the
// sender's stack finds the socket to lower its path MTU for (RFC 8201).
func WritePacketTooBig(b []byte, orig []byte, in *Info, src Addr, mtu uint32) []byte {
	quoted := orig[:min(in.Len, PacketTooBigLen-40-8)]
	p := b[:40+8+len(quoted)]
	h := putHeader(p, src, in.Src, ProtoICMPv6, false)
	icmp := p[h.L4:]
	clear(icmp[:8])
	icmp[0] = 2 // packet too big, code 0
	binary.BigEndian.PutUint32(icmp[4:], mtu)
	copy(icmp[8:], quoted)
	binary.BigEndian.PutUint16(icmp[2:], ^fold(sum(icmp, pseudoHeader(p, true, ProtoICMPv6, len(icmp)))))
	return p
}
