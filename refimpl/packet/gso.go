package packet

import (
	"encoding/binary"
	"errors"
)

// ErrNotTCP is returned by Segment for packets that are not TCP.
var ErrNotTCP = errors.New("packet: segmentation offload of a non-TCP packet")

// Segment splits a TCP super-packet, as TCP segmentation offload leaves it
// (one IPv4 or IPv6 header, the IPv6 one with its extension headers, up to
// 64 KiB of payload, the checksum left to the device), into segments of at
// most mss payload bytes and calls emit with each: lengths, IPv4 ID and
// header checksum, sequence number, flags (FIN and PSH on the last segment
// only, CWR on the first only) and the TCP checksum are those the device
// would have produced. Segments are built in scratch, at offset off,
// so a caller can keep headroom in front of them; scratch must hold off plus
// the headers plus mss bytes. A packet that already fits is emitted in place
// with its checksum completed.
func Segment(b []byte, mss, off int, scratch []byte, emit func(seg []byte)) error {
	in, err := Parse(b)
	if err != nil {
		return err
	}
	if in.Proto != ProtoTCP || mss <= 0 {
		return ErrNotTCP
	}
	hl := in.L4 + int(b[in.L4+12]>>4)*4
	payload := b[hl:in.Len]
	if len(scratch) < off+hl+min(mss, len(payload)) {
		return errors.New("packet: segmentation scratch buffer too small")
	}
	id := binary.BigEndian.Uint16(b[4:]) // the IPv4 identification
	seq := binary.BigEndian.Uint32(b[in.L4+4:])
	flags := b[in.L4+13]
	for i, start := 0, 0; start < len(payload); i, start = i+1, start+mss {
		chunk := payload[start:min(start+mss, len(payload))]
		seg := scratch[off : off+hl+len(chunk)]
		copy(seg, b[:hl])
		copy(seg[hl:], chunk)
		if in.IPv6 {
			binary.BigEndian.PutUint16(seg[4:], uint16(len(seg)-40))
		} else {
			binary.BigEndian.PutUint16(seg[2:], uint16(len(seg)))
			binary.BigEndian.PutUint16(seg[4:], id+uint16(i))
			binary.BigEndian.PutUint16(seg[10:], 0)
			binary.BigEndian.PutUint16(seg[10:], HeaderChecksum(seg))
		}
		tcp := seg[in.L4:]
		binary.BigEndian.PutUint32(tcp[4:], seq+uint32(start))
		f := flags
		if start+len(chunk) < len(payload) {
			f &^= TCPFin | tcpPsh
		}
		if i > 0 {
			f &^= tcpCwr
		}
		tcp[13] = f
		sin := Info{Tuple: in.Tuple, Len: len(seg), L4: in.L4, TCPFlags: f, IPv6: in.IPv6}
		binary.BigEndian.PutUint16(tcp[16:], TransportChecksum(seg, &sin))
		emit(seg)
	}
	return nil
}

const (
	tcpPsh = 0x08
	tcpCwr = 0x80
)
