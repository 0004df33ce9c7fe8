package snapshot

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lbcheck/lbcheck/schema"
)

// Socket states in /proc/net/{tcp,udp}: TCP_LISTEN, and TCP_CLOSE which
// an unconnected (bound) UDP socket reports.
const (
	stateListen = "0A"
	stateClose  = "07"
)

// parseProcNet parses the content of /proc/net/tcp, tcp6, udp or udp6 and
// returns the listening TCP sockets or the bound, unconnected UDP sockets.
func parseProcNet(proto string, content []byte) ([]*schema.Listener, error) {
	want := stateListen
	if proto == "udp" {
		want = stateClose
	}
	var out []*schema.Listener
	sc := bufio.NewScanner(bytes.NewReader(content))
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
		local, remote, state := f[1], f[2], f[3]
		if state != want || !strings.HasSuffix(remote, ":0000") {
			continue
		}
		addr, port, err := parseHexAddrPort(local)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", proto, err)
		}
		if port == 0 {
			continue
		}
		out = append(out, &schema.Listener{Proto: proto, Address: addr.String(), Port: port})
	}
	return out, sc.Err()
}

// parseHexAddrPort decodes "0100007F:1F90" (IPv4) or the 32-digit IPv6
// form: the address is in 32-bit words in host byte order (little endian on
// the machines lbcheck runs on), the port big endian.
func parseHexAddrPort(s string) (netip.Addr, int, error) {
	hexAddr, hexPort, ok := strings.Cut(s, ":")
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("malformed socket address %q", s)
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("malformed port in %q", s)
	}
	raw, err := hex.DecodeString(hexAddr)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.Addr{}, 0, fmt.Errorf("malformed address in %q", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return addr.Unmap(), int(port), nil
}
