package cases

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
const (
	tcpEstablished = 1
	tcpSynRecv     = 3
)

// tcpSocket is one line of /proc/net/tcp.
type tcpSocket struct {
	Local, Remote netip.AddrPort
	State         int
}

// parseProcTCP reads /proc/net/tcp. Addresses are in host byte order
// (little-endian on every architecture Linux runs this suite on).
func parseProcTCP(r io.Reader) ([]tcpSocket, error) {
	var out []tcpSocket
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		local, err1 := parseProcAddr(f[1])
		remote, err2 := parseProcAddr(f[2])
		state, err3 := strconv.ParseInt(f[3], 16, 32)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("/proc/net/tcp line %q: unreadable", sc.Text())
		}
		out = append(out, tcpSocket{local, remote, int(state)})
	}
	return out, sc.Err()
}

func parseProcAddr(s string) (netip.AddrPort, error) {
	ip, port, ok := strings.Cut(s, ":")
	b, err := hex.DecodeString(ip)
	if !ok || err != nil || len(b) != 4 {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], binary.LittleEndian.Uint32(b))
	return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(p)), nil
}

// tcpSockets lists the TCP sockets of the calling thread's network
// namespace (call it inside InVM).
func tcpSockets() ([]tcpSocket, error) {
	f, err := os.Open("/proc/thread-self/net/tcp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseProcTCP(f)
}

// socketState returns the state of the VM's TCP socket local <-> client, or
// 0 when there is none.
func socketState(t interface {
	InVM(string, func() error) error
}, vm string, local, client netip.AddrPort) (state int, err error) {
	err = t.InVM(vm, func() error {
		socks, err := tcpSockets()
		if err != nil {
			return err
		}
		for _, s := range socks {
			if s.Local == local && s.Remote == client {
				state = s.State
			}
		}
		return nil
	})
	return state, err
}
