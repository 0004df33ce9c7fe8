// Package netio opens the sockets the forwarder's I/O shells use, with
// golang.org/x/sys/unix and no cgo: AF_PACKET sockets bound to one interface
// (IPv4 and IPv6 frames, link header stripped, outgoing frames ignored,
// offload state reported) and raw IPv4 and IPv6 sockets for sending
// complete packets. Reads time
// out, so read loops can do periodic work, and Interrupt ends them at once
// for shutdown. Reads, and UDP
// writes, move a batch of packets per system call (recvmmsg, sendmmsg);
// reads and writes do not allocate.
package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/packet"
	"golang.org/x/sys/unix"
)

// ErrTimeout is returned by ReadBatch when nothing arrived within the read timeout.
var ErrTimeout = errors.New("netio: read timeout")

// ErrInterrupted is returned by ReadBatch once Interrupt was called.
var ErrInterrupted = errors.New("netio: read interrupted")

// Socket options and constants not named in x/sys/unix.
const (
	packetIgnoreOutgoing = 23 // PACKET_IGNORE_OUTGOING (Linux 4.20+)
	packetVnetHdr        = 15 // PACKET_VNET_HDR
	vnetHdrLen           = 10 // sizeof(struct virtio_net_hdr)
	ethHdrLen            = 14
	vnetNeedsCsum        = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	vnetGSOTCPv4         = 1 // VIRTIO_NET_HDR_GSO_TCPV4
	vnetGSOTCPv6         = 4 // VIRTIO_NET_HDR_GSO_TCPV6
)

// HeaderRoom is how many bytes ReadBatch keeps in front of the packet it
// returns (virtio-net and Ethernet headers): callers may reuse them, e.g.
// for an encapsulation header.
const HeaderRoom = vnetHdrLen + ethHdrLen

// htons converts a 16-bit value to network byte order for socket(2).
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Meta is the offload work the sender left undone for a packet. Packets
// crossing a veth keep it: the transport checksum may hold only the
// pseudo-header sum, and a TCP "packet" may be a segmentation-offload
// super-packet of up to 64 KiB.
type Meta struct {
	// NeedsChecksum: complete the TCP/UDP checksum (packet.CompleteChecksum).
	NeedsChecksum bool
	// GSOSize > 0: a TCP super-packet, IPv4 or IPv6, to split into
	// segments of this payload size (packet.Segment).
	GSOSize int
	// GSOOther: a segmentation-offload packet of a kind other than TCP
	// (UDP segmentation offload, say).
	GSOOther bool
}

// PacketConn is a pair of AF_PACKET sockets on one interface: ReadBatch
// returns the IPv4 and IPv6 packets the interface received (an ETH_P_ALL
// socket whose filter, in the kernel, takes only those ethertypes; not
// the interface's own outgoing packets; SOCK_RAW, which PACKET_VNET_HDR
// needs); a PacketBatch sends IPv4 and IPv6 packets in Ethernet frames to
// MAC addresses (the source MAC is the interface's). One goroutine may
// read while another writes; Close only after both stopped.
type PacketConn struct {
	rfd, wfd int
	wake     int // an eventfd: readable once Interrupt was called
	timeout  int // ReadBatch's wait for a packet, milliseconds
	iface    string
	ifindex  int
}

// ListenPacket opens a PacketConn on the named interface of the current
// network namespace. ReadBatch waits at most readTimeout for a packet.
func ListenPacket(iface string, readTimeout time.Duration) (*PacketConn, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("interface %q: %w (start the role inside the namespace that has it, and check --iface / --vm-iface)", iface, err)
	}
	c := &PacketConn{rfd: -1, wfd: -1, wake: -1, timeout: max(int(readTimeout.Milliseconds()), 1), iface: iface,
		ifindex: ifi.Index}
	if err := c.open(); err != nil {
		c.Close()
		return nil, fmt.Errorf("AF_PACKET socket on %s: %w", iface, err)
	}
	return c, nil
}

func (c *PacketConn) open() error {
	var err error
	if c.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	// The write socket has protocol 0: it receives nothing.
	if c.wfd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return fmt.Errorf("%w (needs root or CAP_NET_RAW)", err)
	}
	// Protocol 0 until the filter is attached: it receives nothing yet.
	if c.rfd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0); err != nil {
		return fmt.Errorf("%w (needs root or CAP_NET_RAW)", err)
	}
	if err := unix.SetsockoptSockFprog(c.rfd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &ipFilter); err != nil {
		return fmt.Errorf("SO_ATTACH_FILTER: %w", err)
	}
	for _, o := range []struct {
		name       string
		level, opt int
		value      int
	}{
		{"PACKET_IGNORE_OUTGOING (needs Linux 4.20 or later)", unix.SOL_PACKET, packetIgnoreOutgoing, 1},
		{"PACKET_VNET_HDR", unix.SOL_PACKET, packetVnetHdr, 1},
	} {
		if err := unix.SetsockoptInt(c.rfd, o.level, o.opt, o.value); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	for _, fd := range []int{c.rfd, c.wfd} {
		if err := SetBuffers(fd); err != nil {
			return err
		}
	}
	if err := unix.Bind(c.rfd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: c.ifindex}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	return nil
}

// BufferSize is the receive and send buffer size SetBuffers asks for. The
// kernel doubles it for its bookkeeping and charges each small packet
// about 800 bytes, so a receive queue holds about 40 000 small packets:
// a burst of half a second at the forwarder's rate waits instead of being
// dropped. Memory is only used while packets are queued.
const BufferSize = 16 << 20

// SetBuffers sets the receive and send buffers of the socket fd to
// BufferSize. It uses SO_RCVBUFFORCE/SO_SNDBUFFORCE (CAP_NET_ADMIN), which
// ignore net.core.rmem_max/wmem_max, and falls back to SO_RCVBUF/SO_SNDBUF,
// which the kernel caps to those sysctls.
func SetBuffers(fd int) error {
	for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], BufferSize) == nil {
			continue
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[1], BufferSize); err != nil {
			return fmt.Errorf("socket buffer size: %w", err)
		}
	}
	return nil
}

// SetUDPBuffers is SetBuffers for a UDP socket.
func SetUDPBuffers(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = SetBuffers(int(fd)) }); err != nil {
		return err
	}
	return serr
}

// ReadBatch reads the IP packets waiting on the interface into b, at
// least one and at most b's size, with one system call (recvmmsg(2)) when
// packets are waiting, and otherwise waits for them (poll(2)); b.Packet
// returns them. It returns ErrTimeout when the read timeout passed without
// a packet, ErrInterrupted once Interrupt was called.
func (c *PacketConn) ReadBatch(b *Batch) (int, error) {
	fds := []unix.PollFd{{Fd: int32(c.rfd), Events: unix.POLLIN}, {Fd: int32(c.wake), Events: unix.POLLIN}}
	for {
		n, err := b.recv(c.rfd)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
		default:
			return 0, fmt.Errorf("reading from %s: %w", c.iface, err)
		}
		ready, err := unix.Poll(fds, c.timeout)
		switch {
		case err == unix.EINTR:
		case err != nil:
			return 0, fmt.Errorf("waiting for packets on %s: %w", c.iface, err)
		case fds[1].Revents != 0:
			return 0, ErrInterrupted
		case ready == 0:
			return 0, ErrTimeout
		}
	}
}

// Interrupt makes the ReadBatch under way return ErrInterrupted, and every
// later one that finds no packet waiting: for shutdown, without waiting out
// the read timeout. It may be called from any goroutine, more than once,
// before Close.
func (c *PacketConn) Interrupt() {
	one := [8]byte{1}
	_, _ = unix.Write(c.wake, one[:])
}

// Packet returns the i-th packet of the last ReadBatch without its link
// header (a subslice of b.Buf(i), starting at HeaderRoom) with the offload
// work left to do.
func (b *Batch) Packet(i int) ([]byte, Meta, error) {
	buf, n := b.bufs[i], int(b.msgs[i].n)
	if n < HeaderRoom {
		return nil, Meta{}, fmt.Errorf("read %d bytes, shorter than the virtio-net and Ethernet headers", n)
	}
	var m Meta
	m.NeedsChecksum = buf[0]&vnetNeedsCsum != 0
	switch gso := buf[1] &^ 0x80; gso { // 0x80: ECN bit
	case 0:
	case vnetGSOTCPv4, vnetGSOTCPv6:
		m.GSOSize = int(binary.NativeEndian.Uint16(buf[4:6]))
	default:
		m.GSOOther = true
	}
	return buf[HeaderRoom:n], m, nil
}

// Close closes the sockets.
func (c *PacketConn) Close() error {
	var errs []error
	for _, fd := range []int{c.rfd, c.wfd, c.wake} {
		if fd >= 0 {
			errs = append(errs, unix.Close(fd))
		}
	}
	return errors.Join(errs...)
}

// RawConn is a pair of raw sockets, IPv4 and IPv6 (IPPROTO_RAW, so the
// packet carries its own header: IP_HDRINCL, and IPV6_HDRINCL, which Linux
// implies for IPPROTO_RAW): it sends complete packets, whatever their
// source address, and the kernel routes them (and resolves the next hop's
// MAC).
type RawConn struct {
	fd4, fd6 int
	sa4      unix.SockaddrInet4
	sa6      unix.SockaddrInet6
}

// ListenRaw opens a RawConn in the current network namespace.
func ListenRaw() (*RawConn, error) {
	c := &RawConn{fd4: -1, fd6: -1}
	for _, s := range []struct {
		fd     *int
		family int
		name   string
	}{{&c.fd4, unix.AF_INET, "IPv4"}, {&c.fd6, unix.AF_INET6, "IPv6"}} {
		fd, err := unix.Socket(s.family, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("raw %s socket: %w (needs root or CAP_NET_RAW)", s.name, err)
		}
		*s.fd = fd
		if err := SetBuffers(fd); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// WriteTo sends the IP packet b (header included) towards dst, an address
// of its family.
func (c *RawConn) WriteTo(b []byte, dst packet.Addr) error {
	var err error
	if dst.Is4() {
		c.sa4.Addr = dst.As4()
		err = unix.Sendto(c.fd4, b, 0, &c.sa4)
	} else {
		c.sa6.Addr = dst
		err = unix.Sendto(c.fd6, b, 0, &c.sa6)
	}
	if err != nil {
		return fmt.Errorf("raw send to %v: %w", dst, err)
	}
	return nil
}

// Close closes the sockets.
func (c *RawConn) Close() error {
	var errs []error
	for _, fd := range []int{c.fd4, c.fd6} {
		if fd >= 0 {
			errs = append(errs, unix.Close(fd))
		}
	}
	return errors.Join(errs...)
}
