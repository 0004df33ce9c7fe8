package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netns"
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
func GC() ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("netlab: listing %s: %w", netnsDir, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, ok := OwnerPID(e.Name())
		if !ok || pid == os.Getpid() || alive(pid) {
			continue
		}
		path := filepath.Join(netnsDir, e.Name())
		if ino, err := nsInode(path); err == nil {
			killInNS(ino)
		}
		err := netns.DeleteNamed(e.Name())
		switch {
		case err == nil:
			removed = append(removed, e.Name())
		case errors.Is(err, os.ErrNotExist):
			// Another run collected it at the same time.
		case errors.Is(err, unix.EINVAL):
			// Not a mount point in this view. A plain file is left by a run
			// killed between creating the name and mounting the namespace
			// on it: remove it. EBUSY means the mount exists but is hidden
			// (iproute2 bind-mounted /var/run/netns over itself after the
			// name was made): it cannot be reached from here, so leave it.
			if rmErr := os.Remove(path); rmErr == nil {
				removed = append(removed, e.Name())
			} else if !errors.Is(rmErr, os.ErrNotExist) && !errors.Is(rmErr, unix.EBUSY) {
				errs = append(errs, fmt.Errorf("netlab: removing stale namespace file %s: %w", path, rmErr))
			}
		default:
			errs = append(errs, fmt.Errorf("netlab: removing leftover namespace %s: %w", e.Name(), err))
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), NamePrefix+"*-*"))
	for _, d := range dirs {
		if pid, ok := OwnerPID(filepath.Base(d)); ok && pid != os.Getpid() && !alive(pid) {
			_ = os.RemoveAll(d)
		}
	}
	return removed, errors.Join(errs...)
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
	return nsInode(filepath.Join(netnsDir, name))
}
