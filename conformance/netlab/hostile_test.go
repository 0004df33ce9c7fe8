package netlab

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"golang.org/x/sys/unix"
)

// envPID asks the "pidns" child for the PID its runner gets inside the new
// PID namespace.
const envPID = "LBCHECK_NETLAB_TEST_PID"

// requireTool returns the path of a command the test needs. Without it the
// test skips, or fails under CI=true, where .ci/run installs pkg.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	return prereq.Tool(t, name, "Debian package "+pkg)
}

// pidnsInit is PID 1 of a new PID namespace. It makes the next PID there
// $LBCHECK_NETLAB_TEST_PID (through ns_last_pid, when the kernel has it),
// runs the "kill" child (a runner that builds a lab and waits) on its own
// standard output and waits for it.
func pidnsInit() int {
	// The first process Go starts checks the kernel's pidfd support with a
	// clone of its own, which takes a PID: get it over with first.
	_ = exec.Command("true").Run()
	if n, err := strconv.Atoi(os.Getenv(envPID)); err == nil {
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(n-1)), 0); err != nil {
			fmt.Fprintln(os.Stderr, "cannot choose the runner's PID:", err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=kill")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Println("error", err)
		return 1
	}
	return 0
}

// TestGCSparesOwnerInAnotherPIDNamespace runs a runner in a new PID
// namespace, numbered so that the PID in its prefix is not alive in ours
// (the case: the PID rule deleted such a live run's namespaces), and
// checks that GC from here leaves its namespaces and lock alone while it
// lives and removes them, its lock file and its run directory once it is
// killed.
func TestGCSparesOwnerInAnotherPIDNamespace(t *testing.T) {
	requireRoot(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	cmd, f := startChild(t, "pidns", &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL},
		fmt.Sprintf("%s=%d", envPID, dead.Process.Pid))
	prefix := f[0]
	if pid, _ := OwnerPID(prefix); alive(pid) {
		t.Logf("the runner's PID %d (prefix %s) is alive here too: the test does not show that GC ignores PIDs", pid, prefix)
	}
	names := func() []string {
		left, _ := filepath.Glob(filepath.Join(NetnsDir, prefix+"-*"))
		return left
	}
	if len(names()) != 2 {
		t.Fatalf("runner's namespaces: %v", names())
	}
	if _, err := GC(); err != nil {
		t.Fatal(err)
	}
	if left := names(); len(left) != 2 {
		t.Errorf("GC removed namespaces of the live runner in another PID namespace: left %v", left)
	}
	if l := lockDead(prefix); l != nil {
		l.Close()
		t.Errorf("the live runner's lock file %s is not locked", lockPath(prefix))
	}

	_ = cmd.Process.Kill() // PID 1: the kernel kills the whole namespace
	_ = cmd.Wait()
	if _, err := GC(); err != nil {
		t.Fatal(err)
	}
	if left := names(); len(left) > 0 {
		t.Errorf("GC left the killed runner's namespaces: %v", left)
	}
	for _, p := range []string{lockPath(prefix), filepath.Join(os.TempDir(), prefix)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("GC left %s of the killed runner: %v", p, err)
		}
	}
}

// mountPoint reports whether path (symbolic links resolved) is a mount
// point in this mount namespace.
func mountPoint(path string) bool {
	path, _ = filepath.EvalSymlinks(path)
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fl := strings.Fields(sc.Text()); len(fl) > 4 && fl[4] == path {
			return true
		}
	}
	return false
}

// overlayChild runs in a private mount namespace of its own (the test
// starts it with CLONE_NEWNS; Go makes every mount private there, so nothing
// it mounts or unmounts reaches the host). After lbcheck named namespaces,
// a killed runner's among them, it runs `ip netns add`, which bind-mounts
// /var/run/netns over itself, and checks that lbcheck's namespaces work, tear
// down, are collected, and that new ones can be made. It prints a line per
// problem and "ok" at the end.
func overlayChild() int {
	problems := 0
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL "+format+"\n", args...)
		problems++
	}
	// ip bind-mounts the directory only if it is no mount point yet (on a
	// host where ip netns add ran before, it is one in this copy too).
	for mountPoint(legacyNetnsDir) {
		if err := unix.Unmount(legacyNetnsDir, unix.MNT_DETACH); err != nil {
			fail("unmounting %s in the private mount namespace: %v", legacyNetnsDir, err)
			return 1
		}
	}
	if err := os.MkdirAll(legacyNetnsDir, 0o755); err != nil {
		fail("%v", err)
		return 1
	}
	l, err := New(Options{})
	if err != nil {
		fail("New: %v", err)
		return 1
	}
	a, err1 := l.NewNS("a")
	b, err2 := l.NewNS("b")
	if err := errors.Join(err1, err2); err != nil {
		fail("NewNS: %v", err)
		return 1
	}
	if err := a.AddVeth("eth0", nil, b, "eth0", nil); err != nil {
		fail("AddVeth: %v", err)
	}
	orphan := exec.Command("sh", "-c", "sleep 60 >/dev/null 2>&1 &")
	if err := b.Do(orphan.Run); err != nil {
		fail("starting a process in %s: %v", b.Name, err)
	}
	killed := exec.Command(os.Args[0], "-test.run=^$")
	killed.Env = append(os.Environ(), envChild+"=kill")
	out, _ := killed.StdoutPipe()
	if err := killed.Start(); err != nil {
		fail("starting the runner to kill: %v", err)
		return 1
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	deadPrefix, _, _ := strings.Cut(line, " ")
	_ = killed.Process.Kill()
	_ = killed.Wait()
	// What older versions did: a name in /var/run/netns before the overlay.
	legacy := filepath.Join(legacyNetnsDir, fmt.Sprintf("%s%x-legacy", NamePrefix, os.Getpid()))
	if h, err := newNamed(legacy, nil); err != nil {
		fail("naming %s: %v", legacy, err)
	} else {
		h.Close()
	}

	ipName := fmt.Sprintf("%s%x-ipnetns", NamePrefix, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ipName).CombinedOutput(); err != nil {
		fail("ip netns add: %v: %s", err, out)
		return 1
	}
	defer exec.Command("ip", "netns", "del", ipName).Run()
	if !mountPoint(legacyNetnsDir) {
		fail("ip netns add did not bind-mount %s over itself: the test shows nothing", legacyNetnsDir)
	}
	if err := removeName(legacy); !errors.Is(err, unix.EBUSY) {
		fail("removing %s under the overlay: %v, want EBUSY (what aborted runs before)", legacy, err)
	}

	if err := a.Do(func() error { return nil }); err != nil {
		fail("entering %s after the overlay: %v", a.Name, err)
	}
	if _, err := a.LinkMAC("eth0"); err != nil {
		fail("%v", err)
	}
	if err := l.Close(); err != nil {
		fail("Close after the overlay: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(NetnsDir, l.Prefix()+"-*")); len(left) > 0 {
		fail("Close left %v", left)
	}
	if k := l.Killed(); len(k) != 1 || k[0].NS != b.Name {
		fail("Killed() = %v, want the process in %s", k, b.Name)
	}
	if _, err := GC(); err != nil {
		fail("GC after the overlay: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(NetnsDir, deadPrefix+"-*")); deadPrefix == "" || len(left) > 0 {
		fail("GC left the killed runner's (%q) namespaces: %v", deadPrefix, left)
	}
	l2, err := New(Options{})
	if err == nil {
		_, err = l2.NewNS("c")
		err = errors.Join(err, l2.Close())
	}
	if err != nil {
		fail("a new lab after the overlay: %v", err)
	}
	if problems > 0 {
		return 1
	}
	fmt.Println("ok")
	return 0
}

// TestNamespacesSurviveIPNetnsAdd runs overlayChild in a private mount
// namespace, then checks from the host that nothing of it is left: the
// legacy name it could not remove under the overlay is a plain file here,
// which GC removes once its owner PID is dead.
func TestNamespacesSurviveIPNetnsAdd(t *testing.T) {
	requireRoot(t)
	requireTool(t, "ip", "iproute2")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=overlay")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
	}
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("in a private mount namespace (%v):\n%s", err, out)
	}
	if _, err := GC(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(legacyNetnsDir, fmt.Sprintf("%s%x-legacy", NamePrefix, cmd.Process.Pid)),
		filepath.Join(legacyNetnsDir, fmt.Sprintf("%s%x-ipnetns", NamePrefix, cmd.Process.Pid)),
	} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left on the host: %v", p, err)
		}
	}
}
