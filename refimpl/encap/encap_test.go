package encap_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/encap"
)

// TestRoundTrip: the header around an inner packet of either family, which
// comes back unchanged.
func TestRoundTrip(t *testing.T) {
	for _, inner := range [][]byte{{0x45, 0, 0, 20}, append([]byte{0x60}, make([]byte, 39)...)} {
		b := make([]byte, encap.HeaderLen+len(inner))
		encap.Put(b, encap.Header{Rule: 3, Backend: 258})
		copy(b[encap.HeaderLen:], inner)
		if !bytes.Equal(b[:encap.HeaderLen], []byte{'L', 'B', 1, 0, 0, 3, 1, 2}) {
			t.Fatalf("header bytes %x", b[:encap.HeaderLen])
		}
		h, got, err := encap.Decode(b)
		if err != nil || h != (encap.Header{Rule: 3, Backend: 258}) || !bytes.Equal(got, inner) {
			t.Fatalf("Decode = %+v %x %v", h, got, err)
		}
		encap.Put(b, encap.Header{Kind: encap.SNATReturn, Rule: 1, Backend: 2})
		if h, _, err := encap.Decode(b); err != nil || b[3] != 1 || h != (encap.Header{Kind: encap.SNATReturn, Rule: 1, Backend: 2}) {
			t.Fatalf("SNATReturn header %x decoded %+v %v", b[:encap.HeaderLen], h, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		b   []byte
		err error
	}{
		{nil, encap.ErrShort},
		{[]byte("LB\x01\x00\x00"), encap.ErrShort},
		{[]byte("XX\x01\x00\x00\x00\x00\x00"), encap.ErrMagic},
		{[]byte("LB\x02\x00\x00\x00\x00\x00"), encap.ErrVersion},
		{[]byte("LB\x01\x03\x00\x00\x00\x00"), encap.ErrKind},
	} {
		if _, _, err := encap.Decode(tt.b); !errors.Is(err, tt.err) {
			t.Errorf("Decode(%q) = %v, want %v", tt.b, err, tt.err)
		}
	}
}
