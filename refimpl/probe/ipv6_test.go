package probe_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/refimpl/probe"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
)

// TestCheckIPv6 probes an IPv6 DIP in a VM namespace from the host
// namespace across a veth (host end "vm0"): the probe comes from vm0's
// link-local address, as Azure's IPv6 probes come from a link-local
// address, and the VM answers on the link. (An HTTP probe dials from a
// goroutine of its own, outside the test's namespace: TestCheck covers
// HTTP over IPv6 on the loopback, and the host role, a process in its
// namespace, has no such limit.)
func TestCheckIPv6(t *testing.T) {
	lab := labtest.NewLab(t)
	host, err := lab.NewNS("host")
	must(t, err)
	vm, err := lab.NewNS("vm")
	must(t, err)
	for _, ns := range []*netlab.NS{host, vm} {
		must(t, ns.Sysctls([][2]string{{"net.ipv6.conf.default.disable_ipv6", "0"}, {"net.ipv6.conf.default.accept_dad", "0"},
			{"net.ipv6.conf.default.accept_ra", "0"}, {"net.ipv6.conf.default.router_solicitations", "0"}}))
	}
	must(t, host.AddVeth("vm0", net.HardwareAddr{2, 0, 0, 0, 2, 0}, vm, "eth0", net.HardwareAddr{2, 0, 0, 0, 1, 0}))
	must(t, host.Up("vm0"))
	must(t, vm.Up("eth0"))
	must(t, host.WaitUp(5*time.Second, "vm0"))
	dip := netip.MustParseAddr("2001:db8:1::4")
	must(t, vm.AddAddr("eth0", netip.PrefixFrom(dip, 64)))
	must(t, host.AddRoute(netlab.Route{Dst: netip.PrefixFrom(dip, 128), Dev: "vm0"}))

	var tcp net.Listener
	must(t, vm.Do(func() (err error) { tcp, err = net.Listen("tcp", "[2001:db8:1::4]:8080"); return err }))
	t.Cleanup(func() { tcp.Close() })
	from := make(chan netip.Addr, 1)
	go func() {
		if c, err := tcp.Accept(); err == nil {
			from <- c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr()
			c.Close()
		}
	}()

	var src netip.Addr
	must(t, host.Do(func() error {
		deadline := time.Now().Add(5 * time.Second)
		for src = probe.LinkLocalSource("vm0"); !src.IsValid() && time.Now().Before(deadline); src = probe.LinkLocalSource("vm0") {
			time.Sleep(10 * time.Millisecond) // the kernel adds the address once the link is up
		}
		p := ruleset.Probe{Protocol: "Tcp", DIP: dip, Port: 8080, Interval: 2 * time.Second}
		return probe.Prober{Source6: src}.Check(context.Background(), p)
	}))
	if !src.IsLinkLocalUnicast() || src.Zone() != "vm0" {
		t.Fatalf("LinkLocalSource(vm0) = %v, want a link-local address in zone vm0", src)
	}
	select {
	case got := <-from:
		if got.WithZone("") != src.WithZone("") {
			t.Errorf("the VM saw the probe from %v, want %v", got, src)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the TCP probe never reached the VM")
	}
	if s := probe.LinkLocalSource("no-such-if0"); s.IsValid() {
		t.Errorf("LinkLocalSource of a missing interface = %v", s)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
