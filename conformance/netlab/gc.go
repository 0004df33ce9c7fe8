package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// OwnerPID extracts the owner PID from a namespace or run directory name
// "lbc<pid hex>-...". ok is false for names lbcheck did not create.
func OwnerPID(name string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(name, NamePrefix)
	if !found {
		return 0, false
	}
	hex, _, found := strings.Cut(rest, "-")
	if !found || hex == "" || len(hex) > 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || v == 0 {
		return 0, false
	}
	return int(v), true
}

// alive reports whether a process with this PID exists. A PID reused by an
// unrelated process counts as alive: GC errs on the side of keeping.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// GC removes namespaces and run directories left behind by lbcheck runs
// whose owner process is dead (killed with SIGKILL, crashed), after killing
// the processes still inside those namespaces. Namespaces of live owners,
// including this process, are never touched. It returns the removed
// namespace names.
//
// Namespaces are collected in NetnsDir and, for leftovers of versions before
// it, in /var/run/netns. Names there hidden by a later bind mount of
// /var/run/netns over itself cannot be removed (EBUSY) and are left.
func GC() ([]string, error) {
	var g collector
	deadPID := func(name string) bool {
		pid, ok := OwnerPID(name)
		return ok && pid != os.Getpid() && !alive(pid)
	}
	for _, dir := range []string{NetnsDir, legacyNetnsDir} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if deadPID(e.Name()) {
				g.removeNS(filepath.Join(dir, e.Name()), dir == legacyNetnsDir)
			}
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), NamePrefix+"*-*"))
	for _, d := range dirs {
		if deadPID(filepath.Base(d)) {
			_ = os.RemoveAll(d)
		}
	}
	return g.removed, errors.Join(g.errs...)
}

type collector struct {
	removed []string
	errs    []error
}

// removeNS kills the processes in the namespace mounted at path and removes
// the name. hidden tolerates EBUSY (see GC).
func (g *collector) removeNS(path string, hidden bool) {
	if ino, err := nsInode(path); err == nil {
		killInNS(ino)
	}
	err := removeName(path)
	switch {
	case err == nil:
		g.removed = append(g.removed, filepath.Base(path))
	case errors.Is(err, os.ErrNotExist): // another run collected it at the same time
	case hidden && errors.Is(err, unix.EBUSY):
	default:
		g.errs = append(g.errs, fmt.Errorf("netlab: removing leftover namespace %s: %w (remove it by hand: umount %s; rm %s)", path, err, path, path))
	}
}

// ProcsInNS returns the PIDs of processes whose network namespace has the
// given nsfs inode. This process is never included.
func ProcsInNS(ino uint64) []int {
	want := fmt.Sprintf("net:[%d]", ino)
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/net"); err == nil && l == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killInNS SIGKILLs every process inside the namespace and waits (at most
// two seconds) until none is left. Zombies still count, so their parents
// (e.g. a proc.Process waiter) get the chance to reap them.
func killInNS(ino uint64) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		pids := ProcsInNS(ino)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// NSInode returns the nsfs inode of the named namespace (as shown in
// /proc/PID/ns/net), for tests and diagnostics.
func NSInode(name string) (uint64, error) {
	return nsInode(filepath.Join(NetnsDir, name))
}
