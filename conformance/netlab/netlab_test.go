package netlab

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func requireRoot(t testing.TB) {
	t.Helper()
	prereq.Root(t, "creating network namespaces")
}

func newLab(t testing.TB) *Lab {
	t.Helper()
	requireRoot(t)
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func TestOwnerPID(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"lbc1f3a-k2x9-mux", 0x1f3a, true},
		{"lbc1f3a-k2x9", 0x1f3a, true},
		{"lbcff-", 0xff, true},
		{"lbc-k2-mux", 0, false},
		{"lbc0-k2", 0, false},
		{"lbcxyz-k2", 0, false},
		{"lbc123456789-k2", 0, false},
		{"foo1f3a-k2", 0, false},
		{"lbc1f3a", 0, false},
	} {
		pid, ok := OwnerPID(tc.name)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("OwnerPID(%q) = %d, %v; want %d, %v", tc.name, pid, ok, tc.pid, tc.ok)
		}
	}
}

func TestSysctlPath(t *testing.T) {
	for _, tc := range []struct {
		key, path, err string
	}{
		{"net.ipv4.conf.all.rp_filter", "/proc/sys/net/ipv4/conf/all/rp_filter", ""},
		{"net.ipv4.conf.eth-1.arp_ignore", "/proc/sys/net/ipv4/conf/eth-1/arp_ignore", ""},
		{"kernel.panic", "", "only net.*"},
		{"net.ipv4..x", "", "empty path element"},
		{"net.ipv4/../../kernel", "", "invalid character"},
		{"net.ipv4.", "", "empty path element"},
	} {
		p, err := SysctlPath(tc.key)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("SysctlPath(%q) error = %v; want %q", tc.key, err, tc.err)
			}
			continue
		}
		if err != nil || p != tc.path {
			t.Errorf("SysctlPath(%q) = %q, %v; want %q", tc.key, p, err, tc.path)
		}
	}
}

func TestPrefixAndNames(t *testing.T) {
	l := newLab(t)
	pid, ok := OwnerPID(l.Prefix())
	if !ok || pid != os.Getpid() {
		t.Fatalf("prefix %q does not encode our pid %d", l.Prefix(), os.Getpid())
	}
	n, err := l.NewNS("mux")
	if err != nil {
		t.Fatal(err)
	}
	if n.Name != l.Prefix()+"-mux" {
		t.Errorf("name %q, want %q", n.Name, l.Prefix()+"-mux")
	}
	if _, err := os.Stat(filepath.Join(NetnsDir, n.Name)); err != nil {
		t.Errorf("named namespace not mounted: %v", err)
	}
	if _, err := l.NewNS("a/b"); err == nil {
		t.Error("role with a slash accepted")
	}
}

func TestDoRunsInNamespaceAndRestores(t *testing.T) {
	l := newLab(t)
	n, err := l.NewNS("do")
	if err != nil {
		t.Fatal(err)
	}
	want, err := NSInode(n.Name)
	if err != nil {
		t.Fatal(err)
	}
	rootLink, _ := os.Readlink("/proc/self/ns/net")
	for range 20 { // many times: a thread left in the namespace would show up
		var inside string
		if err := n.Do(func() error {
			inside, err = os.Readlink("/proc/thread-self/ns/net")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if inside != fmt.Sprintf("net:[%d]", want) {
			t.Fatalf("Do ran in %s, want net:[%d]", inside, want)
		}
	}
	cur, _ := os.Readlink("/proc/thread-self/ns/net")
	if cur != rootLink {
		t.Fatalf("caller thread is in %s after Do, want %s", cur, rootLink)
	}
	if v, err := n.Sysctl("net.ipv6.conf.lo.disable_ipv6"); err != nil || v != "1" {
		t.Errorf("lo disable_ipv6 = %q, %v; want 1", v, err)
	}
	if err := n.Sysctls([][2]string{{"net.ipv4.no_such_key", "1"}}); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("unknown sysctl: got %v, want an 'unknown key' error", err)
	}
}

// TestBridgedVeths builds two namespaces joined by a bridge in a third and
// carries a real TCP exchange between them.
func TestBridgedVeths(t *testing.T) {
	l := newLab(t)
	fab, err := l.NewNS("fabric")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := l.NewNS("a")
	b, _ := l.NewNS("b")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fab.AddBridge("br0"))
	macA, _ := net.ParseMAC("02:00:00:00:00:0a")
	for _, x := range []struct {
		ns   *NS
		port string
		mac  net.HardwareAddr
		addr string
	}{{a, "pa", macA, "10.9.0.1/24"}, {b, "pb", nil, "10.9.0.2/24"}} {
		must(fab.AddVeth(x.port, nil, x.ns, "eth0", x.mac))
		must(fab.SetMaster(x.port, "br0"))
		must(fab.Up(x.port))
		must(x.ns.AddAddr("eth0", netip.MustParsePrefix(x.addr)))
		must(x.ns.Up("eth0"))
	}
	must(fab.Up("br0"))
	must(a.AddRoute(Route{Dst: netip.MustParsePrefix("203.0.113.0/24"), Via: netip.MustParseAddr("10.9.0.2"), Dev: "eth0"}))
	if mac, err := a.LinkMAC("eth0"); err != nil || mac.String() != macA.String() {
		t.Errorf("a/eth0 MAC = %v, %v; want %v", mac, err, macA)
	}
	if v, err := a.Sysctl("net.ipv6.conf.eth0.disable_ipv6"); err != nil || v != "1" {
		t.Errorf("a/eth0 disable_ipv6 = %q, %v; want 1", v, err)
	}
	if _, err := netlink.LinkByName("pa"); err == nil {
		t.Fatal("veth end pa appeared in the root namespace")
	}

	var ln net.Listener
	must(b.Do(func() (err error) { ln, err = net.Listen("tcp4", "10.9.0.2:7000"); return }))
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "hello %s\n", c.RemoteAddr())
	}()
	var c net.Conn
	must(a.Do(func() (err error) {
		c, err = net.DialTimeout("tcp4", "10.9.0.2:7000", 2*time.Second)
		return
	}))
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "hello 10.9.0.1:") {
		t.Fatalf("got %q, %v; want hello from 10.9.0.1", line, err)
	}
}

// TestCloseLeavesNothing is the leak test: after Close no namespace with the
// prefix, no process inside them and no handle to them remain, the root
// namespace's links are unchanged, and Close is idempotent.
func TestCloseLeavesNothing(t *testing.T) {
	requireRoot(t)
	rootLinks := linkNames(t)
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var inodes []uint64
	for _, role := range []string{"fabric", "x", "y"} {
		n, err := l.NewNS(role)
		if err != nil {
			t.Fatal(err)
		}
		ino, _ := NSInode(n.Name)
		inodes = append(inodes, ino)
	}
	ns := l.Namespaces()
	if err := ns[0].AddVeth("vx", nil, ns[1], "eth0", nil); err != nil {
		t.Fatal(err)
	}
	// A process inside a namespace, started the way proc starts targets.
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := ns[2].Do(cmd.Start); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case <-waited:
	case <-time.After(3 * time.Second):
		t.Fatal("process inside the namespace survived Close")
	}
	if left, _ := filepath.Glob(filepath.Join(NetnsDir, l.Prefix()+"*")); len(left) > 0 {
		t.Errorf("namespaces left: %v", left)
	}
	if k := l.Killed(); len(k) != 1 || k[0].PID != cmd.Process.Pid || k[0].Comm != "sleep" || k[0].NS != ns[2].Name {
		t.Errorf("Killed() = %v, want [%d (sleep) in %s]", k, cmd.Process.Pid, ns[2].Name)
	}
	if _, err := os.Stat(lockPath(l.Prefix())); !os.IsNotExist(err) {
		t.Errorf("owner lock file left: %v", err)
	}
	for _, ino := range inodes {
		if pids := ProcsInNS(ino); len(pids) > 0 {
			t.Errorf("processes left in net:[%d]: %v", ino, pids)
		}
		if fds := fdsOn(ino); len(fds) > 0 {
			t.Errorf("this process still holds net:[%d] open: fds %v", ino, fds)
		}
	}
	if _, err := os.Stat(l.Dir()); !os.IsNotExist(err) {
		t.Errorf("run directory %s left: %v", l.Dir(), err)
	}
	if got := linkNames(t); strings.Join(got, ",") != strings.Join(rootLinks, ",") {
		t.Errorf("root namespace links changed: %v -> %v", rootLinks, got)
	}
	if _, err := l.NewNS("late"); err != ErrClosed {
		t.Errorf("NewNS after Close: %v, want ErrClosed", err)
	}
	if err := ns[0].Do(func() error { return nil }); err != ErrClosed {
		t.Errorf("Do after Close: %v, want ErrClosed", err)
	}
}

func linkNames(t *testing.T) []string {
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

func fdsOn(ino uint64) []string {
	want := fmt.Sprintf("net:[%d]", ino)
	ents, _ := os.ReadDir("/proc/self/fd")
	var fds []string
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l == want {
			fds = append(fds, e.Name())
		}
	}
	return fds
}

// TestGC creates the namespaces of a dead owner (its lock file left
// unlocked, a process inside, run directories) and of a live one (this
// process holds its lock), and in the old location the namespaces of a dead
// and of a live PID, and checks GC removes exactly the dead ones. Both
// owners carry this process's PID: in NetnsDir the PID decides nothing.
func TestGC(t *testing.T) {
	requireRoot(t)
	if err := mountNetnsDir(); err != nil {
		t.Fatal(err)
	}
	live, err := claim()
	if err != nil {
		t.Fatal(err)
	}
	defer live.release(true)
	dead, err := claim()
	if err != nil {
		t.Fatal(err)
	}
	dead.f.Close() // the owner died: the kernel dropped its lock, the file stays
	defer dead.release(true)
	deadPID := exec.Command("true")
	if err := deadPID.Run(); err != nil {
		t.Fatal(err)
	}
	livePID := exec.Command("sleep", "30")
	if err := livePID.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = livePID.Process.Kill(); _ = livePID.Wait() }()
	if err := os.MkdirAll(legacyNetnsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := map[string]string{
		"live":        filepath.Join(NetnsDir, live.prefix+"-x"),
		"dead":        filepath.Join(NetnsDir, dead.prefix+"-x"),
		"legacy live": filepath.Join(legacyNetnsDir, fmt.Sprintf("%s%x-gct-x", NamePrefix, livePID.Process.Pid)),
		"legacy dead": filepath.Join(legacyNetnsDir, fmt.Sprintf("%s%x-gct-x", NamePrefix, deadPID.Process.Pid)),
	}
	for _, p := range path {
		h, err := newNamed(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
		defer removeName(p)
	}
	dir := map[string]string{
		"live":         filepath.Join(os.TempDir(), live.prefix),
		"dead":         filepath.Join(os.TempDir(), dead.prefix),
		"dead TempDir": filepath.Join(os.TempDir(), dead.prefix+"-bin-1"),
		"legacy dead":  filepath.Join(os.TempDir(), fmt.Sprintf("%s%x-gct", NamePrefix, deadPID.Process.Pid)),
	}
	for _, d := range dir {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(d)
	}

	// A process inside the dead run's namespace (not our child: it is
	// started by a shell that exits, like a target orphaned by a killed run).
	h, err := netns.GetFromPath(path["dead"])
	if err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!")
	var out []byte
	err = (&NS{Name: "dead", lab: &Lab{}, h: h}).Do(func() (err error) { out, err = sh.Output(); return })
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	orphan := strings.TrimSpace(string(out))

	removed, err := GC()
	if err != nil {
		t.Fatal(err)
	}
	// Test processes running concurrently GC too, so the dead namespaces may
	// already be gone; what matters is the state afterwards. One of them may
	// be collecting the dead run right now: it holds the run's lock, so this
	// GC took the run for live. Wait for it (bounded), collecting again.
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(lockPath(dead.prefix)); os.IsNotExist(err) {
			break
		}
		time.Sleep(100 * time.Millisecond)
		more, err := GC()
		if err != nil {
			t.Fatal(err)
		}
		removed = append(removed, more...)
	}
	for what, p := range path {
		_, err := os.Stat(p)
		if gone := os.IsNotExist(err); gone != strings.Contains(what, "dead") {
			t.Errorf("%s owner's namespace %s: removed = %v (GC removed %v)", what, p, gone, removed)
		}
	}
	for what, d := range dir {
		_, err := os.Stat(d)
		if gone := os.IsNotExist(err); gone != strings.Contains(what, "dead") {
			t.Errorf("%s owner's directory %s: removed = %v", what, d, gone)
		}
	}
	if _, err := os.Stat(lockPath(dead.prefix)); !os.IsNotExist(err) {
		t.Errorf("dead owner's lock file still there: %v", err)
	}
	if lockDead(live.prefix) != nil {
		t.Errorf("GC released or removed the live owner's lock")
	}
	if !orphanGone(orphan) {
		t.Errorf("process %s inside the dead namespace survived GC", orphan)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestMissingCaps(t *testing.T) {
	all := uint64(1<<21 | 1<<12 | 1<<13)
	if m := missing(all); len(m) != 0 {
		t.Errorf("missing(all) = %v", m)
	}
	if m := fmt.Sprint(missing(1 << 21)); m != "[CAP_NET_ADMIN CAP_NET_RAW]" {
		t.Errorf("missing(SYS_ADMIN only) = %s", m)
	}
}

func TestPreflight(t *testing.T) {
	requireRoot(t)
	if err := Preflight(); err != nil {
		t.Fatal(err)
	}
}

// TestGCStaleFile checks GC removes a dead run's namespace names that are
// not mount points (the run was killed between naming the namespace and
// mounting it): in NetnsDir with an unlocked owner file and with none, and
// in the old location with a dead owner PID.
func TestGCStaleFile(t *testing.T) {
	requireRoot(t)
	if err := mountNetnsDir(); err != nil {
		t.Fatal(err)
	}
	dead, err := claim()
	if err != nil {
		t.Fatal(err)
	}
	dead.f.Close()
	defer dead.release(true)
	deadPID := exec.Command("true")
	if err := deadPID.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(legacyNetnsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(NetnsDir, dead.prefix+"-x"),
		filepath.Join(NetnsDir, fmt.Sprintf("%s%x-nolock-x", NamePrefix, os.Getpid())),
		filepath.Join(legacyNetnsDir, fmt.Sprintf("%s%x-gcs-x", NamePrefix, deadPID.Process.Pid)),
	}
	for _, p := range stale {
		if err := os.WriteFile(p, nil, 0o444); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
	}
	if _, err := GC(); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("stale namespace file of a dead run still there: %v", err)
		}
	}
}
