package pkt

import (
	"net/netip"
	"strings"
	"testing"
)

// TestChecksumError: frames Spec builds have right checksums; a byte
// changed in the IPv4 header, the TCP or UDP header or the payload is
// found, the transport one only when asked; a UDP checksum of 0 is none.
func TestChecksumError(t *testing.T) {
	dst := netip.MustParseAddr("203.0.113.10")
	for _, tt := range []struct {
		name string
		spec Spec
		flip func(f []byte) // the byte to change, by offset from the IP header
		l4   bool
		want string
	}{
		{"tcp intact", Spec{Dst: dst, DstPort: 80}, nil, true, ""},
		{"udp intact", Spec{Proto: UDP, Dst: dst, DstPort: 53, Payload: []byte("x")}, nil, true, ""},
		{"ip header", Spec{Dst: dst, DstPort: 80}, func(f []byte) { f[14+8]-- }, true, "IPv4 header checksum"},
		{"tcp port rewritten", Spec{Dst: dst, DstPort: 80}, func(f []byte) { f[14+20+3]++ }, true, "tcp checksum"},
		{"tcp port rewritten, transport not checked", Spec{Dst: dst, DstPort: 80}, func(f []byte) { f[14+20+3]++ }, false, ""},
		{"udp payload", Spec{Proto: UDP, Dst: dst, DstPort: 53, Payload: []byte("x")}, func(f []byte) { f[14+20+8]++ }, true, "udp checksum"},
		{"udp without checksum", Spec{Proto: UDP, Dst: dst, DstPort: 53, Payload: []byte("x")}, func(f []byte) { f[14+20+6], f[14+20+7] = 0, 0; f[14+20+8]++ }, true, ""},
		{"destination rewritten, checksums kept", Spec{Dst: dst, DstPort: 80}, func(f []byte) { f[14+19] = 4 }, true, "IPv4 header checksum"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec
			s.Src = netip.MustParseAddr("198.51.100.1")
			frame, err := s.Frame()
			if err != nil {
				t.Fatal(err)
			}
			if tt.flip != nil {
				tt.flip(frame)
			}
			got := Decode(frame).ChecksumError(tt.l4)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("ChecksumError = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Decode([]byte{1, 2, 3}).ChecksumError(true); got != "" {
		t.Errorf("garbage: %q", got)
	}
}
