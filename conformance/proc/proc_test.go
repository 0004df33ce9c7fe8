package proc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
)

// runnerEnv makes the test binary a runner that starts a process which
// daemonizes out of its namespace, prints "started" and waits to be
// killed; the value is the file the daemon writes its PID to.
const runnerEnv = "LBCHECK_PROC_TEST_RUNNER"

func TestMain(m *testing.M) {
	if f := os.Getenv(runnerEnv); f != "" {
		os.Exit(runner(f))
	}
	os.Exit(m.Run())
}

func runner(pidFile string) int {
	l, err := netlab.New(netlab.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ns, err := l.NewNS("runner")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	script := `unshare --net setsid sh -c 'echo orphan $$ > "$0"; exec sleep 1000' "$LBX_PIDS" </dev/null >/dev/null 2>&1 &
while [ ! -s "$LBX_PIDS" ]; do sleep 0.01; done
echo ready; sleep 1000`
	if _, err := Start(context.Background(), Spec{Name: "orphan", Argv: []string{"/bin/sh", "-c", script}, Env: []string{"LBX_PIDS=" + pidFile}, NS: ns, LogDir: l.Dir()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("started")
	time.Sleep(time.Hour)
	return 0
}

// TestDeadRunnersAreSwept: a runner killed with SIGKILL cannot stop what
// it started; a daemon that left its process group and namespace survives
// it, in the runner's cgroup, whose lock died with the runner. The next
// runner's sweep kills it and removes the cgroup.
func TestDeadRunnersAreSwept(t *testing.T) {
	_, dir := setup(t)
	parent, err := parentCgroup() // this process's own sweep is done
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "orphan.pid")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runnerEnv+"="+pidFile)
	var stderr labtest.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := netlab.GC(); err != nil { // the dead runner's namespace
			t.Error(err)
		}
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "started\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("runner printed %q; stderr:\n%s", line, stderr.String())
	}
	cmd.Process.Kill()
	cmd.Wait()
	pid := readPids(t, pidFile)["orphan"]
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil || !running(pid) {
		t.Fatalf("the daemon %d did not outlive its runner (%v): the test shows nothing", pid, err)
	}
	_, cg, _ := strings.Cut(string(b), "0::/")
	cg = strings.TrimSpace(cg)
	if !strings.HasPrefix(filepath.Base(cg), fmt.Sprintf("%s%d-orphan-", cgroupPrefix, cmd.Process.Pid)) {
		t.Errorf("the daemon is in cgroup %q, want the runner's", cg)
	}
	sweep(parent)
	if running(pid) {
		t.Errorf("the daemon %d of a dead runner survived the sweep", pid)
	}
	if _, err := os.Stat(filepath.Join(parent, filepath.Base(cg))); !os.IsNotExist(err) {
		t.Errorf("the dead runner's cgroup %s is still there: %v", cg, err)
	}
}

// script writes a shell script into dir and returns its argv.
func script(t *testing.T, dir, name, body string) []string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{p}
}

func setup(t *testing.T) (*netlab.NS, string) {
	l := labtest.NewLab(t)
	ns, err := l.NewNS("proc")
	if err != nil {
		t.Fatal(err)
	}
	return ns, l.Dir()
}

func gone(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return os.IsNotExist(err)
}

func TestReadyRunsInNamespaceAndStops(t *testing.T) {
	ns, dir := setup(t)
	argv := script(t, dir, "good.sh", `echo starting; readlink /proc/self/ns/net; echo "$LBX_VAR"; echo ready; trap 'exit 0' TERM; while :; do sleep 0.05; done`)
	p, err := Start(context.Background(), Spec{Name: "good", Argv: argv, Env: []string{"LBX_VAR=hello"}, NS: ns, LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Alive(); err != nil {
		t.Fatalf("Alive after ready: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if !gone(p.Pid()) {
		t.Errorf("process %d not reaped", p.Pid())
	}
	ino, _ := netlab.NSInode(ns.Name)
	out, _ := os.ReadFile(filepath.Join(dir, "good.stdout.log"))
	want := fmt.Sprintf("starting\nnet:[%d]\nhello\nready\n", ino)
	if string(out) != want {
		t.Errorf("stdout log = %q, want %q (process must run in the namespace with the env)", out, want)
	}
}

func TestFailures(t *testing.T) {
	ns, dir := setup(t)
	for _, tc := range []struct {
		name, body string
		want       []string // substrings of the Start error
	}{
		{"crash", `echo "boom: cannot open device" >&2; exit 3`, []string{"exited before printing \"ready\"", "exit status 3", "boom: cannot open device"}},
		{"silent", `echo working >&2; sleep 30`, []string{"did not print \"ready\" within 300ms", "working"}},
		{"missing", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv := script(t, dir, tc.name+".sh", tc.body)
			if tc.name == "missing" {
				argv = []string{filepath.Join(dir, "no-such-binary")}
				tc.want = []string{"starting", "no-such-binary"}
			}
			start := time.Now()
			_, err := Start(context.Background(), Spec{Name: tc.name, Argv: argv, NS: ns, LogDir: dir, ReadyTimeout: 300 * time.Millisecond})
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Start took %v", d)
			}
			if ino, _ := netlab.NSInode(ns.Name); len(netlab.ProcsInNS(ino)) > 0 {
				t.Errorf("processes left in the namespace: %v", netlab.ProcsInNS(ino))
			}
		})
	}
}

func TestIgnoresSIGTERM(t *testing.T) {
	ns, dir := setup(t)
	argv := script(t, dir, "stubborn.sh", `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
	p, err := Start(context.Background(), Spec{Name: "stubborn", Argv: argv, NS: ns, LogDir: dir, Grace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Stop()
	if err == nil || !strings.Contains(err.Error(), "ignored SIGTERM for 200ms") {
		t.Fatalf("Stop = %v, want an 'ignored SIGTERM' error", err)
	}
	if !gone(p.Pid()) {
		t.Errorf("process %d not reaped", p.Pid())
	}
	if ino, _ := netlab.NSInode(ns.Name); len(netlab.ProcsInNS(ino)) > 0 {
		t.Errorf("children left in the namespace: %v", netlab.ProcsInNS(ino))
	}
}

func TestCrashAfterReady(t *testing.T) {
	ns, dir := setup(t)
	argv := script(t, dir, "late.sh", `echo ready; sleep 0.1; echo "panic: flow table" >&2; exit 2`)
	p, err := Start(context.Background(), Spec{Name: "late", Argv: argv, NS: ns, LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
	case <-time.After(3 * time.Second):
		t.Fatal("process did not exit")
	}
	for _, err := range []error{p.Alive(), p.Stop()} {
		if err == nil || !strings.Contains(err.Error(), "exited unexpectedly (exit status 2)") || !strings.Contains(err.Error(), "panic: flow table") {
			t.Errorf("got %v, want the unexpected exit with stderr", err)
		}
	}
}

func TestContextCancel(t *testing.T) {
	ns, dir := setup(t)
	argv := script(t, dir, "slow.sh", `sleep 30`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Start(ctx, Spec{Name: "slow", Argv: argv, NS: ns, LogDir: dir})
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("Start = %v, want cancelled", err)
	}
}

// daemons is a script that starts three processes that write "<kind>
// <PID>" to $LBX_PIDS and sleep: one in its process group ("group"), one
// double-forked into a session of its own ("session"), one in a session and
// a network namespace of its own ("netns"). It prints ready once all three
// run.
const daemons = `d='echo $0 $$ >> "$LBX_PIDS"; exec sleep 1000'
touch "$LBX_PIDS"
sh -c "$d" group &
(setsid sh -c "$d" session </dev/null >/dev/null 2>&1 &)
unshare --net setsid sh -c "$d" netns </dev/null >/dev/null 2>&1 &
while [ "$(wc -l < "$LBX_PIDS")" -lt 3 ]; do sleep 0.01; done
echo ready
`

// readPids reads the "<kind> <PID>" lines of file.
func readPids(t *testing.T, file string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for line := range strings.Lines(string(b)) {
		kind, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		pid, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s: %q: %v", file, line, err)
		}
		pids[kind] = pid
	}
	return pids
}

// stat returns the fields of /proc/PID/stat after the command name (state
// first), or nil if there is no such process.
func stat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// running reports whether pid is a process that is not yet a zombie.
func running(pid int) bool {
	f := stat(pid)
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// TestStopKillsWhatItStarted: whatever a process started is killed at Stop,
// also what left its process group, session or network namespace or went
// into a cgroup of its own under the process's, whether the process itself
// is still there or exited after starting it.
func TestStopKillsWhatItStarted(t *testing.T) {
	ns, dir := setup(t)
	nsIno, _ := netlab.NSInode(ns.Name)
	for _, tc := range []struct {
		name, then string
		stopErr    string // "" = Stop succeeds
	}{
		{"stays", `trap 'exit 0' TERM; while :; do sleep 0.05; done`, ""},
		{"exits", `sleep 0.1; exit 0`, "exited unexpectedly (exit status 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(dir, tc.name+".pids")
			p, err := Start(context.Background(), Spec{Name: tc.name, Argv: script(t, dir, tc.name+".sh", daemons+tc.then),
				Env: []string{"LBX_PIDS=" + pidFile}, NS: ns, LogDir: dir, Grace: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if tc.stopErr != "" {
				<-p.Exited()
			}
			pids := readPids(t, pidFile)
			if len(pids) != 3 {
				t.Fatalf("daemons wrote %v", pids)
			}
			if f := stat(pids["session"]); len(f) < 5 || f[4] == strconv.Itoa(p.Pid()) {
				t.Errorf("the double-forked process %d is in the session of %d: %v", pids["session"], p.Pid(), f)
			}
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pids["netns"])); l == fmt.Sprintf("net:[%d]", nsIno) || l == "" {
				t.Errorf("process %d did not leave the namespace: %q", pids["netns"], l)
			}
			// As a target that runs containers would: a nested cgroup.
			nested := filepath.Join(p.cg.dir, "nested")
			if err := os.Mkdir(nested, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(nested, "cgroup.procs"), []byte(strconv.Itoa(pids["group"])), 0); err != nil {
				t.Fatal(err)
			}
			err = p.Stop()
			if tc.stopErr == "" && err != nil || tc.stopErr != "" && (err == nil || !strings.Contains(err.Error(), tc.stopErr)) {
				t.Errorf("Stop = %v, want %q", err, tc.stopErr)
			}
			pids["leader"] = p.Pid()
			for kind, pid := range pids {
				if running(pid) {
					t.Errorf("%s process %d survived Stop: %v", kind, pid, stat(pid))
				}
			}
			if _, err := os.Stat(p.cg.dir); !os.IsNotExist(err) {
				t.Errorf("cgroup %s not removed: %v", p.cg.dir, err)
			}
		})
	}
}

// TestOutputBounded: a process writing 256 MiB to stderr and 64 MiB to
// stdout as fast as it can costs lbcheck a bounded amount of memory; its
// logs stop at the limit with a note, then end with the output's last
// bytes, which error messages quote.
func TestOutputBounded(t *testing.T) {
	ns, dir := setup(t)
	const (
		outLine, errLine = "mylb: flood on stdout\n", "mylb: flood on stderr\n"
		outLines         = 64 << 20 / len(outLine)
		errLines         = 256 << 20 / len(errLine)
		limit            = 1 << 20
		last             = "mylb: last words\n"
	)
	body := fmt.Sprintf(`echo ready
yes '%s' | head -n %d
yes '%s' | head -n %d >&2
echo '%s' >&2
trap 'exit 0' TERM; while :; do sleep 0.05; done`, outLine[:len(outLine)-1], outLines, errLine[:len(errLine)-1], errLines, last[:len(last)-1])
	outBytes, errBytes := int64(outLines*len(outLine)), int64(errLines*len(errLine))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := Start(context.Background(), Spec{Name: "flood", Argv: script(t, dir, "flood.sh", body), NS: ns, LogDir: dir, LogLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	total := func(o *output) int64 {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.total
	}
	deadline := time.Now().Add(time.Minute)
	for total(p.stdout) < outBytes+6 || total(p.stderr) < errBytes+int64(len(last)) {
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d bytes of stdout, %d of stderr", total(p.stdout), total(p.stderr))
		}
		time.Sleep(10 * time.Millisecond)
	}
	tail := p.StderrTail(2)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB of output cost %d KiB of allocations", (outBytes+errBytes)>>20, alloc>>10)
	if alloc > 8<<20 {
		t.Errorf("%d MiB of output cost %d MiB of allocations, want < 8", (outBytes+errBytes)>>20, alloc>>20)
	}
	if want := "  | " + errLine + "  | " + last[:len(last)-1]; tail != want {
		t.Errorf("StderrTail(2) = %q, want %q", tail, want)
	}
	for _, tc := range []struct{ name, first, end string }{
		{"flood.stdout.log", "ready\n" + outLine, outLine},
		{"flood.stderr.log", errLine, errLine + last},
	} {
		b, err := os.ReadFile(filepath.Join(dir, tc.name))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > limit+tailSize+512 {
			t.Errorf("%s has %d bytes, want at most the limit %d + tail %d + notes", tc.name, len(b), limit, tailSize)
		}
		note := fmt.Sprintf("\n[lbcheck: this log is cut here at %d bytes; the last %d bytes of the output follow when the process ends]\n", limit, tailSize)
		i := bytes.Index(b, []byte(note))
		j := bytes.Index(b, []byte(" bytes left out; the last 16384 follow]\n"))
		// The shell may add "Terminated" for the sleep SIGTERM interrupts.
		if !bytes.HasPrefix(b, []byte(tc.first)) || i != limit || j < i || !bytes.Contains(b[j:], []byte(tc.end)) {
			t.Errorf("%s: want the first %d bytes, the note at %d, the last %d bytes; got %d bytes, note at %d, ending %q", tc.name, limit, limit, tailSize, len(b), i, b[max(0, len(b)-100):])
		}
	}
}
