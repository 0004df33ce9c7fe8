package netio_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/netio"
	"github.com/lbcheck/lbcheck/refimpl/packet"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPacketConn sends IPv4 packets from one end of a veth pair to the
// other with AF_PACKET and reads them back: every packet arrives intact,
// the sender does not see its own packets, and an idle read times out.
func TestPacketConn(t *testing.T) {
	lab := labtest.NewLab(t)
	ns, err := lab.NewNS("io")
	must(t, err)
	macB := net.HardwareAddr{2, 0, 0, 0, 0, 0xb}
	must(t, ns.AddVeth("a", net.HardwareAddr{2, 0, 0, 0, 0, 0xa}, ns, "b", macB))
	must(t, ns.Up("a", "b"))
	must(t, ns.WaitUp(5*time.Second, "a", "b"))
	var a, b *netio.PacketConn
	must(t, ns.Do(func() (err error) {
		if a, err = netio.ListenPacket("a", 50*time.Millisecond); err != nil {
			return err
		}
		b, err = netio.ListenPacket("b", 50*time.Millisecond)
		return err
	}))
	defer a.Close()
	defer b.Close()
	const n = 500
	buf := make([]byte, 2048)
	for i := range n {
		p := pkttest.UDP(t, "198.51.100.1", uint16(1000+i), "203.0.113.10", 53, []byte("payload"))
		must(t, a.WriteTo(p, [6]byte(macB)))
		got, meta, err := b.Read(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		in, err := packet.Parse(got)
		if err != nil || in.SrcPort != uint16(1000+i) || meta != (netio.Meta{}) {
			t.Fatalf("packet %d: %+v meta=%+v err=%v", i, in, meta, err)
		}
	}
	// a ignores its own outgoing packets; nothing else arrives.
	for _, c := range []*netio.PacketConn{a, b} {
		if _, _, err := c.Read(buf); !errors.Is(err, netio.ErrTimeout) {
			t.Errorf("idle read: %v, want ErrTimeout", err)
		}
	}
}

func TestListenPacketNoInterface(t *testing.T) {
	labtest.RequireRoot(t)
	if _, err := netio.ListenPacket("no-such-if0", time.Second); err == nil {
		t.Fatal("no error for a missing interface")
	}
}
