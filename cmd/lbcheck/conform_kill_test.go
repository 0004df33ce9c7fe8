package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
)

func rootLinks(t *testing.T) []string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

// TestConformKilledIsCollected starts a real `lbcheck conform`, SIGKILLs it
// while its second case runs (topologies built, targets and responders
// running), then runs the GC every later run starts with, and proves that
// nothing of the killed run survives: no namespace or run directory of its
// prefix, no process inside any of its namespaces (so the kernel destroys
// them and the veths in them), no live process it started, and no new link in
// the root namespace.
func TestConformKilledIsCollected(t *testing.T) {
	labtest.RequireRoot(t)
	bin, err := lbbin.Path()
	if err != nil {
		t.Fatal(err)
	}
	linksBefore := rootLinks(t)
	cmd := exec.Command(bin, "conform", "--profile", "core")
	stderr := &labtest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	prefix := fmt.Sprintf("%s%x-", netlab.NamePrefix, cmd.Process.Pid)
	for end := time.Now().Add(2 * time.Minute); !strings.Contains(stderr.String(), "[2/"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("conform did not reach its second case within 2 minutes; stderr:\n%s", stderr)
		}
	}

	// What the run has at the moment it dies.
	spaces, _ := filepath.Glob(filepath.Join(netlab.NetnsDir, prefix+"*"))
	inodes := map[string]uint64{}
	var pids []int
	for _, s := range spaces {
		ino, err := netlab.NSInode(filepath.Base(s))
		if err != nil {
			continue // removed between Glob and here (a preflight lab)
		}
		inodes[filepath.Base(s)] = ino
		pids = append(pids, netlab.ProcsInNS(ino)...)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	killed = true
	t.Logf("killed conform (pid %d) with %d namespaces and %d processes inside them; stderr:\n%s", cmd.Process.Pid, len(inodes), len(pids), stderr)
	if len(inodes) < 4 || len(pids) == 0 {
		t.Fatalf("the run had %d namespaces and %d processes in them when killed: too little to prove anything", len(inodes), len(pids))
	}
	// Nothing of the run removes them now; only a GC does (ours, or one of
	// a concurrent test process, which checks the same thing).
	left, _ := filepath.Glob(filepath.Join(netlab.NetnsDir, prefix+"*"))
	t.Logf("%d namespaces of the killed run left for GC", len(left))

	// A concurrent test process's GC may hold a dead lab's lock while it
	// removes that lab, so ours skips it: GC again until nothing of the run
	// is left, or 30 s have passed.
	var leftNS, leftDirs []string
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := netlab.GC(); err != nil {
			t.Fatalf("GC: %v", err)
		}
		leftNS, _ = filepath.Glob(filepath.Join(netlab.NetnsDir, prefix+"*"))
		leftDirs, _ = filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
		if len(leftNS)+len(leftDirs) == 0 || time.Now().After(end) {
			break
		}
	}
	if len(leftNS) > 0 {
		t.Errorf("namespaces left after GC: %v", leftNS)
	}
	if len(leftDirs) > 0 {
		t.Errorf("run directories left after GC: %v", leftDirs)
	}
	for name, ino := range inodes {
		if p := netlab.ProcsInNS(ino); len(p) > 0 {
			t.Errorf("processes %v still inside namespace %s", p, name)
		}
	}
	// The killed run's children were re-parented to init, which reaps them
	// when it gets to it: a zombie is dead (it holds no namespace, socket
	// or memory), anything else survived.
	for _, pid := range pids {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue // gone
		}
		if _, rest, _ := strings.Cut(string(st), ") "); !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X") {
			t.Errorf("process %d of the killed run survived: %s", pid, st)
		}
	}
	if after := rootLinks(t); !slices.Equal(after, linksBefore) {
		t.Errorf("root-namespace links changed: before %v, after %v", linksBefore, after)
	}
}
