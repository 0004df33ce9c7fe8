package snapshot

import (
	"bytes"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/schema"
)

// inFreshNamespace runs fn on a thread moved into a new, unnamed network
// namespace. The namespace (and everything created in it) disappears when
// the thread exits: the goroutine never unlocks it, so the runtime ends the
// thread instead of reusing it.
func inFreshNamespace(t *testing.T, fn func()) {
	t.Helper()
	prereq.Root(t, "creating a network namespace")
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			t.Error(err)
			return
		}
		defer orig.Close()
		ns, err := netns.New()
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		defer netns.Set(orig) //nolint:errcheck // the thread ends right after
		fn()
	}()
	<-done
}

func TestReadNamespace(t *testing.T) {
	inFreshNamespace(t, func() {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Error(err)
			return
		}
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "lbcsnap0"}, PeerName: "lbcsnap1"}
		steps := []func() error{
			func() error { return netlink.LinkSetUp(lo) },
			func() error { return addAddr(lo, "192.0.2.10/32") },
			func() error { return netlink.LinkAdd(veth) },
			func() error { return addAddr(veth, "10.0.1.4/24") },
			func() error { return netlink.LinkSetUp(veth) },
			func() error { return os.WriteFile("/proc/sys/net/ipv4/conf/lbcsnap0/arp_ignore", []byte("1"), 0o644) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				t.Error(err)
				return
			}
		}
		tcp, err := net.Listen("tcp", "192.0.2.10:8080")
		if err != nil {
			t.Error(err)
			return
		}
		defer tcp.Close()
		udp, err := net.ListenPacket("udp", "10.0.1.4:5353")
		if err != nil {
			t.Error(err)
			return
		}
		defer udp.Close()

		g, err := Read("vm-snap")
		if err != nil {
			t.Error(err)
			return
		}
		checkGuest(t, g)

		var out bytes.Buffer
		if err := WriteYAML(&out, g, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)); err != nil {
			t.Error(err)
			return
		}
		// The guest's VM is declared elsewhere in a real deployment; add it
		// as a second document so that the loader has nothing to report.
		out.WriteString(vmDoc)
		d, issues, err := schema.LoadBytes("snapshot.yaml", out.Bytes())
		if err != nil || len(issues) != 0 {
			t.Errorf("loader rejects the snapshot: %v %v\n%s", err, issues, out.String())
			return
		}
		if lg := d.Guest("vm-snap"); lg == nil || lg.OS != "linux" || len(lg.Listeners) != 2 {
			t.Errorf("loaded guest = %+v\n%s", lg, out.String())
		} else {
			checkGuest(t, lg)
		}
	})
}

const vmDoc = `---
vms:
  - name: vm-snap
    networkInterfaces:
      - name: vm-snap-nic
        ipConfigurations:
          - name: ipconfig1
            privateIPAddress: 10.0.1.4
            primary: true
`

// checkGuest asserts what the namespace was given, and nothing of the root
// namespace (whose interfaces and listeners differ).
func checkGuest(t *testing.T, g *schema.Guest) {
	t.Helper()
	lo, nic := g.Interface("lo"), g.Interface("lbcsnap0")
	if lo == nil || nic == nil || g.Interface("lbcsnap1") == nil || len(g.Interfaces) != 3 {
		t.Errorf("interfaces = %v, want lo, lbcsnap0, lbcsnap1", g.Interfaces)
		return
	}
	if lo.Kind != "loopback" || !slices.Contains(lo.Addresses, "127.0.0.1/8") || !slices.Contains(lo.Addresses, "192.0.2.10/32") {
		t.Errorf("lo = %s %v", lo.Kind, lo.Addresses)
	}
	if nic.Kind != "nic" || !slices.Equal(nic.Addresses, []string{"10.0.1.4/24"}) {
		t.Errorf("lbcsnap0 = %s %v", nic.Kind, nic.Addresses)
	}
	if v := g.Sysctls["net.ipv4.conf.lbcsnap0.arp_ignore"]; v != "1" {
		t.Errorf("arp_ignore of lbcsnap0 = %q, want 1", v)
	}
	for _, key := range []string{"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.lo.arp_announce", "net.ipv4.ip_forward", "net.ipv4.tcp_timestamps"} {
		if _, ok := g.Sysctls[key]; !ok {
			t.Errorf("sysctl %s missing", key)
		}
	}
	var got []string
	for _, l := range g.Listeners {
		got = append(got, string(l.Proto)+" "+net.JoinHostPort(l.Address, strconv.Itoa(l.Port)))
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"tcp 192.0.2.10:8080", "udp 10.0.1.4:5353"}) {
		t.Errorf("listeners = %v", got)
	}
}

func addAddr(l netlink.Link, cidr string) error {
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		return err
	}
	return netlink.AddrAdd(l, a)
}
