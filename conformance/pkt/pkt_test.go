package pkt

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

var (
	cip = netip.MustParseAddr("198.51.100.101")
	fip = netip.MustParseAddr("203.0.113.10")
	dip = netip.MustParseAddr("10.0.0.4")
)

func mustFrame(t testing.TB, s Spec) []byte {
	t.Helper()
	b, err := s.Frame()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildDecodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want Packet
	}{
		{"defaults are a TCP SYN", Spec{},
			Packet{Proto: TCP, Src: DefaultSrc, Dst: DefaultDst, SrcPort: DefaultSrcPort, DstPort: DefaultDstPort, Flags: SYN, Seq: 1000, TTL: 64}},
		{"tcp data", Spec{Src: cip, Dst: fip, SrcPort: 1234, DstPort: 443, Flags: PSH | ACK, Seq: 7, Ack: 9, Payload: []byte("hello")},
			Packet{Proto: TCP, Src: cip, Dst: fip, SrcPort: 1234, DstPort: 443, Flags: PSH | ACK, Seq: 7, Ack: 9, TTL: 64, Payload: []byte("hello")}},
		{"udp", Spec{Proto: UDP, Src: cip, Dst: fip, DstPort: 53, TTL: 3, Payload: []byte("q")},
			Packet{Proto: UDP, Src: cip, Dst: fip, SrcPort: DefaultSrcPort, DstPort: 53, TTL: 3, Payload: []byte("q")}},
		{"icmp echo", Spec{Proto: ICMP, Src: cip, Dst: fip},
			Packet{Proto: ICMP, Src: cip, Dst: fip, ICMPType: 8, TTL: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Decode(mustFrame(t, tt.spec))
			got := *p
			got.Data, got.SrcMAC, got.DstMAC, got.EtherType, got.IPProto = nil, nil, nil, 0, 0
			if len(got.Payload) == 0 {
				got.Payload = nil
			}
			if got.String() != tt.want.String() || string(got.Payload) != string(tt.want.Payload) || got.TTL != tt.want.TTL {
				t.Errorf("decoded %v (ttl %d, payload %q), want %v (ttl %d, payload %q)", &got, got.TTL, got.Payload, &tt.want, tt.want.TTL, tt.want.Payload)
			}
			if p.SrcMAC.String() != DefaultSrcMAC.String() || p.DstMAC.String() != DefaultDstMAC.String() {
				t.Errorf("MACs %s > %s, want the defaults", p.SrcMAC, p.DstMAC)
			}
		})
	}
}

// TestChecksums verifies the IPv4 header checksum the builder computes: the
// one's-complement sum over a correct header is 0xffff.
func TestChecksums(t *testing.T) {
	b := mustFrame(t, Spec{Src: cip, Dst: fip, Payload: []byte("x")})
	hdr := b[14:34]
	var sum uint32
	for i := 0; i < len(hdr); i += 2 {
		sum += uint32(hdr[i])<<8 | uint32(hdr[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	if sum != 0xffff {
		t.Errorf("IPv4 header checksum does not verify: sum %#x", sum)
	}
	if total := int(b[16])<<8 | int(b[17]); total != 20+20+1 {
		t.Errorf("IPv4 total length %d, want 41 (frame padded to %d bytes)", total, len(b))
	}
}

func TestBuildErrors(t *testing.T) {
	for _, s := range []Spec{
		{Proto: "sctp"},
		{Src: netip.MustParseAddr("2001:db8::1")},
	} {
		if _, err := s.Frame(); err == nil {
			t.Errorf("%+v: built a frame, want an error", s)
		}
	}
}

func TestMatch(t *testing.T) {
	syn := Decode(mustFrame(t, Spec{Src: cip, Dst: dip, SrcPort: 40001, DstPort: 8080, Payload: []byte("vm=vm0 local=10.0.0.4:8080")}))
	synack := Decode(mustFrame(t, Spec{Src: fip, Dst: cip, SrcPort: 80, DstPort: 40001, Flags: SYN | ACK}))
	data := Decode(mustFrame(t, Spec{Src: fip, Dst: cip, Flags: PSH | ACK}))
	tests := []struct {
		m       Match
		p       *Packet
		ok      bool
		whyPart string
	}{
		{Match{}, syn, true, ""},
		{Match{Proto: TCP, Src: cip, SrcPort: 40001, Dst: dip, DstPort: 8080, Flags: SYN}, syn, true, ""},
		{Match{Proto: UDP}, syn, false, "proto tcp, want udp"},
		{Match{Dst: fip}, syn, false, "dst 10.0.0.4, want 203.0.113.10"},
		{Match{Src: fip}, syn, false, "src 198.51.100.101"},
		{Match{DstPort: 80}, syn, false, "dport 8080, want 80"},
		{Match{SrcPort: 1}, syn, false, "sport 40001, want 1"},
		{Match{Flags: SYN}, synack, false, "flags [SYN|ACK], want [SYN]"},
		{Match{Flags: SYN | ACK}, synack, true, ""},
		{Match{Flags: ACK}, data, true, ""}, // PSH is not compared
		{Match{Has: SYN}, synack, true, ""},
		{Match{Has: SYN}, syn, true, ""},
		{Match{Has: SYN | ACK}, syn, false, "flags [SYN], want [SYN|ACK] among them"},
		{Match{Has: RST}, data, false, "want [RST] among them"},
		{Match{Payload: "vm=vm0"}, syn, true, ""},
		{Match{Payload: "vm=vm1"}, syn, false, `does not contain "vm=vm1"`},
		{Match{}, Decode([]byte{1, 2, 3}), false, "not an IPv4 packet"},
		{Match{}, nil, false, "not an IPv4 packet"},
	}
	for _, tt := range tests {
		ok, why := tt.m.Match(tt.p)
		if ok != tt.ok || !strings.Contains(why, tt.whyPart) {
			t.Errorf("%v.Match(%v) = %v, %q; want %v, %q", tt.m, tt.p, ok, why, tt.ok, tt.whyPart)
		}
	}
}

func TestCompare(t *testing.T) {
	m := Match{Proto: TCP, Src: cip, SrcPort: 5, Dst: fip, DstPort: 80, Flags: SYN | ACK, Payload: "hi"}
	p := Decode(mustFrame(t, Spec{Src: cip, Dst: dip, SrcPort: 5, DstPort: 80, Flags: SYN | ACK | PSH, Payload: []byte("hi there")}))
	got := fmt.Sprint(m.Compare(p))
	want := fmt.Sprint([]FieldDiff{
		{"proto", "tcp", "tcp", true}, {"src", cip.String(), cip.String(), true}, {"sport", "5", "5", true},
		{"dst", fip.String(), dip.String(), false}, {"dport", "80", "80", true},
		{"flags", "SYN|ACK", "SYN|PSH|ACK", true}, {"payload", "hi", "hi there", true},
	})
	if got != want {
		t.Errorf("Compare\n got %s\nwant %s", got, want)
	}
	if score, of := m.Score(p); score != 5 || of != 6 {
		t.Errorf("Score = %d of %d, want 5 of 6 (payload not scored)", score, of)
	}
	if d := (Match{}).Compare(p); len(d) != 0 {
		t.Errorf("the empty Match compares %v", d)
	}
	if s := m.String(); s != "proto=tcp src=198.51.100.101 sport=5 dst=203.0.113.10 dport=80 flags=SYN|ACK payload~\"hi\"" {
		t.Errorf("String = %q", s)
	}
	if s := (Match{}).String(); s != "any packet" {
		t.Errorf("empty String = %q", s)
	}
}

func TestFlags(t *testing.T) {
	for f, s := range map[Flags]string{0: "", SYN: "SYN", SYN | ACK: "SYN|ACK", FIN | ACK: "FIN|ACK", RST | ACK: "RST|ACK", PSH | ACK: "PSH|ACK"} {
		if f.String() != s {
			t.Errorf("%08b.String() = %q, want %q", uint8(f), f, s)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []Spec{{}, {Proto: UDP, Payload: []byte("x")}, {Proto: ICMP}, {Flags: FIN | ACK, Payload: []byte("data")}} {
		b, err := s.Frame()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x06, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Decode(data)
		_ = p.String()
		if p.IsIPv4() {
			exact := Match{Proto: p.Proto, Src: p.Src, SrcPort: p.SrcPort, Dst: p.Dst, DstPort: p.DstPort, Flags: p.Flags & CoreFlags}
			if score, of := exact.Score(p); score != of {
				t.Errorf("a Match of the packet's own fields scores %d of %d on it", score, of)
			}
			if ok, why := (Match{}).Match(p); !ok {
				t.Errorf("the empty Match rejects %v: %s", p, why)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	frame := mustFrame(b, Spec{Payload: []byte("hello")})
	b.ReportAllocs()
	for b.Loop() {
		Decode(frame)
	}
}

func TestClosest(t *testing.T) {
	want := Match{Proto: TCP, Src: fip, SrcPort: 80, Dst: cip, DstPort: 40001, Flags: SYN | ACK}
	wrongPort := Decode(mustFrame(t, Spec{Src: fip, Dst: cip, SrcPort: 8080, DstPort: 40001, Flags: SYN | ACK}))
	unrelated := Decode(mustFrame(t, Spec{Src: cip, Dst: dip, SrcPort: 1, DstPort: 2}))
	udp := Decode(mustFrame(t, Spec{Proto: UDP, Src: fip, Dst: cip, SrcPort: 80, DstPort: 40001}))
	if got := want.Closest([]*Packet{unrelated, udp, wrongPort}); got != 2 {
		t.Errorf("Closest = %d, want 2 (same flow, wrong source port)", got)
	}
	if got := want.Closest([]*Packet{unrelated, udp, nil}); got != -1 {
		t.Errorf("Closest = %d, want -1 (nothing close)", got)
	}
	if s, of := want.Score(wrongPort); s != 5 || of != 6 {
		t.Errorf("Score = %d/%d, want 5/6", s, of)
	}
}
