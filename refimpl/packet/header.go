package packet

import "encoding/binary"

// putHeader writes the IP header of a packet of len(p) bytes from src to
// dst carrying protocol proto, with a TTL (hop limit) of 64: IPv4 (20
// bytes, identification 0, don't fragment when df, header checksum) when
// src is IPv4, else IPv6 (40 bytes, no flow label). It returns the packet's
// Info, ports and flags left zero.
func putHeader(p []byte, src, dst Addr, proto uint8, df bool) Info {
	in := Info{Tuple: Tuple{Src: src, Dst: dst, Proto: proto}, Len: len(p)}
	if src.Is4() {
		h := p[:20]
		clear(h)
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(len(p)))
		if df {
			h[6] = 0x40
		}
		h[8], h[9] = 64, proto
		copy(h[src4:], src[12:])
		copy(h[dst4:], dst[12:])
		binary.BigEndian.PutUint16(h[10:], HeaderChecksum(h))
		in.L4 = 20
		return in
	}
	h := p[:40]
	clear(h)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(p)-40))
	h[6], h[7] = proto, 64
	copy(h[src6:], src[:])
	copy(h[dst6:], dst[:])
	in.L4, in.IPv6 = 40, true
	return in
}
