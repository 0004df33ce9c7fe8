package snapshot

import (
	"bytes"
	"fmt"

	"github.com/lbcheck/lbcheck/internal/procnet"
	"github.com/lbcheck/lbcheck/schema"
)

// parseProcNet parses the content of /proc/net/tcp, tcp6, udp or udp6 and
// returns the listening TCP sockets or the bound, unconnected UDP sockets.
func parseProcNet(proto schema.SockProto, content []byte) ([]*schema.Listener, error) {
	want := procnet.StateListen
	if proto == schema.SockUDP {
		want = procnet.StateClose
	}
	socks, err := procnet.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", proto, err)
	}
	var out []*schema.Listener
	for _, s := range socks {
		if s.State != want || s.Remote.Port() != 0 || s.Local.Port() == 0 {
			continue
		}
		out = append(out, &schema.Listener{Proto: proto, Address: s.Local.Addr().String(), Port: int(s.Local.Port())})
	}
	return out, nil
}
