package encap_test

import (
	"bytes"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/encap"
)

// FuzzDecode: any datagram is either an error or a header and inner packet
// that Put writes back to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{'L', 'B', 1, 0, 0, 3, 1, 2, 0x45, 0, 0, 20})
	f.Add([]byte("LB\x02\x00\x00\x00\x00\x00"))
	f.Add([]byte("LB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, inner, err := encap.Decode(b)
		if err != nil {
			return
		}
		again := make([]byte, encap.HeaderLen, encap.HeaderLen+len(inner))
		encap.Put(again, h)
		again = append(again, inner...)
		if again[3] = b[3]; !bytes.Equal(again, b) { // byte 3 is reserved: Decode ignores it
			t.Fatalf("Decode(%x) = %+v, %x; Put gives %x", b, h, inner, again)
		}
	})
}
