package netlab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// NS is one named network namespace of a Lab.
type NS struct {
	Name string // full name, e.g. "lbc1f3a-k2x9-mux"
	Role string // name without the prefix, e.g. "mux"

	lab *Lab
	h   netns.NsHandle
	nl  *netlink.Handle
}

// Netlink returns a netlink handle bound to the namespace. Do not close it.
func (n *NS) Netlink() *netlink.Handle { return n.nl }

// Fd returns a file descriptor of the namespace (e.g. for
// nftables.WithNetNSFd). It is valid until the lab is closed.
func (n *NS) Fd() int { return int(n.h) }

// Path returns the namespace's bind-mount path under NetnsDir.
func (n *NS) Path() string { return filepath.Join(NetnsDir, n.Name) }

// Do runs f on a locked OS thread switched into the namespace and returns
// f's error. Sockets f opens stay in the namespace after Do returns;
// goroutines f starts do not run in the namespace. If the thread cannot be
// switched back, it stays locked so that the runtime discards it.
func (n *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := threadNS()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: current namespace: %w", err)
			return
		}
		defer orig.Close()
		n.lab.mu.RLock()
		if n.lab.closed {
			n.lab.mu.RUnlock()
			runtime.UnlockOSThread()
			errc <- ErrClosed
			return
		}
		err = netns.Set(n.h)
		n.lab.mu.RUnlock()
		if err != nil {
			// setns failed, so the thread is still where it was.
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: entering %s: %w", n.Name, err)
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			// Deliberately stay locked: the thread dies with this goroutine.
			errc <- errors.Join(ferr, fmt.Errorf("netlab: leaving %s: %w", n.Name, err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// init brings loopback up, disables IPv6 everywhere (links created later
// inherit "default") and turns reverse-path filtering off, so that every
// namespace starts from the same state whatever the machine's defaults.
func (n *NS) init() error {
	if err := n.Sysctls([][2]string{
		{"net.ipv6.conf.default.disable_ipv6", "1"},
		{"net.ipv6.conf.all.disable_ipv6", "1"},
		{"net.ipv4.conf.default.rp_filter", "0"},
		{"net.ipv4.conf.all.rp_filter", "0"},
	}); err != nil {
		return err
	}
	return n.Up("lo")
}

// remove kills the processes inside the namespace and returns them,
// releases the lab's handles and deletes the name. Called with the lab lock
// held.
func (n *NS) remove() ([]Proc, error) {
	var killed []Proc
	if ino, err := nsInode(n.Path()); err == nil {
		killed = killInNS(ino, n.Name)
	}
	var errs []error
	if n.nl != nil {
		n.nl.Close()
	}
	if err := n.h.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := removeName(n.Path()); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("netlab: deleting namespace %s: %w", n.Path(), err))
	}
	return killed, errors.Join(errs...)
}

// SysctlPath maps a dotted network sysctl key (net.ipv4.conf.all.rp_filter)
// to its /proc/sys path. Only net.* keys are accepted: they are per
// namespace, while other keys would change the whole machine.
func SysctlPath(key string) (string, error) {
	if !strings.HasPrefix(key, "net.") {
		return "", fmt.Errorf("sysctl %q: only net.* keys can be set in a namespace", key)
	}
	for _, r := range key {
		ok := r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return "", fmt.Errorf("sysctl %q: invalid character %q", key, r)
		}
	}
	if strings.Contains(key, "..") || strings.HasSuffix(key, ".") {
		return "", fmt.Errorf("sysctl %q: empty path element", key)
	}
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/"), nil
}

// Sysctls writes network sysctls inside the namespace, in order. A key the
// namespace does not have is reported as unknown.
func (n *NS) Sysctls(kv [][2]string) error {
	paths := make([]string, len(kv))
	for i, e := range kv {
		p, err := SysctlPath(e[0])
		if err != nil {
			return err
		}
		paths[i] = p
	}
	return n.Do(func() error {
		for i, e := range kv {
			err := os.WriteFile(paths[i], []byte(e[1]+"\n"), 0)
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("sysctl %s: unknown key (no %s in the namespace)", e[0], paths[i])
			}
			if err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", e[0], e[1], err)
			}
		}
		return nil
	})
}

// Sysctl reads a network sysctl inside the namespace.
func (n *NS) Sysctl(key string) (string, error) {
	p, err := SysctlPath(key)
	if err != nil {
		return "", err
	}
	var v string
	err = n.Do(func() error {
		b, err := os.ReadFile(p)
		v = strings.TrimSpace(string(b))
		return err
	})
	return v, err
}

// AddVeth creates a veth pair with one end (name, mac) in n and the other
// end (peerName, peerMAC) created directly in peer: no end ever appears in
// the caller's namespace.
func (n *NS) AddVeth(name string, mac net.HardwareAddr, peer *NS, peerName string, peerMAC net.HardwareAddr) error {
	v := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: name, HardwareAddr: mac},
		PeerName:         peerName,
		PeerHardwareAddr: peerMAC,
		PeerNamespace:    netlink.NsFd(peer.h),
	}
	if err := n.nl.LinkAdd(v); err != nil {
		return fmt.Errorf("veth %s/%s - %s/%s: %w", n.Role, name, peer.Role, peerName, err)
	}
	return nil
}

// SetMTU sets the MTU of link.
func (n *NS) SetMTU(link string, mtu int) error {
	l, err := n.link(link)
	if err != nil {
		return err
	}
	if err := n.nl.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("MTU %d on %s/%s: %w", mtu, n.Role, link, err)
	}
	return nil
}

// AddBridge creates a Linux bridge (STP off, so ports forward at once).
func (n *NS) AddBridge(name string) error {
	if err := n.nl.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		return fmt.Errorf("bridge %s/%s: %w", n.Role, name, err)
	}
	return nil
}

// SetMaster attaches link to bridge.
func (n *NS) SetMaster(link, bridge string) error {
	l, err := n.link(link)
	if err != nil {
		return err
	}
	b, err := n.link(bridge)
	if err != nil {
		return err
	}
	if err := n.nl.LinkSetMasterByIndex(l, b.Attrs().Index); err != nil {
		return fmt.Errorf("attaching %s/%s to %s: %w", n.Role, link, bridge, err)
	}
	return nil
}

// Up sets links up.
func (n *NS) Up(links ...string) error {
	for _, name := range links {
		l, err := n.link(name)
		if err != nil {
			return err
		}
		if err := n.nl.LinkSetUp(l); err != nil {
			return fmt.Errorf("setting %s/%s up: %w", n.Role, name, err)
		}
	}
	return nil
}

// WaitUp waits until the links are operationally up (carrier on and the
// kernel's link watcher has activated the queueing discipline: before that
// a veth silently drops what it sends). It gives up after timeout.
func (n *NS) WaitUp(timeout time.Duration, links ...string) error {
	deadline := time.Now().Add(timeout)
	for _, name := range links {
		for {
			l, err := n.link(name)
			if err != nil {
				return err
			}
			if l.Attrs().OperState == netlink.OperUp {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("link %s in %s not operationally up after %v (state %s): is its peer up?", name, n.Name, timeout, l.Attrs().OperState)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return nil
}

// AddAddr adds an IPv4 address with its prefix length to link.
func (n *NS) AddAddr(link string, p netip.Prefix) error {
	l, err := n.link(link)
	if err != nil {
		return err
	}
	a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
	if err := n.nl.AddrAdd(l, a); err != nil {
		return fmt.Errorf("address %s on %s/%s: %w", p, n.Role, link, err)
	}
	return nil
}

// Route is a unicast route in a namespace.
type Route struct {
	Dst    netip.Prefix // 0.0.0.0/0 for the default route
	Via    netip.Addr   // gateway; invalid for a directly connected route
	Dev    string
	OnLink bool // the gateway is reachable on Dev whatever Dev's addresses
}

// AddRoute adds r to the main table.
func (n *NS) AddRoute(r Route) error {
	l, err := n.link(r.Dev)
	if err != nil {
		return err
	}
	nr := &netlink.Route{
		LinkIndex: l.Attrs().Index,
		Dst:       &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
	}
	if r.Via.IsValid() {
		nr.Gw = r.Via.AsSlice()
	} else {
		nr.Scope = netlink.SCOPE_LINK
	}
	if r.OnLink {
		nr.Flags = int(netlink.FLAG_ONLINK)
	}
	if err := n.nl.RouteAdd(nr); err != nil {
		return fmt.Errorf("route %s via %v dev %s in %s: %w", r.Dst, r.Via, r.Dev, n.Role, err)
	}
	return nil
}

// AddNeighbor makes mac the permanent link-layer address of a on link, so
// the namespace sends to a without asking (ARP).
func (n *NS) AddNeighbor(link string, a netip.Addr, mac net.HardwareAddr) error {
	l, err := n.link(link)
	if err != nil {
		return err
	}
	nb := &netlink.Neigh{LinkIndex: l.Attrs().Index, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT, IP: a.AsSlice(), HardwareAddr: mac}
	if err := n.nl.NeighSet(nb); err != nil {
		return fmt.Errorf("neighbour %s at %s on %s/%s: %w", a, mac, n.Role, link, err)
	}
	return nil
}

// LinkMAC returns the hardware address of a link.
func (n *NS) LinkMAC(name string) (net.HardwareAddr, error) {
	l, err := n.link(name)
	if err != nil {
		return nil, err
	}
	return l.Attrs().HardwareAddr, nil
}

func (n *NS) link(name string) (netlink.Link, error) {
	if n.lab.isClosed() {
		return nil, ErrClosed
	}
	l, err := n.nl.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("link %s in %s: %w", name, n.Name, err)
	}
	return l, nil
}
