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
	for name, off := range map[string]int{"ip header": 10, "tcp": 36, "icmp": 22} {
		b := TCP(t, "198.51.100.1", 1, "203.0.113.10", 80, Flags{SYN: true}, []byte("x"))
		if name == "icmp" {
			b = ICMPEcho(t, "198.51.100.1", "203.0.113.10")
		}
		Decode(t, b) // valid as built
		b[off] ^= 0x40
		f := &fakeTB{TB: t}
		Decode(f, b)
		if !f.failed {
			t.Errorf("%s checksum corrupted, Decode did not fail", name)
		}
	}
}
