// Package capture implements observation ports: an AF_PACKET socket on one
// interface that records every frame it sees (with time and direction),
// injects crafted frames, and waits for frames matching an expectation.
//
// A Port must be opened inside the namespace that owns the interface (the
// socket stays bound to that namespace afterwards), and before the case
// sends anything. Everything a port sees is kept until Reset, so a case's
// capture can be written to a pcapng file (WritePcap) whatever the outcome.
package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/lbcheck/lbcheck/conformance/pkt"
)

// Direction says how a frame relates to the observed interface.
type Direction uint8

// Directions. A Want with Dir 0 accepts In and Out: frames addressed to
// another MAC (OtherHost, e.g. a bridge flooding an unknown unicast) are on
// the wire but are not the interface's traffic.
const (
	In        Direction = iota + 1 // received, addressed to this interface (or broadcast/multicast)
	Out                            // sent by this interface's namespace, or injected by the port
	OtherHost                      // received, addressed to another MAC
)

func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	case OtherHost:
		return "other"
	default:
		return "any"
	}
}

// Frame is one frame a port saw.
type Frame struct {
	Time   time.Time
	Dir    Direction
	Packet *pkt.Packet
	// ChecksumPartial is set when the kernel reported the frame's transport
	// checksum as not computed yet (TP_STATUS_CSUMNOTREADY: a packet this
	// namespace's stack sent with checksum offload holds only the
	// pseudo-header sum), so only its IPv4 header checksum can be checked.
	ChecksumPartial bool
}

// Want is an expectation about a frame at a port.
type Want struct {
	pkt.Match
	Dir Direction // 0: In or Out
}

// Matches reports whether f satisfies w and, if not, why.
func (w Want) Matches(f Frame) (bool, string) {
	switch {
	case w.Dir == 0 && f.Dir == OtherHost:
		return false, "addressed to another host"
	case w.Dir != 0 && f.Dir != w.Dir:
		return false, fmt.Sprintf("direction %s, want %s", f.Dir, w.Dir)
	}
	return w.Match.Match(f.Packet)
}

func (w Want) String() string {
	if w.Dir == 0 {
		return w.Match.String()
	}
	return w.Dir.String() + " " + w.Match.String()
}

// recentFrames is how many of the latest frames an ExpectError shows.
const recentFrames = 8

// Port is an observation port on one interface.
type Port struct {
	Point   string           // observation point, e.g. "client", "mux", "vm0"
	Iface   string           // interface name inside its namespace
	MAC     net.HardwareAddr // the interface's MAC
	ifindex int
	file    *os.File
	rc      syscall.RawConn
	done    chan struct{}

	mu      sync.Mutex
	frames  []Frame
	mark    int           // Expect and ExpectNone look at frames[mark:]
	changed chan struct{} // closed when a frame is added
	readErr error
	// busy is set while readLoop holds a frame it has dequeued and not
	// yet added (Sync).
	busy atomic.Bool
}

// Open starts observing iface. Call it inside the interface's namespace; the
// returned port may be used from any goroutine. Close it when done.
func Open(point, iface string) (*Port, error) {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w (is the port opened inside the interface's namespace?)", point, err)
	}
	// Protocol 0 receives nothing until bind, so no frame of another
	// interface slips in between socket and bind.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("capture %s: AF_PACKET socket: %w (needs CAP_NET_RAW: run as root)", point, err)
	}
	all := htons(unix.ETH_P_ALL)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: all, Ifindex: ifc.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture %s: binding to %s: %w", point, iface, err)
	}
	// A larger buffer so bursts are not lost while a case is busy; failure
	// only means the default size.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
	// The packet's checksum state, so that Expect checks checksums only
	// where they are complete.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("capture %s: PACKET_AUXDATA: %w", point, err)
	}
	file := os.NewFile(uintptr(fd), "packet:"+iface)
	rc, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("capture %s: %w", point, err)
	}
	p := &Port{
		Point: point, Iface: iface, MAC: ifc.HardwareAddr, ifindex: ifc.Index,
		file: file, rc: rc, done: make(chan struct{}), changed: make(chan struct{}),
	}
	go p.readLoop()
	return p, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (p *Port) readLoop() {
	defer close(p.done)
	buf := make([]byte, 1<<16)
	oob := make([]byte, unix.CmsgSpace(sizeofAuxdata))
	for {
		var (
			n, oobn int
			from    unix.Sockaddr
			rerr    error
		)
		err := p.rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
			if rerr == nil {
				p.busy.Store(true)
			}
			return !errors.Is(rerr, unix.EAGAIN)
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				p.mu.Lock()
				p.readErr = err
				p.mu.Unlock()
			}
			return
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Ifindex == p.ifindex {
			p.add(Frame{Time: time.Now(), Dir: direction(ll.Pkttype), Packet: pkt.Decode(append([]byte(nil), buf[:n]...)),
				ChecksumPartial: checksumPartial(oob[:oobn])})
		}
		p.busy.Store(false)
	}
}

// syncPoll is how often Sync looks at the socket's queue.
const syncPoll = 100 * time.Microsecond

// Sync waits until every frame the kernel had queued on the port when Sync
// was called is recorded: its receive queue is empty and the read loop
// holds no frame, seen twice a poll apart (the loop marks itself busy just
// after it dequeues). It gives up at timeout or when ctx ends; a port
// whose reading failed is in sync (await reports the error).
func (p *Port) Sync(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	idle := 0
	for idle < 2 {
		var queued int
		var ierr error
		if err := p.rc.Control(func(fd uintptr) { queued, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); err != nil || ierr != nil {
			return nil
		}
		if queued == 0 && !p.busy.Load() {
			idle++
		} else {
			idle = 0
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("capture %s: frames still queued after %v", p.Point, timeout)
		}
		time.Sleep(syncPoll)
	}
	return nil
}

// sizeofAuxdata is the size of the kernel's struct tpacket_auxdata.
const sizeofAuxdata = int(unsafe.Sizeof(unix.TpacketAuxdata{}))

// checksumPartial reports whether the PACKET_AUXDATA control message in
// oob says the transport checksum is not computed yet.
func checksumPartial(oob []byte) bool {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_PACKET && m.Header.Type == unix.PACKET_AUXDATA && len(m.Data) >= sizeofAuxdata {
			aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
			return aux.Status&unix.TP_STATUS_CSUMNOTREADY != 0
		}
	}
	return false
}

func direction(pkttype uint8) Direction {
	switch pkttype {
	case unix.PACKET_OUTGOING:
		return Out
	case unix.PACKET_OTHERHOST:
		return OtherHost
	default:
		return In
	}
}

func (p *Port) add(f Frame) {
	p.mu.Lock()
	p.frames = append(p.frames, f)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Close stops the port. Recorded frames stay readable.
func (p *Port) Close() error {
	err := p.file.Close()
	<-p.done
	return err
}

// Send injects a frame on the interface. The port records it as Out (the
// kernel does not loop a socket's own frames back to it).
func (p *Port) Send(frame []byte) error {
	if _, err := p.file.Write(frame); err != nil {
		return fmt.Errorf("capture %s: sending on %s: %w", p.Point, p.Iface, err)
	}
	p.add(Frame{Time: time.Now(), Dir: Out, Packet: pkt.Decode(append([]byte(nil), frame...))})
	return nil
}

// Reset forgets every recorded frame (the start of a case).
func (p *Port) Reset() {
	p.mu.Lock()
	p.frames, p.mark = nil, 0
	p.mu.Unlock()
}

// Drain makes Expect and ExpectNone ignore the frames seen so far. The frames
// stay recorded for the capture file.
func (p *Port) Drain() {
	p.mu.Lock()
	p.mark = len(p.frames)
	p.mu.Unlock()
}

// Frames returns a copy of every frame recorded since Reset.
func (p *Port) Frames() []Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Frame(nil), p.frames...)
}

// snapshot returns frames[from:], the current length, the change channel and
// a read error, atomically.
func (p *Port) snapshot(from int) ([]Frame, int, <-chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if from < p.mark {
		from = p.mark
	}
	if from > len(p.frames) {
		from = len(p.frames)
	}
	return p.frames[from:len(p.frames):len(p.frames)], len(p.frames), p.changed, p.readErr
}

// Expect waits until a frame satisfying w arrives (frames since the last
// Drain count) or timeout passes. The frame's checksums must be right: the
// IPv4 header's, and the TCP or UDP one unless the sending kernel left it
// to offload (Frame.ChecksumPartial). The error is an *ExpectError listing
// the most recent frames, or naming the bad checksum of the frame that
// matched.
func (p *Port) Expect(ctx context.Context, w Want, timeout time.Duration) (Frame, error) {
	f, err := p.await(ctx, w, timeout)
	if err != nil {
		return f, err
	}
	if why := f.Packet.ChecksumError(!f.ChecksumPartial); why != "" {
		return f, p.expectError(w, "the matching packet has a bad checksum: "+why+" (a receiving stack drops it)", &f)
	}
	return f, nil
}

// await waits until a frame satisfying w arrives or timeout passes.
func (p *Port) await(ctx context.Context, w Want, timeout time.Duration) (Frame, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	next := 0
	for {
		frames, n, changed, rerr := p.snapshot(next)
		for _, f := range frames {
			if ok, _ := w.Matches(f); ok {
				return f, nil
			}
		}
		next = n
		if rerr != nil {
			return Frame{}, fmt.Errorf("capture %s: %w", p.Point, rerr)
		}
		select {
		case <-changed:
		case <-deadline.C:
			return Frame{}, p.expectError(w, fmt.Sprintf("no matching packet within %v", timeout), nil)
		case <-ctx.Done():
			return Frame{}, p.expectError(w, ctx.Err().Error(), nil)
		}
	}
}

// ExpectNone waits for window and fails if a frame satisfying w was seen
// since the last Drain, whatever its checksums, returning that frame in the
// *ExpectError. A window of 0 or less waits for nothing new: it looks at
// what arrived until now, once the port is in Sync.
func (p *Port) ExpectNone(ctx context.Context, w Want, window time.Duration) error {
	if window <= 0 {
		if err := p.Sync(ctx, time.Second); err != nil {
			return err
		}
		window = time.Nanosecond
	}
	f, err := p.await(ctx, w, window)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return nil
	}
	return p.expectError(w, "unexpected matching packet", &f)
}

// Explain describes, as an *ExpectError with reason, what the port received
// since the last Drain compared with w (for expectations spanning ports).
func (p *Port) Explain(w Want, reason string) *ExpectError {
	return p.expectError(w, reason, nil)
}

func (p *Port) expectError(w Want, reason string, got *Frame) *ExpectError {
	all, _, _, _ := p.snapshot(0)
	e := &ExpectError{Point: p.Point, Iface: p.Iface, Want: w, Reason: reason, Got: got, Total: len(all)}
	if got == nil {
		var cands []*pkt.Packet
		var frames []Frame
		for _, f := range all {
			if w.Dir == 0 && f.Dir == OtherHost || w.Dir != 0 && f.Dir != w.Dir {
				continue
			}
			cands, frames = append(cands, f.Packet), append(frames, f)
		}
		if i := w.Match.Closest(cands); i >= 0 {
			e.Closest = &frames[i]
		}
	}
	if len(all) > recentFrames {
		all = all[len(all)-recentFrames:]
	}
	e.Recent = append([]Frame(nil), all...)
	return e
}

// ExpectError explains a failed Expect or ExpectNone: what was expected and
// what the port actually received.
type ExpectError struct {
	Point, Iface string
	Want         Want
	Reason       string
	Got          *Frame  // ExpectNone: the frame that should not have arrived
	Closest      *Frame  // Expect: the received frame nearest to Want, if any is close
	Recent       []Frame // the most recent frames since the last Drain
	Total        int     // how many frames since the last Drain
}

func (e *ExpectError) Error() string {
	s := fmt.Sprintf("at %s (%s): %s\n  EXPECTED  %s", e.Point, e.Iface, e.Reason, e.Want)
	if e.Got != nil {
		s += fmt.Sprintf("\n  RECEIVED  %-5s %v", e.Got.Dir, e.Got.Packet)
		return s
	}
	if e.Total == 0 {
		return s + "\n  RECEIVED  nothing"
	}
	if e.Closest != nil {
		_, why := e.Want.Matches(*e.Closest)
		s += fmt.Sprintf("\n  CLOSEST   %-5s %v  (%s)", e.Closest.Dir, e.Closest.Packet, why)
	}
	s += fmt.Sprintf("\n  RECEIVED  (last %d of %d frames)", len(e.Recent), e.Total)
	for _, f := range e.Recent {
		_, why := e.Want.Matches(f)
		s += fmt.Sprintf("\n    %-5s %v  (%s)", f.Dir, f.Packet, why)
	}
	return s
}
