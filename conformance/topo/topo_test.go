package topo

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func vm(name, dip string) *schema.VM {
	return &schema.VM{Name: name, NetworkInterfaces: []*schema.NetworkInterface{{Name: "nic", IPConfigurations: []*schema.IPConfig{{Name: "ipc", PrivateIPAddress: dip, Primary: true}}}}}
}

// deployment: one LB, frontend 203.0.113.10, pool {vm-a, vm-b}; vm-c is in
// no pool. vm-a is a Windows guest set up for Floating IP, vm-b Linux.
func deployment() *schema.Deployment {
	listen := []*schema.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 80}}
	return &schema.Deployment{
		LoadBalancers: []*schema.LoadBalancer{{
			Name: "lb", SKU: "Standard", Type: "public",
			FrontendIPConfigurations: []*schema.Frontend{{Name: "fe", IPAddress: "203.0.113.10"}},
			BackendAddressPools:      []*schema.BackendPool{{Name: "pool", Members: []*schema.PoolMember{{VM: "vm-b", IPConfiguration: "ipc"}, {VM: "vm-a", IPConfiguration: "ipc"}}}},
			LoadBalancingRules:       []*schema.Rule{{Name: "web", FrontendIPConfiguration: "fe", BackendAddressPool: "pool", Protocol: "Tcp", FrontendPort: 80, BackendPort: 80, EnableFloatingIP: true}},
		}},
		VMs: []*schema.VM{vm("vm-a", "10.0.0.4"), vm("vm-c", "10.0.0.9"), vm("vm-b", "10.0.1.5")},
		Guests: []*schema.Guest{
			{VM: "vm-a", OS: "windows", Listeners: listen, Interfaces: []*schema.Interface{
				{Name: "Ethernet", Kind: "nic", WeakHostReceive: true},
				{Name: "Loopback", Kind: "loopback", Addresses: []string{"203.0.113.10/32"}, WeakHostSend: true},
			}},
			{VM: "vm-b", OS: "linux", Listeners: listen},
		},
	}
}

func TestPlan(t *testing.T) {
	s, err := Plan(deployment(), Options{Clients: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if c.EncapPort != EncapPort || c.ControlPort != ControlPort || c.Mux.Address != "198.51.100.2" || c.Mux.MAC != "02:00:00:02:00:00" {
		t.Errorf("mux/ports = %+v %d %d", c.Mux, c.EncapPort, c.ControlPort)
	}
	if got := strings.Join(c.Clients, " "); got != "198.51.100.100 198.51.100.101" {
		t.Errorf("clients = %s", got)
	}
	if len(c.Hosts) != 2 {
		t.Fatalf("hosts = %+v; want vm-a and vm-b (vm-c is in no pool)", c.Hosts)
	}
	want := []contract.Host{
		{Index: 0, Address: "198.51.100.11", MAC: "02:00:00:03:00:00", Iface: "eth0", VMIface: "vm0", VMIfaceMAC: "02:00:00:04:00:00", Gateway: "10.0.0.1",
			VM: contract.VM{Name: "vm-a", MAC: "02:00:00:05:00:00", Iface: "eth0", DIPs: []string{"10.0.0.4"}}},
		{Index: 1, Address: "198.51.100.12", MAC: "02:00:00:03:00:01", Iface: "eth0", VMIface: "vm0", VMIfaceMAC: "02:00:00:04:00:01", Gateway: "10.0.1.1",
			VM: contract.VM{Name: "vm-b", MAC: "02:00:00:05:00:01", Iface: "eth0", DIPs: []string{"10.0.1.5"}}},
	}
	if fmt.Sprintf("%+v", c.Hosts) != fmt.Sprintf("%+v", want) {
		t.Errorf("hosts = %+v\nwant    %+v", c.Hosts, want)
	}
	if fmt.Sprint(s.Frontends) != "[203.0.113.10]" {
		t.Errorf("frontends = %v", s.Frontends)
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(d *schema.Deployment)
		opts   Options
		want   string
	}{
		{"frontend in fabric", func(d *schema.Deployment) { d.LoadBalancers[0].FrontendIPConfigurations[0].IPAddress = "198.51.100.7" }, Options{}, "collides with the conformance fabric"},
		{"frontend is probe source", func(d *schema.Deployment) { d.LoadBalancers[0].FrontendIPConfigurations[0].IPAddress = "168.63.129.16" }, Options{}, "health probe source"},
		{"frontend missing", func(d *schema.Deployment) { d.LoadBalancers[0].FrontendIPConfigurations[0].IPAddress = "" }, Options{}, "has no ipAddress"},
		{"frontend v6", func(d *schema.Deployment) { d.LoadBalancers[0].FrontendIPConfigurations[0].IPAddress = "2001:db8::1" }, Options{}, "not an IPv4"},
		{"VM without DIP", func(d *schema.Deployment) { d.VMs[0].NetworkInterfaces[0].IPConfigurations[0].PrivateIPAddress = "" }, Options{}, "vm vm-a is a backend but has no privateIPAddress"},
		{"DIP in fabric", func(d *schema.Deployment) {
			d.VMs[0].NetworkInterfaces[0].IPConfigurations[0].PrivateIPAddress = "198.51.100.20"
		}, Options{}, "vm vm-a DIP 198.51.100.20 collides"},
		{"duplicate DIP", func(d *schema.Deployment) {
			d.VMs[2].NetworkInterfaces[0].IPConfigurations[0].PrivateIPAddress = "10.0.0.4"
		}, Options{}, "used by both vm vm-a and vm vm-b"},
		{"DIP is frontend", func(d *schema.Deployment) {
			d.VMs[0].NetworkInterfaces[0].IPConfigurations[0].PrivateIPAddress = "203.0.113.10"
		}, Options{}, "also a frontend IP"},
		{"no members", func(d *schema.Deployment) { d.LoadBalancers[0].BackendAddressPools[0].Members = nil }, Options{}, "no VM is a member"},
		{"too many clients", func(*schema.Deployment) {}, Options{Clients: 101}, "101 clients"},
		{"bad guest", func(d *schema.Deployment) { d.Guests[0].OS = "plan9" }, Options{}, `os "plan9"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := deployment()
			tc.mutate(d)
			_, err := Plan(d, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestBackendVMs: a VM is a backend when a binding delivers to it, also
// when the view excludes the delivery (the cases check it gets nothing).
func TestBackendVMs(t *testing.T) {
	secondary := func(d *schema.Deployment) {
		nic := d.VMs[2].NetworkInterfaces[0]
		nic.IPConfigurations = append(nic.IPConfigurations, &schema.IPConfig{Name: "ipc2", PrivateIPAddress: "10.0.2.9"})
		pool := d.LoadBalancers[0].BackendAddressPools[0]
		pool.Members = append(pool.Members, &schema.PoolMember{VM: "vm-b", IPConfiguration: "ipc2"})
	}
	for _, tc := range []struct {
		name   string
		mutate func(d *schema.Deployment)
		want   []string
	}{
		{"pool members", func(*schema.Deployment) {}, []string{"vm-a", "vm-b"}},
		{"only a secondary IP configuration behind Floating IP", func(d *schema.Deployment) {
			pool := d.LoadBalancers[0].BackendAddressPools[0]
			pool.Members = pool.Members[1:] // vm-a only
			secondary(d)
		}, []string{"vm-a", "vm-b"}},
		{"a pool no rule uses", func(d *schema.Deployment) {
			lb := d.LoadBalancers[0]
			lb.BackendAddressPools = append(lb.BackendAddressPools, &schema.BackendPool{Name: "spare", Members: []*schema.PoolMember{{VM: "vm-c", IPConfiguration: "ipc"}}})
		}, []string{"vm-a", "vm-b"}},
		{"a classic NAT rule's target", func(d *schema.Deployment) {
			lb := d.LoadBalancers[0]
			lb.InboundNatRules = []*schema.NatRule{{Name: "ssh", FrontendIPConfiguration: "fe", Protocol: "Tcp", FrontendPort: 2222, BackendPort: 22,
				Target: &schema.PoolMember{VM: "vm-c", IPConfiguration: "ipc"}}}
		}, []string{"vm-a", "vm-c", "vm-b"}},
		{"a member naming no IP configuration", func(d *schema.Deployment) {
			d.LoadBalancers[0].BackendAddressPools[0].Members[0].IPConfiguration = "nope"
		}, []string{"vm-a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := deployment()
			tc.mutate(d)
			var got []string
			for _, vm := range backendVMs(view.Resolve(d)) {
				got = append(got, vm.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("backend VMs %q, want %q", got, tc.want)
			}
		})
	}
}

func build(tb testing.TB, d *schema.Deployment, opts Options) *Topology {
	tb.Helper()
	labtest.RequireRoot(tb)
	top, err := Build(d, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return top
}

func TestBuild(t *testing.T) {
	sockets := socketInodes()
	top := build(t, deployment(), Options{Clients: 2})
	closed := false
	defer func() {
		if !closed {
			top.Close()
		}
	}()

	// The config the targets read.
	c, err := contract.Load(top.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Hosts) != 2 || c.HostForVM("vm-b").Address != "198.51.100.12" || c.Deployment.LoadBalancers[0].Name != "lb" {
		t.Errorf("config on disk = %+v", c)
	}

	// Clients route the frontend IP to the mux.
	rs, err := top.Clients[1].NS.Netlink().RouteGet(net.ParseIP("203.0.113.10"))
	if err != nil || len(rs) != 1 || rs[0].Gw.String() != "198.51.100.2" {
		t.Errorf("client route to the frontend = %+v, %v; want via 198.51.100.2", rs, err)
	}

	// MACs as configured.
	for _, h := range top.Hosts {
		for _, x := range []struct {
			ns   *netlab.NS
			link string
			want net.HardwareAddr
		}{{h.NS, h.Iface, h.MAC}, {h.NS, h.VMIface, h.VMIfaceMAC}, {h.VM.NS, h.VM.Iface, h.VM.MAC}} {
			if got, err := x.ns.LinkMAC(x.link); err != nil || got.String() != x.want.String() {
				t.Errorf("%s/%s MAC = %v, %v; want %v", x.ns.Role, x.link, got, err, x.want)
			}
		}
		if v, _ := h.VM.NS.Sysctl("net.ipv6.conf." + h.VM.Iface + ".disable_ipv6"); v != "1" {
			t.Errorf("%s: IPv6 enabled on %s", h.VM.Name, h.VM.Iface)
		}
	}

	// The probe path: host -> DIP from 168.63.129.16 -> responder -> back
	// through the VM's default gateway (the host's vm0).
	for _, h := range top.Hosts {
		id := exchange(t, h.NS, contract.ProbeSource, netip.AddrPortFrom(h.VM.DIPs[0], 80))
		if id.VM != h.VM.Name || id.Remote.Addr().String() != contract.ProbeSource || id.Local.Addr() != h.VM.DIPs[0] {
			t.Errorf("probe to %s answered by %+v", h.VM.Name, id)
		}
	}

	// The fabric: a client reaches a host's provider address.
	var ln net.Listener
	h1 := top.Hosts[1]
	if err := h1.NS.Do(func() (err error) { ln, err = net.Listen("tcp4", h1.Addr.String()+":7777"); return }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	if err := top.Clients[0].NS.Do(func() error {
		c, err := net.DialTimeout("tcp4", h1.Addr.String()+":7777", time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		t.Errorf("client -> host over the fabric: %v", err)
	}
	ln.Close()

	// Leak check: the responders run in this process, so nothing runs in
	// the namespaces, and Close must close their sockets (each would keep
	// its namespace alive).
	prefix, dir := top.Lab.Prefix(), top.Dir()
	var inodes []uint64
	for _, n := range top.Lab.Namespaces() {
		ino, _ := netlab.NSInode(n.Name)
		inodes = append(inodes, ino)
	}
	if err := top.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if left, _ := filepath.Glob(filepath.Join(netlab.NetnsDir, prefix+"*")); len(left) > 0 {
		t.Errorf("namespaces left: %v", left)
	}
	for _, ino := range inodes {
		if p := netlab.ProcsInNS(ino); len(p) > 0 {
			t.Errorf("processes left in net:[%d]: %v", ino, p)
		}
	}
	if left := socketsLeft(sockets); len(left) > 0 {
		t.Errorf("sockets left open: %v", left)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("run dir %s left", dir)
	}
}

// exchange sends one line over TCP from src inside ns and parses the ident.
func exchange(t *testing.T, ns *netlab.NS, src string, dst netip.AddrPort) guest.Ident {
	t.Helper()
	var conn net.Conn
	if err := ns.Do(func() (err error) {
		d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		conn, err = d.Dial("tcp4", dst.String())
		return
	}); err != nil {
		t.Fatalf("%s -> %s: %v", src, dst, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintln(conn, "probe")
	r := bufio.NewReader(conn)
	a, _ := r.ReadString('\n')
	b, _ := r.ReadString('\n')
	_, id, err := guest.ParseReply([]byte(a + b))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestBuildFailureCleansUp(t *testing.T) {
	labtest.RequireRoot(t)
	d := deployment()
	d.Guests[1].Listeners = []*schema.Listener{{Proto: "tcp", Address: "10.9.9.9", Port: 80}} // not configured in the guest
	before, _ := filepath.Glob(filepath.Join(netlab.NetnsDir, fmt.Sprintf("%s%x-*", netlab.NamePrefix, os.Getpid())))
	sockets := socketInodes()
	_, err := Build(d, Options{})
	if err == nil || !strings.Contains(err.Error(), "10.9.9.9:80") {
		t.Fatalf("Build = %v; want the responder's bind error", err)
	}
	after, _ := filepath.Glob(filepath.Join(netlab.NetnsDir, fmt.Sprintf("%s%x-*", netlab.NamePrefix, os.Getpid())))
	if len(after) != len(before) {
		t.Errorf("namespaces left after a failed Build: %v", after)
	}
	// vm-a's responder was serving when vm-b's failed.
	if left := socketsLeft(sockets); len(left) > 0 {
		t.Errorf("sockets left open after a failed Build: %v", left)
	}
}

// socketInodes returns the sockets this process has open, as their
// /proc/self/fd link targets ("socket:[123]").
func socketInodes() map[string]bool {
	fds, _ := os.ReadDir("/proc/self/fd")
	open := map[string]bool{}
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			open[l] = true
		}
	}
	return open
}

// socketsLeft returns the sockets open now but not in before. It waits up
// to a second for them to go: a socket closed while another goroutine is
// still returning from a call on it is released when that call returns.
func socketsLeft(before map[string]bool) []string {
	var left []string
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		left = left[:0]
		for s := range socketInodes() {
			if !before[s] {
				left = append(left, s)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			slices.Sort(left)
			return left
		}
	}
}

// BenchmarkBuild measures building and tearing down the two-VM topology
// (five namespaces plus the fabric, two guests with responders), as
// lbcheck conform builds each deployment's.
func BenchmarkBuild(b *testing.B) {
	d := deployment()
	for b.Loop() {
		top := build(b, d, Options{})
		if err := top.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPreflight(t *testing.T) {
	labtest.RequireRoot(t)
	if err := Preflight(); err != nil {
		t.Fatal(err)
	}
}

func TestPlanOutboundDestinations(t *testing.T) {
	d := deployment()
	var flows []*schema.OutboundFlow
	for _, dst := range []string{
		"198.51.100.20",  // free in the fabric: kept
		"198.51.100.20",  // again: once
		"192.0.2.80",     // beyond the fabric: kept
		"198.51.100.2",   // the mux
		"198.51.100.11",  // the first host
		"198.51.100.100", // the client
		"198.51.100.210", // a steering address
		"203.0.113.10",   // the frontend
		"10.0.1.5",       // private
		"",               // none: the first client
		"2001:db8::1",    // IPv6
	} {
		flows = append(flows, &schema.OutboundFlow{Proto: "tcp", SourceAddress: "10.0.1.4", Destination: dst})
	}
	d.Guests[0].Outbound = flows
	spec, err := Plan(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Addr{netip.MustParseAddr("198.51.100.20"), netip.MustParseAddr("192.0.2.80")}; !slices.Equal(spec.Outbound, want) {
		t.Errorf("Outbound = %v, want %v", spec.Outbound, want)
	}
	if want := []string{"198.51.100.20", "192.0.2.80"}; !slices.Equal(spec.Config.Internet, want) {
		t.Errorf("Config.Internet = %v, want %v", spec.Config.Internet, want)
	}
}

func TestAssumed(t *testing.T) {
	d := deployment()
	d.Guests = d.Guests[:1] // vm-a declared (Windows, listener 0.0.0.0:80), vm-b not
	d.LoadBalancers[0].LoadBalancingRules[0].EnableFloatingIP = true
	got := strings.Join(Assumed(d), "\n")
	want := "vm-b: no guest declaration: a Linux guest with lo 127.0.0.1/8, 203.0.113.10/32\n" +
		"vm-b: no listeners declared: services on 0.0.0.0 tcp:80"
	if got != want {
		t.Errorf("Assumed:\n%s\nwant:\n%s", got, want)
	}
	v := view.Resolve(d)
	g, _ := assume(v, d.VMs[2])
	if g.OS != schema.OSLinux || len(g.Listeners) != 1 || d.Guest("vm-b") != nil {
		t.Errorf("assumed guest %+v; the deployment must stay unchanged", g)
	}
	if g, notes := assume(v, d.VMs[0]); len(notes) > 0 || len(g.Listeners) != 1 || len(g.Interfaces) != 2 {
		t.Errorf("a guest declaring listeners got %+v, %q", g, notes)
	}
}

// TestAssumedSQLListener: a VM without a guest declaration behind a rule
// that looks like an availability group listener (probe port 59999, port
// 1433) gets SQL Server on the listener IP alone, with that IP on lo, so a
// listener rule with Floating IP off is refused as on Azure (lint's
// LB2004); the probe is still served on the wildcard address.
func TestAssumedSQLListener(t *testing.T) {
	d, issues, err := schema.LoadBytes("sql.yaml", []byte(`
loadBalancers:
  - name: ilb
    type: internal
    frontendIPConfigurations: [{name: ag, ipAddress: 10.0.1.10}]
    backendAddressPools: [{name: nodes, members: [{vm: sql-1, ipConfiguration: c}]}]
    probes: [{name: ag-probe, protocol: Tcp, port: 59999}]
    loadBalancingRules:
      - {name: listener, frontendIPConfiguration: ag, backendAddressPool: nodes, probe: ag-probe, protocol: Tcp, frontendPort: 1433, backendPort: 1433}
vms:
  - {name: sql-1, networkInterfaces: [{name: n, ipConfigurations: [{name: c, privateIPAddress: 10.0.1.4, primary: true}]}]}
`))
	if err != nil || len(issues) > 0 {
		t.Fatal(err, issues)
	}
	got := strings.Join(Assumed(d), "\n")
	want := "sql-1: no guest declaration: a Linux guest with lo 127.0.0.1/8, 10.0.1.10/32\n" +
		`sql-1: SQL Server availability group listeners on the listener IP only: tcp 10.0.1.10:1433 (rule "listener")` + "\n" +
		"sql-1: no listeners declared: services on 0.0.0.0 tcp:59999"
	if got != want {
		t.Errorf("Assumed:\n%s\nwant:\n%s", got, want)
	}
	d.LoadBalancers[0].Probes[0].Port = 8080 // not the pattern: the wildcard as for any rule
	if got := strings.Join(Assumed(d), "\n"); strings.Contains(got, "SQL") || strings.Contains(got, "10.0.1.10/32") {
		t.Errorf("a rule that is no listener got SQL assumptions:\n%s", got)
	}
}
