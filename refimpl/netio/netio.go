// Package netio opens the sockets the forwarder's I/O shells use, with
// golang.org/x/sys/unix and no cgo: AF_PACKET sockets bound to one interface
// (IPv4 frames, link header stripped, outgoing frames ignored) and a raw IPv4
// socket for sending complete packets. Reads time out (SO_RCVTIMEO) so read
// loops can notice shutdown; reads and writes do not allocate.
package netio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrTimeout is returned by Read when nothing arrived within the read timeout.
var ErrTimeout = errors.New("netio: read timeout")

// packetIgnoreOutgoing is PACKET_IGNORE_OUTGOING (Linux 4.20+).
const packetIgnoreOutgoing = 23

// tpStatusCsumNotReady is TP_STATUS_CSUMNOTREADY in tpacket_auxdata.tp_status:
// the sender left the transport checksum to offload (CHECKSUM_PARTIAL, as
// on veth), so the checksum field holds only the pseudo-header sum.
const tpStatusCsumNotReady = 1 << 3

// htons converts a 16-bit value to network byte order for socket(2).
func htons(v uint16) uint16 { return v<<8 | v>>8 }

// PacketConn is an AF_PACKET SOCK_DGRAM socket bound to one interface for
// ETH_P_IP: Read returns IPv4 packets the interface received, WriteTo sends
// an IPv4 packet in an Ethernet frame to a MAC address (the source MAC is the
// interface's). A PacketConn may be read by one goroutine and written by
// another; Close it only after both stopped.
type PacketConn struct {
	fd    int
	iface string
	sa    unix.SockaddrLinklayer
	// recvmsg state, reused so that reads do not allocate.
	iov unix.Iovec
	msg unix.Msghdr
	oob [128]byte
}

// ListenPacket opens a PacketConn on the named interface of the current
// network namespace. Reads time out after readTimeout.
func ListenPacket(iface string, readTimeout time.Duration) (*PacketConn, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("interface %q: %w (start the role inside the namespace that has it, and check --iface / --vm-iface)", iface, err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
	if err != nil {
		return nil, fmt.Errorf("AF_PACKET socket on %s: %w (needs root or CAP_NET_RAW)", iface, err)
	}
	c := &PacketConn{fd: fd, iface: iface, sa: unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index, Halen: 6}}
	if err := c.setup(readTimeout); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("AF_PACKET socket on %s: %w", iface, err)
	}
	return c, nil
}

func (c *PacketConn) setup(readTimeout time.Duration) error {
	if err := unix.Bind(c.fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: c.sa.Ifindex}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_PACKET, packetIgnoreOutgoing, 1); err != nil {
		return fmt.Errorf("PACKET_IGNORE_OUTGOING (needs Linux 4.20 or later): %w", err)
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		return fmt.Errorf("PACKET_AUXDATA: %w", err)
	}
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20); err != nil {
		return fmt.Errorf("SO_RCVBUF: %w", err)
	}
	return setRcvTimeout(c.fd, readTimeout)
}

func setRcvTimeout(fd int, d time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("SO_RCVTIMEO: %w", err)
	}
	return nil
}

// Read reads one IPv4 packet into b. partial reports that its TCP/UDP
// checksum was left to offload and must be completed before the packet
// leaves the host (packet.CompleteChecksum). Read returns ErrTimeout when
// the read timeout passed without a packet.
func (c *PacketConn) Read(b []byte) (n int, partial bool, err error) {
	if len(b) == 0 {
		return 0, false, errors.New("netio: Read into an empty buffer")
	}
	c.iov.Base = &b[0]
	c.iov.SetLen(len(b))
	for {
		c.msg = unix.Msghdr{Iov: &c.iov, Iovlen: 1, Control: &c.oob[0]}
		c.msg.SetControllen(len(c.oob))
		r, _, errno := unix.Syscall(unix.SYS_RECVMSG, uintptr(c.fd), uintptr(unsafe.Pointer(&c.msg)), 0)
		switch errno {
		case 0:
			return int(r), c.csumNotReady(), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, false, ErrTimeout
		}
		return 0, false, fmt.Errorf("reading from %s: %w", c.iface, errno)
	}
}

// csumNotReady looks for PACKET_AUXDATA in the control messages of the last
// read and reports TP_STATUS_CSUMNOTREADY.
func (c *PacketConn) csumNotReady() bool {
	oob := c.oob[:c.msg.Controllen]
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			return false
		}
		if h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && l >= unix.CmsgLen(4) {
			status := binary.NativeEndian.Uint32(oob[unix.CmsgLen(0):])
			return status&tpStatusCsumNotReady != 0
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	return false
}

// WriteTo sends the IPv4 packet b in an Ethernet frame to mac.
func (c *PacketConn) WriteTo(b []byte, mac [6]byte) error {
	copy(c.sa.Addr[:6], mac[:])
	if err := unix.Sendto(c.fd, b, 0, &c.sa); err != nil {
		return fmt.Errorf("writing to %s: %w", c.iface, err)
	}
	return nil
}

// Close closes the socket.
func (c *PacketConn) Close() error { return unix.Close(c.fd) }

// RawConn is a raw IPv4 socket (IPPROTO_RAW, so IP_HDRINCL): it sends
// complete IPv4 packets, whatever their source address, and the kernel
// routes them (and resolves the next hop's MAC).
type RawConn struct {
	fd int
	sa unix.SockaddrInet4
}

// ListenRaw opens a RawConn in the current network namespace.
func ListenRaw() (*RawConn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("raw IPv4 socket: %w (needs root or CAP_NET_RAW)", err)
	}
	return &RawConn{fd: fd}, nil
}

// WriteTo sends the IPv4 packet b (header included) towards dst.
func (c *RawConn) WriteTo(b []byte, dst [4]byte) error {
	c.sa.Addr = dst
	if err := unix.Sendto(c.fd, b, 0, &c.sa); err != nil {
		return fmt.Errorf("raw send to %v: %w", net.IP(dst[:]), err)
	}
	return nil
}

// Close closes the socket.
func (c *RawConn) Close() error { return unix.Close(c.fd) }
