package cases

import (
	"net/netip"
	"os"

	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/conformance/suite"
	"github.com/lbcheck/lbcheck/internal/procnet"
	"github.com/vishvananda/netns"
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

// hostModelDrops returns how many packets the VM's emulated host model
// (strong-host receive and send, guest.DropCounts) has dropped so far.
func hostModelDrops(t *suite.T, vm string) uint64 {
	var total uint64
	err := t.InVM(vm, func() error {
		ns, err := netns.Get()
		if err != nil {
			return err
		}
		defer ns.Close()
		counts, err := guest.DropCounts(int(ns))
		for _, n := range counts {
			total += n
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading %s's host-model counters: %v", vm, err)
	}
	return total
}

// awaitHostModelDrop waits, within the deliver timeout, until the VM's host
// model has dropped more than before: the packet it had to drop has been
// handled, which closes the negative checks about it (AfterBarrier). It
// fails the case when nothing is dropped in time.
func awaitHostModelDrop(t *suite.T, vm string, before uint64, what string) {
	if !t.Eventually(t.Timeouts().Deliver, func() bool { return hostModelDrops(t, vm) > before }) {
		t.Fatalf("%s: %s's host-model rules dropped nothing within %v", what, vm, t.Timeouts().Deliver)
	}
}
