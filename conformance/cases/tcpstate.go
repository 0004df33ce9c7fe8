package cases

import (
	"net/netip"
	"os"

	"github.com/lbcheck/lbcheck/internal/procnet"
)

// tcpSockets lists the TCP sockets of the calling thread's network
// namespace (call it inside InVM).
func tcpSockets() ([]procnet.Socket, error) {
	f, err := os.Open("/proc/thread-self/net/tcp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return procnet.Parse(f)
}

// socketState returns the state of the VM's TCP socket local <-> client
// (procnet.StateSynRecv, ...), or 0 when there is none.
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
