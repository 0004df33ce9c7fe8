// Package procnet reads the kernel's socket tables, /proc/net/tcp, tcp6,
// udp and udp6: the guest snapshot takes listeners from them, the
// conformance cases the state of a VM's connection.
package procnet

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Socket states as /proc/net/{tcp,udp} number them
// (include/net/tcp_states.h). An unconnected (bound) UDP socket reports
// TCP_CLOSE.
const (
	StateEstablished = 0x01
	StateSynRecv     = 0x03
	StateClose       = 0x07
	StateListen      = 0x0A
)

// Socket is one row of /proc/net/tcp, tcp6, udp or udp6.
type Socket struct {
	Local, Remote netip.AddrPort
	// State is the kernel's socket state number (StateSynRecv, ...).
	State int
}

// Parse parses the content of /proc/net/tcp, tcp6, udp or udp6: one
// Socket per row after the header. Addresses are in 32-bit words in host
// byte order (little endian on the machines lbcheck runs on), ports big
// endian; IPv4-mapped IPv6 addresses are unmapped. A row it cannot read is
// an error.
func Parse(r io.Reader) ([]Socket, error) {
	var out []Socket
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
		local, err := parseHexAddrPort(f[1])
		if err != nil {
			return nil, err
		}
		remote, err := parseHexAddrPort(f[2])
		if err != nil {
			return nil, err
		}
		state, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("malformed socket state %q", f[3])
		}
		out = append(out, Socket{Local: local, Remote: remote, State: int(state)})
	}
	return out, sc.Err()
}

// parseHexAddrPort decodes "0100007F:1F90" (IPv4) or the 32-digit IPv6
// form: the address is in 32-bit words in host byte order, the port big
// endian.
func parseHexAddrPort(s string) (netip.AddrPort, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("malformed socket address %q", s)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("malformed port in %q", s)
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("malformed address in %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}
