package netio_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
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

// macB is the MAC address of veth end b (vethPair).
var macB = net.HardwareAddr{2, 0, 0, 0, 0, 0xb}

// vethPair returns PacketConns, each waiting up to readTimeout, on the two
// ends a and b of a veth pair in a namespace of its own (ns), closed when
// the test ends.
func vethPair(t *testing.T, readTimeout time.Duration) (a, b *netio.PacketConn, ns *netlab.NS) {
	lab := labtest.NewLab(t)
	ns, err := lab.NewNS("io")
	must(t, err)
	must(t, ns.AddVeth("a", net.HardwareAddr{2, 0, 0, 0, 0, 0xa}, ns, "b", macB))
	must(t, ns.Up("a", "b"))
	must(t, ns.WaitUp(5*time.Second, "a", "b"))
	must(t, ns.Do(func() (err error) {
		if a, err = netio.ListenPacket("a", readTimeout); err != nil {
			return err
		}
		b, err = netio.ListenPacket("b", readTimeout)
		return err
	}))
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b, ns
}

// TestPacketConn sends IPv4 packets from one end of a veth pair to the
// other with AF_PACKET, in batches of 5, and reads them back in batches of
// 4: every packet arrives intact and in order,
// the sender does not see its own packets, and an idle read times out.
func TestPacketConn(t *testing.T) {
	a, b, _ := vethPair(t, 50*time.Millisecond)
	const n, burst = 500, 7
	batch := netio.NewBatch(4, 2048)
	out := a.NewPacketBatch(5, 2048)
	flush := func(want int) {
		t.Helper()
		if sent, failed, err := out.Flush(); sent != want || failed != 0 || err != nil {
			t.Fatalf("Flush: sent %d, failed %d, %v; want %d sent", sent, failed, err, want)
		}
	}
	for i := 0; i < n; {
		// Send a burst, read it back in batches of at most 4, in order.
		for j := range burst {
			if out.Full() { // after 5: two sendmmsg calls per burst
				flush(5)
			}
			p := pkttest.UDP(t, "198.51.100.1", uint16(1000+i+j), "203.0.113.10", 53, []byte("payload"))
			must(t, out.Add(p, [6]byte(macB)))
		}
		flush(burst - 5)
		for end := i + burst; i < end; {
			got, err := b.ReadBatch(batch)
			if err != nil || got < 1 || got > 4 {
				t.Fatalf("packet %d: read %d packets, %v", i, got, err)
			}
			for k := range got {
				pkt, meta, err := batch.Packet(k)
				in, perr := packet.Parse(pkt)
				if err != nil || perr != nil || in.SrcPort != uint16(1000+i) || meta != (netio.Meta{}) {
					t.Fatalf("packet %d: %+v meta=%+v err=%v %v", i, in, meta, err, perr)
				}
				i++
			}
		}
	}
	// a ignores its own outgoing packets; nothing else arrives.
	for _, c := range []*netio.PacketConn{a, b} {
		if _, err := c.ReadBatch(batch); !errors.Is(err, netio.ErrTimeout) {
			t.Errorf("idle read: %v, want ErrTimeout", err)
		}
	}
}

// TestInterrupt: a read waiting for packets with an hour's timeout returns
// ErrInterrupted when another goroutine calls Interrupt, and later reads
// do once the packets waiting are read.
func TestInterrupt(t *testing.T) {
	a, b, _ := vethPair(t, time.Hour)
	batch := netio.NewBatch(4, 2048)
	done := make(chan error, 1)
	go func() {
		_, err := b.ReadBatch(batch)
		done <- err
	}()
	b.Interrupt()
	select {
	case err := <-done:
		if !errors.Is(err, netio.ErrInterrupted) {
			t.Fatalf("interrupted read: %v, want ErrInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read still waits 10s after Interrupt")
	}
	out := a.NewPacketBatch(1, 2048)
	must(t, out.Add(pkttest.UDP(t, "198.51.100.1", 1000, "203.0.113.10", 53, []byte("late")), [6]byte(macB)))
	if _, _, err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	b.Interrupt()
	// The packet may or may not be read first; the read after it is
	// interrupted at once.
	for range 2 {
		if _, err := b.ReadBatch(batch); errors.Is(err, netio.ErrInterrupted) {
			return
		}
	}
	t.Error("reads after Interrupt do not return ErrInterrupted")
}

func TestListenPacketNoInterface(t *testing.T) {
	labtest.RequireRoot(t)
	if _, err := netio.ListenPacket("no-such-if0", time.Second); err == nil {
		t.Fatal("no error for a missing interface")
	}
}

// TestUDPBatch queues more datagrams than one sendmmsg carries to two
// ports on the loopback of a namespace: each arrives once, in order, at
// its port; a datagram larger than a buffer and an IPv6 destination are
// refused by Add; Add and Flush do not allocate. UDPReader reads them back
// in batches with their sender, and times out at the read deadline.
func TestUDPBatch(t *testing.T) {
	lab := labtest.NewLab(t)
	ns, err := lab.NewNS("io")
	must(t, err)
	must(t, ns.Up("lo"))
	var src *net.UDPConn
	var dst [2]*net.UDPConn
	must(t, ns.Do(func() (err error) {
		lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
		if src, err = net.ListenUDP("udp4", lo); err != nil {
			return err
		}
		for i := range dst {
			if dst[i], err = net.ListenUDP("udp4", lo); err != nil {
				return err
			}
		}
		return nil
	}))
	defer src.Close()
	for _, c := range dst {
		defer c.Close()
	}
	must(t, netio.SetUDPBuffers(src))
	q, err := netio.NewUDPBatch(src, 3, 16)
	must(t, err)
	const n = 10
	for i := 0; i < n; i++ {
		if q.Full() {
			sent, failed, err := q.Flush()
			if sent != 3 || failed != 0 || err != nil {
				t.Fatalf("Flush: sent %d, failed %d, %v", sent, failed, err)
			}
		}
		must(t, q.Add([]byte{byte(i)}, dst[i%2].LocalAddr().(*net.UDPAddr).AddrPort()))
	}
	if err := q.Add(make([]byte, 17), dst[0].LocalAddr().(*net.UDPAddr).AddrPort()); err == nil {
		t.Error("Add took a datagram larger than the buffers")
	}
	if err := q.Add([]byte{1}, netip.MustParseAddrPort("[2001:db8::1]:53")); err == nil {
		t.Error("Add took an IPv6 destination")
	}
	if sent, failed, err := q.Flush(); sent != 1 || failed != 0 || err != nil {
		t.Fatalf("last Flush: sent %d, failed %d, %v", sent, failed, err)
	}
	to := src.LocalAddr().(*net.UDPAddr).AddrPort() // to itself, away from the dst checks
	if a := testing.AllocsPerRun(50, func() {
		if err := q.Add([]byte{0xff}, to); err != nil {
			t.Fatal(err)
		}
		q.Flush()
	}); a != 0 {
		t.Errorf("Add+Flush: %v allocations, want 0", a)
	}
	// Read them back with UDPReaders of 2 datagrams per Read.
	from := src.LocalAddr().(*net.UDPAddr).AddrPort()
	for k, c := range dst {
		r, err := netio.NewUDPReader(c, 2, 64)
		must(t, err)
		must(t, c.SetReadDeadline(time.Now().Add(time.Second)))
		for i := k; i < n; {
			got, err := r.Read()
			if err != nil || got < 1 || got > 2 {
				t.Fatalf("datagram %d: read %d, %v", i, got, err)
			}
			for j := range got {
				b, sender := r.Datagram(j)
				if len(b) != 1 || b[0] != byte(i) || sender != from {
					t.Fatalf("datagram %d: %v from %v, want [%d] from %v", i, b, sender, i, from)
				}
				i += 2
			}
		}
	}
	// Nothing else arrives: the next Read waits for the deadline.
	must(t, dst[0].SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	r, err := netio.NewUDPReader(dst[0], 2, 64)
	must(t, err)
	if _, err := r.Read(); err == nil || !os.IsTimeout(err) {
		t.Errorf("idle Read: %v, want a timeout", err)
	}
}
