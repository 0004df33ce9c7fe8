package packet

import "encoding/binary"

// IPv6 extension headers Parse knows (RFC 8200 4).
const (
	extHopByHop = 0
	extRouting  = 43
	extFragment = 44
	extDestOpts = 60
)

// maxExtensions bounds the extension headers parse6 skips: RFC 8200 4.1's
// order has at most six before the upper-layer header.
const maxExtensions = 8

// parse6 validates the IPv6 header and walks its extension headers, filling
// in in's addresses, protocol (the header after the ones skipped), length
// and transport offset. It skips a Hop-by-Hop Options header (only right
// after the fixed header), Destination Options headers and a Routing header
// whose Segments Left is zero, at most maxExtensions of them, each within
// the payload length. A Routing header with segments left is
// ErrExtension: the destination address is not the final one, and the
// transport checksum covers the final one (RFC 8200 8.1). A Fragment header
// is ErrFragment whatever follows it. Any other header (TCP, UDP, ICMPv6,
// ESP, AH, No Next Header, a protocol unknown here) ends the walk: only TCP
// and UDP have ports.
func parse6(b []byte, in *Info) error {
	if len(b) < 40 {
		return ErrTruncated
	}
	total := 40 + int(binary.BigEndian.Uint16(b[4:6]))
	if total > len(b) {
		return ErrTruncated
	}
	in.IPv6 = true
	in.Len = total
	in.Src = Addr(b[src6 : src6+16])
	in.Dst = Addr(b[dst6 : dst6+16])
	if in.Src.Is4() || in.Dst.Is4() {
		return ErrAddress
	}
	next, off := b[6], 40
	for i := 0; ; i++ {
		switch next {
		case extHopByHop, extRouting, extDestOpts:
		case extFragment:
			return ErrFragment
		default:
			in.Proto, in.L4 = next, off
			return nil
		}
		if i == maxExtensions || (next == extHopByHop && i > 0) {
			return ErrExtension
		}
		if off+8 > total {
			return ErrTruncated
		}
		n := (int(b[off+1]) + 1) * 8
		if off+n > total {
			return ErrTruncated
		}
		if next == extRouting && b[off+3] != 0 {
			return ErrExtension
		}
		next, off = b[off], off+n
	}
}
