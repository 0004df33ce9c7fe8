package packet_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

func TestSegment(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 400) // 4000 bytes
	for _, fam := range []struct {
		name     string
		src, dst string
		ext      []pkttest.Extension
	}{
		{"ipv4", "10.1.0.4", "198.51.100.100", nil},
		{"ipv6", dip6, client6, nil},
		{"ipv6 with extension headers", dip6, client6, []pkttest.Extension{hopByHop, dstOpts}},
	} {
		for _, tt := range []struct {
			name  string
			mss   int
			segs  []int // payload sizes
			flags pkttest.Flags
		}{
			{"three segments", 1448, []int{1448, 1448, 1104}, pkttest.Flags{ACK: true, FIN: true}},
			{"exact multiple", 1000, []int{1000, 1000, 1000, 1000}, pkttest.Flags{ACK: true}},
			{"fits", 4000, []int{4000}, pkttest.Flags{ACK: true, FIN: true}},
		} {
			t.Run(fam.name+"/"+tt.name, func(t *testing.T) {
				b := pkttest.TCP(t, fam.src, 8080, fam.dst, 40000, tt.flags, payload)
				if fam.ext != nil {
					b = pkttest.WithExtensions(b, fam.ext...)
				}
				in, err := packet.Parse(b)
				if err != nil {
					t.Fatal(err)
				}
				b[in.L4+13] |= 0x08 // PSH
				// Leave the checksum as offload does: the pseudo-header sum only.
				binary.BigEndian.PutUint16(b[in.L4+16:], 0x1234)
				scratch := make([]byte, 65536)
				var got [][]byte
				err = packet.Segment(b, tt.mss, 8, scratch, func(seg []byte) { got = append(got, append([]byte(nil), seg...)) })
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.segs) {
					t.Fatalf("%d segments, want %d", len(got), len(tt.segs))
				}
				var joined []byte
				for i, seg := range got {
					d := pkttest.Decode(t, seg) // checksums equal a full recompute
					if len(d.TCP.Payload) != tt.segs[i] {
						t.Errorf("segment %d: %d bytes of payload, want %d", i, len(d.TCP.Payload), tt.segs[i])
					}
					if want := uint32(1000 + len(joined)); d.TCP.Seq != want {
						t.Errorf("segment %d: seq %d, want %d", i, d.TCP.Seq, want)
					}
					last := i == len(got)-1
					if d.TCP.FIN != (tt.flags.FIN && last) || d.TCP.PSH != last || !d.TCP.ACK {
						t.Errorf("segment %d: FIN=%v PSH=%v ACK=%v", i, d.TCP.FIN, d.TCP.PSH, d.TCP.ACK)
					}
					if d.IP != nil && len(got) > 1 && d.IP.Id != uint16(7+i) {
						t.Errorf("segment %d: IP ID %d, want %d", i, d.IP.Id, 7+i)
					}
					if d.IP6 != nil && (!bytes.Equal(seg[40:in.L4], b[40:in.L4]) || int(d.IP6.Length) != len(seg)-40) {
						t.Errorf("segment %d: extension headers or payload length (%d) not kept", i, d.IP6.Length)
					}
					joined = append(joined, d.TCP.Payload...)
				}
				if !bytes.Equal(joined, payload) {
					t.Error("segments do not add up to the payload")
				}
			})
		}
	}
}

func TestSegmentRejects(t *testing.T) {
	scratch := make([]byte, 2048)
	emit := func([]byte) { t.Error("emitted") }
	if err := packet.Segment(pkttest.UDP(t, "10.1.0.4", 1, "198.51.100.100", 2, make([]byte, 3000)), 1000, 0, scratch, emit); err == nil {
		t.Error("UDP: no error")
	}
	if err := packet.Segment([]byte{0x45}, 1000, 0, scratch, emit); err == nil {
		t.Error("garbage: no error")
	}
	big := pkttest.TCP(t, "10.1.0.4", 1, "198.51.100.100", 2, pkttest.Flags{ACK: true}, make([]byte, 5000))
	if err := packet.Segment(big, 4000, 0, scratch, emit); err == nil {
		t.Error("small scratch: no error")
	}
}

func FuzzSegment(f *testing.F) {
	f.Add(pkttest.TCP(f, "10.1.0.4", 8080, "198.51.100.100", 40000, pkttest.Flags{ACK: true}, make([]byte, 3000)), uint16(1000))
	f.Add(pkttest.TCP(f, dip6, 8080, client6, 40000, pkttest.Flags{ACK: true}, make([]byte, 3000)), uint16(1000))
	f.Add([]byte{0x45, 0, 0, 20}, uint16(1))
	scratch := make([]byte, 65536+128)
	f.Fuzz(func(t *testing.T, b []byte, mss uint16) {
		_ = packet.Segment(b, int(mss), 8, scratch, func(seg []byte) {
			if _, err := packet.Parse(seg); err != nil {
				t.Fatalf("segment does not parse: %v", err)
			}
		})
	})
}
