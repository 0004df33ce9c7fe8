package agent_test

// Test topology per /work/notes/topology.md, built with conformance/netlab:
// fabric (bridge br0), client c0, mux, hosts hN with a veth vm0 to VM vmN.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const (
	clientAddr = "198.51.100.100"
	muxAddr    = "198.51.100.2"
	encapPort  = 4789
	ctrlPort   = 4790
)

func hostAddr(i int) string { return fmt.Sprintf("198.51.100.%d", 11+i) }
func gateway(i int) string  { return fmt.Sprintf("10.1.%d.1", i) }
func mac(kind, i int) net.HardwareAddr {
	return net.HardwareAddr{0x02, 0, 0, 0, byte(kind), byte(i)}
}

// The IPv6 addressing of a deployment with IPv6 addresses: the fabric's
// subnet is fixture.IPv6's clients' network (client Host(100), mux
// Host(2), host i Host(11+i)), and each host's end of the VM link has
// Azure's IPv6 gateway address, which the VM routes through.
const gateway6 = "fe80::1234:5678:9abc"

// ipv6Sysctls enable IPv6 in a namespace, for the links created after
// them, without duplicate address detection (addresses are usable at once)
// and without router advertisements or solicitations, so captures stay
// quiet.
var ipv6Sysctls = [][2]string{
	{"net.ipv6.conf.all.disable_ipv6", "0"}, {"net.ipv6.conf.default.disable_ipv6", "0"},
	{"net.ipv6.conf.all.accept_dad", "0"}, {"net.ipv6.conf.default.accept_dad", "0"},
	{"net.ipv6.conf.all.accept_ra", "0"}, {"net.ipv6.conf.default.accept_ra", "0"},
	{"net.ipv6.conf.all.router_solicitations", "0"}, {"net.ipv6.conf.default.router_solicitations", "0"},
}

type topo struct {
	lab                 *netlab.Lab
	fabric, client, mux *netlab.NS
	hosts, vms          []*netlab.NS
	cfg                 *contract.Config
	cfgPath             string
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// host returns a as a single-address prefix (/32 or /128).
func host(a string) netip.Prefix {
	ip := netip.MustParseAddr(a)
	return netip.PrefixFrom(ip, ip.BitLen())
}

// subnet returns a on its VM subnet: /24 for IPv4, /64 for IPv6.
func subnet(a string) netip.Prefix {
	ip := netip.MustParseAddr(a)
	if ip.Is4() {
		return netip.PrefixFrom(ip, 24)
	}
	return netip.PrefixFrom(ip, 64)
}

// usesIPv6 reports whether a frontend or an IP configuration of d has an
// IPv6 address.
func usesIPv6(d *schema.Deployment) bool {
	for _, lb := range d.LoadBalancers {
		for _, fe := range lb.FrontendIPConfigurations {
			if strings.Contains(fe.IPAddress, ":") {
				return true
			}
		}
	}
	for _, vm := range d.VMs {
		if slices.ContainsFunc(dips(vm), func(a string) bool { return strings.Contains(a, ":") }) {
			return true
		}
	}
	return false
}

// dips returns the addresses of vm's IP configurations.
func dips(vm *schema.VM) []string {
	var out []string
	for _, nic := range vm.NetworkInterfaces {
		for _, c := range nic.IPConfigurations {
			out = append(out, c.PrivateIPAddress)
		}
	}
	return out
}

// buildTopo builds the namespaces for d, whose VMs vm0..vm<n-1> each get a
// host, and writes the target config. Frontend IPs of floating rules are put
// on every VM's lo. When d has IPv6 addresses, the namespaces but the
// fabric's speak IPv6 too (ipv6Sysctls): the fabric's subnet gets IPv6
// addresses, the VMs their IPv6 DIPs and a default route through
// gateway6, and the mux's kernel drops packets to IPv6 frontends silently,
// as ip_forward=0 does IPv4 ones (routeFrontend).
func buildTopo(t testing.TB, d *schema.Deployment) *topo {
	t.Helper()
	lab := labtest.NewLab(t)
	tp := &topo{lab: lab}
	v6 := usesIPv6(d)
	newNS := func(role string) *netlab.NS {
		ns, err := lab.NewNS(role)
		must(t, err)
		if v6 {
			must(t, ns.Sysctls(ipv6Sysctls))
		}
		return ns
	}
	var err error
	tp.fabric, err = lab.NewNS("fabric")
	must(t, err)
	must(t, tp.fabric.AddBridge("br0"))
	must(t, tp.fabric.Up("br0"))
	attach := func(role string, i int, addr string) *netlab.NS {
		ns := newNS(role)
		must(t, ns.AddVeth("eth0", mac(0, i), tp.fabric, role, nil))
		must(t, tp.fabric.SetMaster(role, "br0"))
		must(t, tp.fabric.Up(role))
		must(t, ns.Up("eth0"))
		must(t, ns.AddAddr("eth0", pfx(addr+"/24")))
		if v6 {
			must(t, ns.AddAddr("eth0", subnet(fixture.IPv6.Host(i))))
		}
		must(t, ns.WaitUp(5*time.Second, "eth0"))
		must(t, tp.fabric.WaitUp(5*time.Second, role))
		return ns
	}
	tp.client = attach("c0", 100, clientAddr)
	tp.mux = attach("mux", 2, muxAddr)
	tp.cfg = &contract.Config{Deployment: d, EncapPort: encapPort, ControlPort: ctrlPort, Clients: []string{clientAddr},
		Mux: contract.Mux{Address: muxAddr, MAC: mac(0, 2).String(), Iface: "eth0"}}
	floating, routed := map[string]bool{}, map[string]bool{}
	for _, lb := range d.LoadBalancers {
		for _, r := range lb.LoadBalancingRules {
			fe := lb.Frontend(r.FrontendIPConfiguration)
			if fe == nil {
				continue
			}
			if !routed[fe.IPAddress] {
				routed[fe.IPAddress] = true
				tp.routeFrontend(t, fe.IPAddress)
			}
			if r.EnableFloatingIP {
				floating[fe.IPAddress] = true
			}
		}
	}
	for i := range d.VMs {
		h := attach(fmt.Sprintf("h%d", i), 11+i, hostAddr(i))
		vm := newNS(fmt.Sprintf("vm%d", i))
		must(t, h.AddVeth("vm0", mac(2, i), vm, "eth0", mac(1, i)))
		must(t, h.Up("vm0"))
		must(t, vm.Up("eth0"))
		must(t, h.WaitUp(5*time.Second, "vm0"))
		must(t, vm.WaitUp(5*time.Second, "eth0"))
		must(t, h.AddAddr("vm0", pfx(gateway(i)+"/32")))
		must(t, h.AddAddr("vm0", pfx(contract.ProbeSource+"/32")))
		for _, dip := range dips(d.VMs[i]) {
			must(t, h.AddRoute(netlab.Route{Dst: host(dip), Dev: "vm0"}))
			must(t, vm.AddAddr("eth0", subnet(dip)))
		}
		must(t, vm.AddRoute(netlab.Route{Dst: pfx("0.0.0.0/0"), Via: netip.MustParseAddr(gateway(i)), Dev: "eth0", OnLink: true}))
		if v6 {
			must(t, h.AddAddr("vm0", pfx(gateway6+"/64")))
			must(t, vm.AddRoute(netlab.Route{Dst: pfx("::/0"), Via: netip.MustParseAddr(gateway6), Dev: "eth0"}))
		}
		for fip := range floating {
			must(t, vm.AddAddr("lo", host(fip)))
		}
		tp.hosts = append(tp.hosts, h)
		tp.vms = append(tp.vms, vm)
		tp.cfg.Hosts = append(tp.cfg.Hosts, contract.Host{Index: i, Address: hostAddr(i), MAC: mac(0, 11+i).String(),
			Iface: "eth0", VMIface: "vm0", VMIfaceMAC: mac(2, i).String(), Gateway: gateway(i),
			VM: contract.VM{Name: d.VMs[i].Name, MAC: mac(1, i).String(), Iface: "eth0", DIPs: dips(d.VMs[i])}})
	}
	b, err := json.MarshalIndent(tp.cfg, "", "  ")
	must(t, err)
	tp.cfgPath = filepath.Join(lab.Dir(), "target.json")
	must(t, os.WriteFile(tp.cfgPath, b, 0o644))
	return tp
}

// routeFrontend routes the frontend address fip from the client to the
// mux. The mux's kernel drops an IPv6 frontend's packets through a
// blackhole route: with IPv6 forwarding off but no route, it would answer
// each with ICMPv6 destination unreachable (no route), which fails the
// client's connection attempt (measured: connect gives "network is
// unreachable"); ip_forward=0 drops IPv4 ones silently.
func (tp *topo) routeFrontend(t testing.TB, fip string) {
	t.Helper()
	via := muxAddr
	if strings.Contains(fip, ":") {
		via = fixture.IPv6.Host(2)
		must(t, tp.mux.Netlink().RouteAdd(&netlink.Route{Dst: prefixNet(host(fip)), Type: unix.RTN_BLACKHOLE}))
	}
	must(t, tp.client.AddRoute(netlab.Route{Dst: host(fip), Via: netip.MustParseAddr(via), Dev: "eth0"}))
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// binaryEnv names an lbcheck binary to run the roles with ("lbcheck
// forward") instead of this test binary, e.g.
//
//	go build -o /tmp/lbcheck ./cmd/lbcheck && LBCHECK_TEST_BINARY=/tmp/lbcheck go test ./refimpl/agent
const binaryEnv = "LBCHECK_TEST_BINARY"

// role is a forwarder process (this test binary re-executed, see TestMain,
// or $LBCHECK_TEST_BINARY forward) running one role inside a namespace.
type role struct {
	name     string
	cmd      *exec.Cmd
	stderr   *labtest.Buffer
	counters string
	done     chan error
}

// start runs a role in ns with the contract's environment and waits for
// "ready". It is stopped (SIGTERM) at the end of the test.
func (tp *topo) start(t testing.TB, ns *netlab.NS, env ...string) *role {
	t.Helper()
	r := &role{name: ns.Role, stderr: &labtest.Buffer{}, done: make(chan error, 1),
		counters: filepath.Join(tp.lab.Dir(), ns.Role+"-counters.json")}
	r.cmd = exec.Command(os.Args[0], "-test.run=^$")
	if bin := os.Getenv(binaryEnv); bin != "" {
		r.cmd = exec.Command(bin, "forward", "--counters", r.counters, "--counters-interval", "100ms")
	}
	r.cmd.Env = append(os.Environ(), append([]string{childEnv + "=1", contract.EnvConfig + "=" + tp.cfgPath,
		childCounters + "=" + r.counters}, env...)...)
	r.cmd.Stderr = r.stderr
	out, err := r.cmd.StdoutPipe()
	must(t, err)
	must(t, ns.Do(r.cmd.Start)) // the child inherits the namespace of the thread that forks it
	ready := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		line := ""
		if s.Scan() {
			line = s.Text()
		}
		ready <- line
		io.Copy(io.Discard, out)
		r.done <- r.cmd.Wait()
	}()
	t.Cleanup(func() { r.stop(t) })
	select {
	case line := <-ready:
		if line != contract.ReadyLine {
			t.Fatalf("%s printed %q, want %q; stderr:\n%s", r.name, line, contract.ReadyLine, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s not ready after 10 s; stderr:\n%s", r.name, r.stderr)
	}
	return r
}

// stop sends SIGTERM and checks the role exits 0 within 5 s, printing its
// counters. It is idempotent.
func (r *role) stop(t testing.TB) {
	if r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("%s exited with %v; stderr:\n%s", r.name, err, r.stderr)
		}
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		t.Errorf("%s did not stop within 5 s of SIGTERM", r.name)
	}
}

// finalCounters returns the counters the role printed when it stopped.
func (r *role) finalCounters(t testing.TB) map[string]uint64 {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(r.stderr.String()), "\n")
	var m map[string]uint64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("%s: last stderr line is not counters JSON: %v\n%s", r.name, err, r.stderr)
	}
	return m
}

// liveCounters reads the role's counters file.
func (r *role) liveCounters() map[string]uint64 {
	var m map[string]uint64
	b, err := os.ReadFile(r.counters)
	if err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}
