package netio

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr of recvmmsg(2) and sendmmsg(2), which
// golang.org/x/sys/unix does not wrap. Go pads it to the alignment of
// Msghdr as C does (64 bytes on 64-bit platforms).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32 // bytes received or sent
}

// ring is n buffers of one size, each the single iovec of one mmsghdr.
type ring struct {
	bufs [][]byte
	iovs []unix.Iovec
	msgs []mmsghdr
}

func newRing(n, size int) ring {
	r := ring{bufs: make([][]byte, n), iovs: make([]unix.Iovec, n), msgs: make([]mmsghdr, n)}
	for i := range n {
		r.bufs[i] = make([]byte, size)
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(size)
		r.msgs[i].hdr.Iov = &r.iovs[i]
		r.msgs[i].hdr.SetIovlen(1)
	}
	return r
}

// mmsg calls recvmmsg or sendmmsg (trap) on fd for msgs.
func mmsg(trap uintptr, fd int, msgs []mmsghdr, flags int) (int, error) {
	n, _, errno := unix.Syscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), uintptr(flags), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// Batch holds the buffers PacketConn.ReadBatch reads into.
type Batch struct{ ring }

// NewBatch returns a Batch of n buffers of size bytes each (HeaderRoom
// plus the largest packet: 64 KiB for offload super-packets).
func NewBatch(n, size int) *Batch { return &Batch{newRing(n, size)} }

// Buf returns the i-th buffer: the packet Packet(i) returns starts
// HeaderRoom bytes into it.
func (b *Batch) Buf(i int) []byte { return b.bufs[i] }

// recv fills the batch with the packets waiting on fd, without waiting
// (EAGAIN when there is none).
func (b *Batch) recv(fd int) (int, error) {
	return mmsg(unix.SYS_RECVMMSG, fd, b.msgs, unix.MSG_DONTWAIT)
}

// sendQueue is a ring of outgoing packets, each with its own destination
// (msg_name, filled in by the socket-specific type), sent with sendmmsg(2).
type sendQueue struct {
	ring
	n int // queued
	// The progress of one flush.
	next, failed int
	firstErr     error
}

// Full reports whether the queue must be flushed before the next Add.
func (q *sendQueue) Full() bool { return q.n == len(q.msgs) }

// add copies b into the next free buffer and returns its index.
func (q *sendQueue) add(b []byte) (int, error) {
	if q.Full() {
		return 0, errors.New("netio: send batch full (call Flush)")
	}
	if len(b) > len(q.bufs[q.n]) {
		return 0, fmt.Errorf("netio: a %d-byte packet does not fit a %d-byte batch buffer", len(b), len(q.bufs[q.n]))
	}
	copy(q.bufs[q.n], b)
	q.iovs[q.n].SetLen(len(b))
	q.n++
	return q.n - 1, nil
}

// send calls sendmmsg on fd until every queued packet was sent or refused
// (a refused packet is skipped and counted). It returns false when the
// socket's send buffer is full (EAGAIN on a non-blocking socket): call it
// again once the socket is writable.
func (q *sendQueue) send(fd int) bool {
	for q.next < q.n {
		n, err := mmsg(unix.SYS_SENDMMSG, fd, q.msgs[q.next:q.n], 0)
		switch err {
		case nil:
			q.next += n
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default: // the first packet was refused
			if q.firstErr == nil {
				q.firstErr = fmt.Errorf("send: %w", err)
			}
			q.failed++
			q.next++
		}
	}
	return true
}

// flush runs send (through the given call, which may wait) and empties the
// queue. err, from call, means the socket is closed: nothing more was sent.
func (q *sendQueue) flush(call func() error) (sent, failed int, err error) {
	if q.n == 0 {
		return 0, 0, nil
	}
	q.next, q.failed, q.firstErr = 0, 0, nil
	if err := call(); err != nil {
		q.failed += q.n - q.next
		q.firstErr = err
	}
	sent, failed, err = q.n-q.failed, q.failed, q.firstErr
	q.n = 0
	return sent, failed, err
}

// UDPBatch queues datagrams for one UDP socket and sends them with one
// system call (sendmmsg(2)). Only one goroutine may use it.
type UDPBatch struct {
	sendQueue
	conn  syscall.RawConn
	addrs []unix.RawSockaddrInet4
	// Method values made once, so Flush does not allocate.
	writeFn func(fd uintptr) bool
	callFn  func() error
}

// NewUDPBatch returns an empty queue of n datagrams of up to size bytes
// for the IPv4 UDP socket c.
func NewUDPBatch(c *net.UDPConn, n, size int) (*UDPBatch, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	q := &UDPBatch{sendQueue: sendQueue{ring: newRing(n, size)}, conn: rc, addrs: make([]unix.RawSockaddrInet4, n)}
	for i := range q.msgs {
		q.addrs[i].Family = unix.AF_INET
		q.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&q.addrs[i]))
		q.msgs[i].hdr.Namelen = unix.SizeofSockaddrInet4
	}
	q.writeFn = func(fd uintptr) bool { return q.send(int(fd)) }
	q.callFn = func() error { return q.conn.Write(q.writeFn) }
	return q, nil
}

// Add copies the datagram b, addressed to the IPv4 dst, into the queue. It
// fails if the queue is full or b does not fit a buffer.
func (q *UDPBatch) Add(b []byte, dst netip.AddrPort) error {
	if !dst.Addr().Is4() {
		return fmt.Errorf("netio: %v is not an IPv4 destination", dst)
	}
	i, err := q.add(b)
	if err != nil {
		return err
	}
	q.addrs[i].Addr = dst.Addr().As4()
	q.addrs[i].Port = htons(dst.Port())
	return nil
}

// Flush sends the queued datagrams and empties the queue. It returns how
// many were sent, how many the kernel refused and the first refusal's
// error; a full send buffer is waited out in Go's poller, not refused.
func (q *UDPBatch) Flush() (sent, failed int, err error) { return q.flush(q.callFn) }

// PacketBatch queues IPv4 and IPv6 packets for one PacketConn and sends
// them in Ethernet frames with one system call (sendmmsg(2)). Only one
// goroutine may use it.
type PacketBatch struct {
	sendQueue
	addrs  []unix.RawSockaddrLinklayer
	callFn func() error // made once, so Flush does not allocate
}

// NewPacketBatch returns an empty queue of n packets of up to size bytes to
// send on c.
func (c *PacketConn) NewPacketBatch(n, size int) *PacketBatch {
	q := &PacketBatch{sendQueue: sendQueue{ring: newRing(n, size)}, addrs: make([]unix.RawSockaddrLinklayer, n)}
	for i := range q.msgs {
		q.addrs[i] = unix.RawSockaddrLinklayer{Family: unix.AF_PACKET, Ifindex: int32(c.ifindex), Halen: 6}
		q.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&q.addrs[i]))
		q.msgs[i].hdr.Namelen = unix.SizeofSockaddrLinklayer
	}
	q.callFn = func() error {
		q.send(c.wfd) // a blocking socket: send waits for buffer space
		return nil
	}
	return q
}

// Add copies the IP packet b, to be sent to mac, into the queue; the
// frame's ethertype is IPv6 when b's version field says 6, else IPv4. It
// fails if the queue is full or b does not fit a buffer.
func (q *PacketBatch) Add(b []byte, mac [6]byte) error {
	i, err := q.add(b)
	if err != nil {
		return err
	}
	q.addrs[i].Protocol = htons(unix.ETH_P_IP)
	if len(b) > 0 && b[0]>>4 == 6 {
		q.addrs[i].Protocol = htons(unix.ETH_P_IPV6)
	}
	copy(q.addrs[i].Addr[:6], mac[:])
	return nil
}

// Flush sends the queued packets and empties the queue. It returns how
// many were sent, how many the kernel refused and the first refusal's
// error.
func (q *PacketBatch) Flush() (sent, failed int, err error) { return q.flush(q.callFn) }

// UDPReader reads the datagrams waiting on a UDP socket in batches
// (recvmmsg(2)) through the socket's RawConn: waits go through Go's poller
// and end at the socket's read deadline. Only one goroutine may use it.
type UDPReader struct {
	ring
	conn  syscall.RawConn
	names []unix.RawSockaddrInet4
	// The state of one Read, shared with recv, which rawConn.Read calls
	// (a method value made once: Read does not allocate).
	recvFn func(fd uintptr) bool
	n      int
	err    error
}

// NewUDPReader returns a reader of up to n datagrams of up to size bytes
// per Read from the IPv4 UDP socket c.
func NewUDPReader(c *net.UDPConn, n, size int) (*UDPReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &UDPReader{ring: newRing(n, size), conn: rc, names: make([]unix.RawSockaddrInet4, n)}
	r.recvFn = r.recv
	return r, nil
}

// Read waits for datagrams and reads the ones waiting, at least one; it
// returns how many. Datagram returns them. A read deadline that passes
// returns an error whose Timeout method reports true.
func (r *UDPReader) Read() (int, error) {
	r.n, r.err = 0, nil
	if err := r.conn.Read(r.recvFn); err != nil {
		return 0, err
	}
	return r.n, r.err
}

// recv is the body of Read: one non-blocking recvmmsg. It returns false to
// wait until the socket is readable.
func (r *UDPReader) recv(fd uintptr) bool {
	for i := range r.msgs {
		// The kernel shortens msg_namelen to the address it wrote.
		r.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		r.msgs[i].hdr.Namelen = unix.SizeofSockaddrInet4
	}
	for {
		r.n, r.err = mmsg(unix.SYS_RECVMMSG, int(fd), r.msgs, unix.MSG_DONTWAIT)
		if r.err != unix.EINTR {
			return r.err != unix.EAGAIN
		}
	}
}

// Datagram returns the i-th datagram of the last Read and its sender.
func (r *UDPReader) Datagram(i int) ([]byte, netip.AddrPort) {
	from := netip.AddrPortFrom(netip.AddrFrom4(r.names[i].Addr), htons(r.names[i].Port))
	return r.bufs[i][:r.msgs[i].n], from
}
