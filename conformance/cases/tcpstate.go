package cases

import (
	"net/netip"
	"os"
	"time"

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

// hostModelDropped is the window of negative checks at the VM about a
// packet its host model must drop, forbidden being what it must not send
// instead: AfterBarrier once the host model dropped more than before (the
// packet has been handled) or forbidden was seen (the checks then fail
// on it); else, after the deliver timeout, 0 (the quiet window).
func hostModelDropped(t *suite.T, vm string, before uint64, forbidden suite.Step) time.Duration {
	at := t.VMs(vm)
	forbidden.Timeout = suite.AfterBarrier
	if t.Eventually(t.Timeouts().Deliver, func() bool {
		_, seen := t.Arrives(at, forbidden)
		return seen || hostModelDrops(t, vm) > before
	}) {
		return suite.AfterBarrier
	}
	return 0
}
