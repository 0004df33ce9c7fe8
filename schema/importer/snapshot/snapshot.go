// Package snapshot reads the live Linux host it runs on (the network
// namespace of the calling thread) into a guest declaration: interfaces with
// their addresses, the sysctls that decide how a Floating IP guest answers
// (rp_filter, arp_ignore, arp_announce, ip_forward, tcp_timestamps), and
// listening sockets. `lbcheck guest snapshot` prints it as YAML that the
// native loader reads.
package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/lbcheck/lbcheck/schema"
)

// proc is the procfs mount.
const proc = "/proc"

// conf sysctls are read for all, default and every interface.
var confSysctls = []string{"rp_filter", "arp_ignore", "arp_announce"}

// globalSysctls are read once.
var globalSysctls = []string{"net.ipv4.ip_forward", "net.ipv4.tcp_timestamps"}

// Read builds the guest for vm from the calling thread's network namespace.
func Read(vm string) (*schema.Guest, error) {
	g := &schema.Guest{VM: vm, OS: schema.OSLinux, Sysctls: map[string]string{}}
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces (netlink): %w", err)
	}
	confNames := []string{"all", "default"}
	for _, l := range links {
		a := l.Attrs()
		iface := &schema.Interface{Name: a.Name, Kind: kind(l)}
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return nil, fmt.Errorf("listing addresses of %s (netlink): %w", a.Name, err)
		}
		for _, ad := range addrs {
			if ad.IP.To4() == nil && ad.IP.IsLinkLocalUnicast() {
				continue // fe80:: exists on every link and never carries a frontend
			}
			iface.Addresses = append(iface.Addresses, ad.IPNet.String())
		}
		g.Interfaces = append(g.Interfaces, iface)
		confNames = append(confNames, a.Name)
	}
	for _, name := range confNames {
		for _, key := range confSysctls {
			// In sysctl names a dot inside an interface name becomes '/'.
			sysctl := "net.ipv4.conf." + strings.ReplaceAll(name, ".", "/") + "." + key
			if err := readSysctl(g, sysctl, proc+"/sys/net/ipv4/conf/"+name+"/"+key); err != nil {
				return nil, err
			}
		}
	}
	for _, key := range globalSysctls {
		if err := readSysctl(g, key, proc+"/sys/"+strings.ReplaceAll(key, ".", "/")); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		file  string
		proto schema.SockProto
	}{{"tcp", schema.SockTCP}, {"tcp6", schema.SockTCP}, {"udp", schema.SockUDP}, {"udp6", schema.SockUDP}} {
		content, err := os.ReadFile(netFile(f.file))
		if errors.Is(err, fs.ErrNotExist) {
			continue // IPv6 disabled
		}
		if err != nil {
			return nil, err
		}
		ls, err := parseProcNet(f.proto, content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", netFile(f.file), err)
		}
		for _, l := range ls {
			if !slices.ContainsFunc(g.Listeners, func(o *schema.Listener) bool { return sameSocket(o, l) }) {
				g.Listeners = append(g.Listeners, l)
			}
		}
	}
	return g, nil
}

// kind maps a link to the model's interface kinds: the loopback device and
// dummy devices (which hold service addresses the way loopback does) are
// loopback; everything else is a NIC.
func kind(l netlink.Link) schema.InterfaceKind {
	if l.Attrs().Flags&net.FlagLoopback != 0 || l.Type() == "dummy" {
		return schema.KindLoopback
	}
	return schema.KindNIC
}

// netFile is /proc/thread-self/net/NAME: the calling thread's namespace,
// which differs from the process's when a test or tool switched it.
func netFile(name string) string {
	if _, err := os.Stat(proc + "/thread-self"); err == nil {
		return proc + "/thread-self/net/" + name
	}
	return proc + "/self/net/" + name
}

// readSysctl records the sysctl key read from path; a missing file (an
// interface that vanished, IPv4 disabled) is skipped.
func readSysctl(g *schema.Guest, key, path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading sysctl %s: %w", key, err)
	}
	g.Sysctls[key] = strings.TrimSpace(string(b))
	return nil
}

// sameSocket reports whether two listeners name the same protocol, address
// and port (SO_REUSEPORT groups show one line per socket).
func sameSocket(a, b *schema.Listener) bool {
	return a.Proto == b.Proto && a.Address == b.Address && a.Port == b.Port
}
