// Package netlab creates throwaway named network namespaces for one
// conformance run and removes them again: on success, on failure, on Ctrl-C,
// and (through GC) after a run that was killed.
//
// Every namespace of a run shares the run prefix "lbc<owner pid in hex>-<rand>"
// (e.g. "lbc1f3a-k2x9-mux"), mounted under NetnsDir. The owner holds a lock
// file named after the prefix (see GC), which lets a later run tell leftovers
// of a dead run apart from namespaces of runs that are still alive, in any
// PID namespace; GC removes only the former.
//
// Namespaces are configured through netlink handles whose sockets are
// opened inside them when they are made, so configuration never moves the
// caller's thread.
// Code that must run inside a namespace (opening sockets, writing /proc/sys,
// starting processes) uses NS.Do.
package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
)

// NamePrefix starts the name of every namespace and run directory lbcheck
// creates.
const NamePrefix = "lbc"

// ErrClosed is returned when a closed Lab or one of its namespaces is used.
var ErrClosed = errors.New("netlab: lab already closed")

// Options configure a Lab.
type Options struct {
	// Dir is the run directory (config files, logs). Empty: a new directory
	// named after the run prefix under os.TempDir, removed by Close. A Dir
	// given here is created if needed and never removed.
	Dir string
}

// Lab owns the namespaces of one run. It is safe for concurrent use; Close is
// idempotent and may be called from a signal handler while other goroutines
// still use the lab (they then get errors).
type Lab struct {
	owner  *owner
	prefix string
	dir    string
	ownDir bool

	mu     sync.RWMutex
	closed bool
	ns     []*NS
	killed []Proc
	err    error // result of the first Close
}

// New collects leftovers of dead runs (see GC) and starts a new run with a
// fresh prefix, which it owns until Close.
func New(opts Options) (*Lab, error) {
	if _, err := GC(); err != nil {
		return nil, err
	}
	if err := mountNetnsDir(); err != nil {
		return nil, err
	}
	o, err := claim()
	if err != nil {
		return nil, err
	}
	l := &Lab{owner: o, prefix: o.prefix, dir: opts.Dir}
	if l.dir == "" {
		l.dir = filepath.Join(os.TempDir(), o.prefix)
		l.ownDir = true
	}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return nil, errors.Join(fmt.Errorf("netlab: run directory: %w", err), o.release(true))
	}
	return l, nil
}

// Prefix returns the run prefix shared by all namespaces of the lab.
func (l *Lab) Prefix() string { return l.prefix }

// Dir returns the run directory.
func (l *Lab) Dir() string { return l.dir }

// Namespaces returns the lab's namespaces in creation order.
func (l *Lab) Namespaces() []*NS {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]*NS(nil), l.ns...)
}

// NewNS creates the namespace "<prefix>-<role>" with loopback up, IPv6
// disabled for every current and future link, and rp_filter off.
func (l *Lab) NewNS(role string) (*NS, error) {
	if role == "" || strings.ContainsAny(role, "/ \x00") {
		return nil, fmt.Errorf("netlab: invalid namespace role %q", role)
	}
	n, err := l.register(role)
	if err != nil {
		return nil, err
	}
	if err := n.init(); err != nil {
		return nil, fmt.Errorf("netlab: initialising %s: %w", n.Name, err)
	}
	return n, nil
}

// register creates the namespace and its netlink handle and records it, so
// that Close removes it from then on.
func (l *Lab) register(role string) (*NS, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	name := l.prefix + "-" + role
	// The netlink sockets are opened inside the new namespace: the
	// library's own namespace switch (NewHandleAt) finds the calling
	// thread's namespace by PID, which is wrong in a child PID namespace.
	var nl *netlink.Handle
	h, err := newNamed(filepath.Join(NetnsDir, name), func() (err error) {
		nl, err = netlink.NewHandle()
		return err
	})
	if err != nil {
		if nl != nil {
			nl.Close()
		}
		return nil, fmt.Errorf("netlab: creating namespace %s: %w", name, err)
	}
	n := &NS{Name: name, Role: role, lab: l, h: h, nl: nl}
	l.ns = append(l.ns, n)
	return n, nil
}

// Close kills every process left inside the lab's namespaces (Killed
// lists them), deletes the namespaces, removes the run directory (when the
// lab created it) and gives up the run prefix. It is idempotent and returns
// the first call's result: an error only when something could not be
// removed, which the next GC then collects.
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.err
	}
	l.closed = true
	var errs []error
	for i := len(l.ns) - 1; i >= 0; i-- {
		killed, err := l.ns[i].remove()
		l.killed = append(l.killed, killed...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if l.ownDir {
		if err := os.RemoveAll(l.dir); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, l.owner.release(len(errs) == 0))
	l.err = errors.Join(errs...)
	return l.err
}

// Killed returns the processes Close found still running inside the lab's
// namespaces and killed with SIGKILL: whoever started them did not stop them
// before the teardown. It is empty before Close.
func (l *Lab) Killed() []Proc {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]Proc(nil), l.killed...)
}

func (l *Lab) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.closed
}
