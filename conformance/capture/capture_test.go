package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/internal/prereq"
)

// vethPair opens ports on both ends of a veth pair that lives in a fresh
// anonymous namespace. The namespace disappears with its last socket, so
// nothing outlives the test.
func vethPair(t *testing.T) (a, b *Port) {
	t.Helper()
	prereq.Root(t, "opening capture ports in a network namespace (CAP_NET_ADMIN, CAP_NET_RAW)")
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked if restoring fails: the thread then dies with the goroutine
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := netns.New()
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		err = func() error {
			// No IPv6 noise (router solicitations, MLD) on the test links.
			if err := os.WriteFile("/proc/sys/net/ipv6/conf/default/disable_ipv6", []byte("1"), 0o644); err != nil {
				return err
			}
			veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "a"}, PeerName: "b"}
			if err := netlink.LinkAdd(veth); err != nil {
				return err
			}
			for _, n := range []string{"a", "b"} {
				l, err := netlink.LinkByName(n)
				if err != nil {
					return err
				}
				if err := netlink.LinkSetUp(l); err != nil {
					return err
				}
			}
			if err := waitUp("a", "b"); err != nil {
				return err
			}
			if a, err = Open("client", "a"); err != nil {
				return err
			}
			b, err = Open("vm", "b")
			return err
		}()
		if rerr := netns.Set(orig); rerr != nil {
			errc <- errors.Join(err, rerr)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatalf("setting up a veth pair: %v", err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	a.Drain() // ignore anything the kernel sent while the links came up
	b.Drain()
	return a, b
}

// waitUp waits (at most 2 s) until the links have carrier: frames sent
// before that are dropped.
func waitUp(names ...string) error {
	for _, n := range names {
		for i := 0; ; i++ {
			l, err := netlink.LinkByName(n)
			if err != nil {
				return err
			}
			if l.Attrs().OperState == netlink.OperUp {
				break
			}
			if i == 200 {
				return fmt.Errorf("%s: no carrier after 2s", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

var (
	src = netip.MustParseAddr("198.51.100.101")
	dst = netip.MustParseAddr("203.0.113.10")
)

func TestSendExpect(t *testing.T) {
	a, b := vethPair(t)
	frame, err := pkt.Spec{SrcMAC: a.MAC, DstMAC: b.MAC, Src: src, Dst: dst, DstPort: 8080, Payload: []byte("hello")}.Frame()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(frame); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want := Want{Match: pkt.Match{Proto: pkt.TCP, Src: src, Dst: dst, DstPort: 8080, Flags: pkt.SYN, Payload: "hello"}}
	f, err := b.Expect(ctx, want, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if f.Dir != In {
		t.Errorf("frame received on b has direction %s, want in", f.Dir)
	}
	// The sender records its own frame as outgoing.
	if _, err := a.Expect(ctx, Want{Match: want.Match, Dir: Out}, time.Second); err != nil {
		t.Errorf("sender did not record its frame: %v", err)
	}
	if err := b.ExpectNone(ctx, Want{Match: pkt.Match{DstPort: 8080}, Dir: Out}, 50*time.Millisecond); err != nil {
		t.Errorf("b never sent anything, ExpectNone(out) failed: %v", err)
	}
	if err := b.ExpectNone(ctx, want, 50*time.Millisecond); err == nil {
		t.Error("ExpectNone accepted a frame that matches")
	} else if !strings.Contains(err.Error(), "RECEIVED  in") {
		t.Errorf("ExpectNone error does not show the received frame:\n%v", err)
	}
	// After Drain the frame no longer counts, but it stays recorded.
	b.Drain()
	if err := b.ExpectNone(ctx, want, 50*time.Millisecond); err != nil {
		t.Errorf("after Drain: %v", err)
	}
	if n := len(b.Frames()); n == 0 {
		t.Error("Drain dropped the recorded frames")
	}
}

// TestExpectChecksums: a frame whose address was rewritten without fixing
// the TCP checksum fails Expect, naming the checksum, and still counts for
// ExpectNone (the forwarder sent it); the intact frame passes.
func TestExpectChecksums(t *testing.T) {
	a, b := vethPair(t)
	good, err := pkt.Spec{SrcMAC: a.MAC, DstMAC: b.MAC, Src: src, Dst: dst, DstPort: 8081}.Frame()
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), good...)
	bad[14+16+3]++ // the destination address's last byte, checksums untouched
	ctx := context.Background()
	want := Want{Match: pkt.Match{Proto: pkt.TCP, Src: src, DstPort: 8081}}
	if err := a.Send(bad); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Expect(ctx, want, 2*time.Second); err == nil || !strings.Contains(err.Error(), "bad checksum: IPv4 header checksum") {
		t.Errorf("Expect on a frame with a stale IPv4 checksum: %v", err)
	}
	if err := b.ExpectNone(ctx, want, 50*time.Millisecond); err == nil {
		t.Error("ExpectNone ignored a matching frame because its checksum is bad")
	}
	b.Drain()
	// Fix the IPv4 header checksum only: the TCP one (over the pseudo-header) stays stale.
	bad[14+10], bad[14+11] = 0, 0
	var s uint32
	for i := 14; i < 34; i += 2 {
		s += uint32(bad[i])<<8 | uint32(bad[i+1])
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	bad[14+10], bad[14+11] = byte(^s>>8), byte(^s)
	if err := a.Send(bad); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Expect(ctx, want, 2*time.Second); err == nil || !strings.Contains(err.Error(), "bad checksum: tcp checksum") {
		t.Errorf("Expect on a frame with a stale TCP checksum: %v", err)
	}
	b.Drain()
	if err := a.Send(good); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Expect(ctx, want, 2*time.Second); err != nil {
		t.Errorf("Expect on an intact frame: %v", err)
	}
}

func TestExpectErrorShowsExpectedAndReceived(t *testing.T) {
	a, b := vethPair(t)
	frame, err := pkt.Spec{SrcMAC: a.MAC, DstMAC: b.MAC, Src: src, Dst: dst, DstPort: 80}.Frame()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(frame); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := b.Expect(ctx, Want{Match: pkt.Match{DstPort: 80}}, time.Second); err != nil {
		t.Fatal(err)
	}
	_, err = b.Expect(ctx, Want{Match: pkt.Match{Proto: pkt.TCP, Dst: dst, DstPort: 81}}, 100*time.Millisecond)
	var ee *ExpectError
	if !errors.As(err, &ee) {
		t.Fatalf("Expect of a frame that never came: %v, want an *ExpectError", err)
	}
	msg := err.Error()
	for _, part := range []string{"at vm (b)", "EXPECTED  proto=tcp dst=203.0.113.10 dport=81", "RECEIVED  (last", "tcp 198.51.100.101:40000 > 203.0.113.10:80 [SYN]", "dport 80, want 81"} {
		if !strings.Contains(msg, part) {
			t.Errorf("error lacks %q:\n%s", part, msg)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Expect(ctx, Want{Match: pkt.Match{DstPort: 9}}, time.Minute); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("Expect with a cancelled context: %v", err)
	}
}

func TestWritePcap(t *testing.T) {
	a, b := vethPair(t)
	for i := range 3 {
		frame, err := pkt.Spec{SrcMAC: a.MAC, DstMAC: b.MAC, Src: src, Dst: dst, SrcPort: uint16(1000 + i)}.Frame()
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Send(frame); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Expect(context.Background(), Want{Match: pkt.Match{SrcPort: 1002}}, time.Second); err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := WritePcap(&file, a, b); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(&file, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	perIntf := map[int]int{}
	var last time.Time
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if ci.Timestamp.Before(last) {
			t.Errorf("frames out of time order")
		}
		last = ci.Timestamp
		if p := pkt.Decode(data); p.Dst == dst {
			perIntf[ci.InterfaceIndex]++
		}
	}
	if perIntf[0] != 3 || perIntf[1] != 3 {
		t.Errorf("frames per interface = %v, want 3 on client (0) and 3 on vm (1)", perIntf)
	}
	if n := r.NInterfaces(); n != 2 {
		t.Fatalf("%d interfaces, want 2", n)
	}
	if intf, _ := r.Interface(1); intf.Name != "vm" || intf.Description != "b" {
		t.Errorf("interface 1 = %q (%q), want vm (b)", intf.Name, intf.Description)
	}
}

// TestSyncThenLook: a burst sent on one end is, after Sync on the other,
// entirely recorded, so ExpectNone with no window (what arrived until
// now) finds its last frame without waiting, and finds nothing of a port
// the burst did not use.
func TestSyncThenLook(t *testing.T) {
	a, b := vethPair(t)
	const burst = 200
	for i := range burst {
		frame, err := pkt.Spec{SrcMAC: a.MAC, DstMAC: b.MAC, Src: src, Dst: dst, SrcPort: uint16(20000 + i), DstPort: 8080}.Frame()
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Send(frame); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := b.Sync(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	last := Want{Match: pkt.Match{Proto: pkt.TCP, SrcPort: 20000 + burst - 1, DstPort: 8080}, Dir: In}
	if err := b.ExpectNone(ctx, last, 0); err == nil {
		t.Errorf("after Sync the burst's last frame is not recorded (%d frames)", len(b.Frames()))
	}
	if err := b.ExpectNone(ctx, Want{Match: pkt.Match{DstPort: 9}, Dir: In}, 0); err != nil {
		t.Errorf("nothing went to port 9, yet: %v", err)
	}
}
