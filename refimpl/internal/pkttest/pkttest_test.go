package pkttest

import "testing"

// fakeTB records Fatalf instead of stopping the test.
type fakeTB struct {
	testing.TB
	failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

// TestDecodeCatchesBadChecksums: Decode is only useful if it fails.
func TestDecodeCatchesBadChecksums(t *testing.T) {
	dstOpts := Extension{Type: 60, Body: make([]byte, 6)}
	for _, tc := range []struct {
		name string
		b    []byte
		off  int // a byte the checksums cover
	}{
		{"ip header", TCP(t, "198.51.100.1", 1, "203.0.113.10", 80, Flags{SYN: true}, []byte("x")), 10},
		{"tcp", TCP(t, "198.51.100.1", 1, "203.0.113.10", 80, Flags{SYN: true}, []byte("x")), 36},
		{"icmp", ICMPEcho(t, "198.51.100.1", "203.0.113.10"), 22},
		{"tcp ipv6", TCP(t, "2001:db8::1", 1, "2001:db8::10", 80, Flags{SYN: true}, []byte("x")), 56},
		{"ipv6 address (pseudo-header)", UDP(t, "2001:db8::1", 1, "2001:db8::10", 53, []byte("x")), 39},
		{"udp ipv6 behind an extension", WithExtensions(UDP(t, "2001:db8::1", 1, "2001:db8::10", 53, []byte("x")), dstOpts), 54},
		{"icmpv6", ICMPEcho(t, "2001:db8::1", "2001:db8::10"), 42},
	} {
		Decode(t, tc.b) // valid as built
		tc.b[tc.off] ^= 0x40
		f := &fakeTB{TB: t}
		Decode(f, tc.b)
		if !f.failed {
			t.Errorf("%s: byte %d corrupted, Decode did not fail", tc.name, tc.off)
		}
	}
}
