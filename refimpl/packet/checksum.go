package packet

import "encoding/binary"

// sum adds b as big-endian 16-bit words to s (RFC 1071), padding an odd
// trailing byte with zero.
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// fold reduces a 32-bit one's complement sum to 16 bits.
func fold(s uint32) uint16 {
	for s > 0xffff {
		s = (s & 0xffff) + (s >> 16)
	}
	return uint16(s)
}

// update applies RFC 1624 equation 3, HC' = ~(~HC + ~m + m'), to the
// checksum stored in field when a 16-bit word changes from old to neu.
func update(field []byte, old, neu uint16) {
	hc := binary.BigEndian.Uint16(field)
	s := uint32(^hc) + uint32(^old) + uint32(neu)
	binary.BigEndian.PutUint16(field, ^fold(s))
}

// HeaderChecksum computes the IPv4 header checksum of the header at the
// start of b (with the checksum field taken as zero).
func HeaderChecksum(b []byte) uint16 {
	ihl := int(b[0]&0x0f) * 4
	s := sum(b[:10], 0)
	s = sum(b[12:ihl], s)
	return ^fold(s)
}

// pseudoHeader returns the sum of the pseudo-header of a transport segment
// of n bytes of protocol proto in packet b (RFC 793, RFC 768; RFC 8200 8.1
// for IPv6: the 128-bit addresses, a 32-bit length).
func pseudoHeader(b []byte, ipv6 bool, proto uint8, n int) uint32 {
	addrs := b[src4 : dst4+4]
	if ipv6 {
		addrs = b[src6 : dst6+16]
	}
	return sum(addrs, 0) + uint32(proto) + uint32(n)
}

// TransportChecksum computes the TCP or UDP checksum of a packet Parse
// accepted (with the checksum field taken as zero). Tests use it to check
// incremental updates against a full recompute.
func TransportChecksum(b []byte, in *Info) uint16 {
	seg := b[in.L4:in.Len]
	s := pseudoHeader(b, in.IPv6, in.Proto, len(seg))
	csum := 16
	if in.Proto == ProtoUDP {
		csum = 6
	}
	s = sum(seg[:csum], s)
	s = sum(seg[csum+2:], s)
	c := ^fold(s)
	if in.Proto == ProtoUDP && c == 0 {
		c = 0xffff
	}
	return c
}
