package packet

import "encoding/binary"

// TCPSeq returns the sequence and acknowledgement numbers of a TCP packet
// Parse accepted.
func TCPSeq(b []byte, in *Info) (seq, ack uint32) {
	return binary.BigEndian.Uint32(b[in.L4+4:]), binary.BigEndian.Uint32(b[in.L4+8:])
}

// TCPNext returns the sequence number after a TCP packet Parse accepted:
// its sequence number plus its payload length, plus one each for SYN and
// FIN. The receiver acknowledges it once it has taken the segment.
func TCPNext(b []byte, in *Info) uint32 {
	seq, _ := TCPSeq(b, in)
	payload := in.Len - in.L4 - int(b[in.L4+12]>>4)*4
	n := seq + uint32(payload)
	if in.TCPFlags&TCPSyn != 0 {
		n++
	}
	if in.TCPFlags&TCPFin != 0 {
		n++
	}
	return n
}

// ResetLen is the length of the packets WriteReset builds.
const ResetLen = 40

// WriteReset builds, in the first ResetLen bytes of b, an IPv4 TCP segment
// of tuple t with RST and ACK set, sequence number seq and acknowledgement
// ack, with valid checksums, and returns it.
func WriteReset(b []byte, t Tuple, seq, ack uint32) []byte {
	p := b[:ResetLen]
	clear(p)
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], ResetLen)
	p[6] = 0x40 // don't fragment
	p[8] = 64   // TTL
	p[9] = ProtoTCP
	copy(p[12:16], t.Src[:])
	copy(p[16:20], t.Dst[:])
	binary.BigEndian.PutUint16(p[10:], HeaderChecksum(p))
	tcp := p[20:]
	binary.BigEndian.PutUint16(tcp[0:], t.SrcPort)
	binary.BigEndian.PutUint16(tcp[2:], t.DstPort)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = TCPRst | TCPAck
	in := Info{Tuple: t, Len: ResetLen, L4: 20}
	binary.BigEndian.PutUint16(tcp[16:], TransportChecksum(p, &in))
	return p
}
