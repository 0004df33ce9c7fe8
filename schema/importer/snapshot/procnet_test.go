package snapshot

import (
	"fmt"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
)

// Lines as the kernel prints them (trailing columns shortened).
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0A00010A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31338 1 0000000000000000 100 0 0 10 0
   2: 0400010A:0016 0A02000A:D431 01 00000000:00000000 02:000A7F2C 00000000     0        0 31339 2 0000000000000000 20 4 30 10 -1
`

const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 100 0 0 10 0
`

const procUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  101: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 555 2 0000000000000000 0
  102: 0400010A:9C40 0A02000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 556 2 0000000000000000 0
`

func TestParseProcNet(t *testing.T) {
	tests := []struct {
		proto, content string
		want           []string
	}{
		{"tcp", procTCP, []string{"tcp 10.1.0.10:8080", "tcp 127.0.0.1:3306"}},
		{"tcp", procTCP6, []string{"tcp :::80", "tcp 2001:db8::1:443"}},
		{"udp", procUDP, []string{"udp 0.0.0.0:5353"}},
	}
	for _, tt := range tests {
		ls, err := parseProcNet(schema.SockProto(tt.proto), []byte(tt.content))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range ls {
			got = append(got, fmt.Sprintf("%s %s:%d", l.Proto, l.Address, l.Port))
		}
		if len(got) != len(tt.want) {
			t.Fatalf("got %v, want %v", got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		}
	}
	if _, err := parseProcNet("tcp", []byte("header\n 0: XYZ:1F90 00000000:0000 0A\n")); err == nil {
		t.Error("malformed address accepted")
	}
}

// FuzzParseProcNet checks that no /proc/net content makes the parser panic
// and that every listener it returns has a valid port.
func FuzzParseProcNet(f *testing.F) {
	for _, s := range []string{procTCP, procTCP6, procUDP} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		ls, err := parseProcNet("tcp", content)
		for _, l := range ls {
			if err == nil && (l.Port < 1 || l.Port > 65535 || l.Address == "") {
				t.Fatalf("bad listener %+v", *l)
			}
		}
	})
}
