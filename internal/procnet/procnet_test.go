package procnet

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const proc = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0A7100CB:0050 656433C6:9C41 03 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123 1 0000000000000000 100 0 0 10 0
`
	got, err := Parse(strings.NewReader(proc))
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{netip.MustParseAddrPort("203.0.113.10:80"), netip.MustParseAddrPort("198.51.100.101:40001"), StateSynRecv},
		{netip.MustParseAddrPort("0.0.0.0:8080"), netip.MustParseAddrPort("0.0.0.0:0"), 10},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParseProcNet = %+v, want %+v", got, want)
	}
	if _, err := Parse(strings.NewReader("hdr\n 0: zz:0050 00000000:0000 0A\n")); err == nil {
		t.Error("garbage address accepted")
	}
}
