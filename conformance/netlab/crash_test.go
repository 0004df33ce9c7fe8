package netlab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envChild makes the test binary act as a child process of a test, in the
// mode it names (see children).
const envChild = "LBCHECK_NETLAB_TEST_CHILD"

// children are the modes of envChild.
var children = map[string]func() int{
	"kill":    func() int { return child("kill") },   // a runner that waits to be killed
	"signal":  func() int { return child("signal") }, // ... or interrupted
	"pidns":   pidnsInit,                             // PID 1 of a PID namespace, starting "kill"
	"overlay": overlayChild,                          // runs in a private mount namespace
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(children[mode]())
	}
	os.Exit(m.Run())
}

// child builds a lab with two namespaces and an orphaned process inside one
// (started through a shell that exits, so nothing but GC/Close can kill it),
// prints the prefix and the orphan's PID, and waits.
func child(mode string) int {
	l, err := New(Options{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if mode == "signal" {
		defer l.CloseOnSignal(cancel)()
	}
	a, err1 := l.NewNS("a")
	b, err2 := l.NewNS("b")
	if err1 != nil || err2 != nil {
		fmt.Println("error", err1, err2)
		return 1
	}
	if err := a.AddVeth("eth0", nil, b, "eth0", nil); err != nil {
		fmt.Println("error", err)
		return 1
	}
	var out []byte
	if err := b.Do(func() (err error) {
		out, err = exec.Command("sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!").Output()
		return
	}); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println(l.Prefix(), strings.TrimSpace(string(out)))
	select {
	case <-ctx.Done(): // signal: the lab is closed by the handler
	case <-time.After(30 * time.Second):
	}
	return 0
}

// startChild runs the test binary as a child in mode, with attr and the
// extra environment, and returns it with the fields of the first line it
// prints: the prefix and the orphan's PID for "kill" and "signal".
func startChild(t *testing.T, mode string, attr *syscall.SysProcAttr, env ...string) (*exec.Cmd, []string) {
	t.Helper()
	requireRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envChild+"="+mode), env...)
	cmd.SysProcAttr = attr
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	f := strings.Fields(line)
	if len(f) != 2 || f[0] == "error" {
		t.Fatalf("child: %q", line)
	}
	return cmd, f
}

func orphanGone(pid string) bool {
	st, err := os.ReadFile("/proc/" + pid + "/stat")
	return err != nil || strings.Contains(string(st), ") Z")
}

// TestRunnerKilledIsCollected kills a runner with SIGKILL mid-run and checks
// that the next run's GC removes its namespaces and the process inside.
func TestRunnerKilledIsCollected(t *testing.T) {
	cmd, f := startChild(t, "kill", nil)
	prefix, orphan := f[0], f[1]
	if left, _ := filepath.Glob(filepath.Join(NetnsDir, prefix+"-*")); len(left) != 2 {
		t.Fatalf("child's namespaces: %v", left)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	// Nothing but a GC can remove them now (other test processes may run
	// theirs concurrently).
	if _, err := GC(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(NetnsDir, prefix+"-*")); len(left) > 0 {
		t.Errorf("GC left %v", left)
	}
	for _, p := range []string{lockPath(prefix), filepath.Join(os.TempDir(), prefix)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("GC left %s: %v", p, err)
		}
	}
	if !orphanGone(orphan) {
		t.Errorf("process %s inside the killed run's namespace survived GC", orphan)
	}
}

// TestSignalClosesLab interrupts a runner with SIGINT and checks that its
// handler removed everything before the process ended.
func TestSignalClosesLab(t *testing.T) {
	cmd, f := startChild(t, "signal", nil)
	prefix, orphan := f[0], f[1]
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("child exit: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("child did not exit after SIGINT")
	}
	if left, _ := filepath.Glob(filepath.Join(NetnsDir, prefix+"-*")); len(left) > 0 {
		t.Errorf("namespaces left after SIGINT: %v", left)
	}
	if !orphanGone(orphan) {
		t.Errorf("process %s survived the signal cleanup", orphan)
	}
}
