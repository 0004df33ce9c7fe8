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

// The lengths of the packets WriteReset builds: IPv4 and IPv6.
const (
	ResetLen  = 20 + 20
	ResetLen6 = 40 + 20
)

// WriteReset builds, in the first ResetLen (IPv4 tuple) or ResetLen6 (IPv6
// tuple) bytes of b, a TCP segment of tuple t with RST and ACK set,
// sequence number seq and acknowledgement ack, with valid checksums (IPv4:
// don't fragment), and returns it.
func WriteReset(b []byte, t Tuple, seq, ack uint32) []byte {
	n := ResetLen
	if !t.Src.Is4() {
		n = ResetLen6
	}
	p := b[:n]
	in := putHeader(p, t.Src, t.Dst, ProtoTCP, true)
	in.Tuple = t
	tcp := p[in.L4:]
	clear(tcp)
	binary.BigEndian.PutUint16(tcp[0:], t.SrcPort)
	binary.BigEndian.PutUint16(tcp[2:], t.DstPort)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12] = 5 << 4
	tcp[13] = TCPRst | TCPAck
	binary.BigEndian.PutUint16(tcp[16:], TransportChecksum(p, &in))
	return p
}
