package netlab

import (
	"bytes"
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
// "lbc<pid hex>-...". ok is false for names lbcheck did not create. The PID
// decides ownership only for leftovers of older versions (see GC).
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

// GC removes namespaces and run directories left behind by lbcheck runs
// whose owner process is dead (killed with SIGKILL, crashed), after killing
// the processes still inside those namespaces. Namespaces of live owners,
// including this process, are never touched. It returns the removed
// namespace names.
//
// A run's owner is its lock file in RuntimeDir/owners, locked (flock) by the
// owner for as long as it lives: when GC can lock it, the owner is dead, in
// whatever PID or mount namespace it ran. GC holds that lock while it removes
// the run's namespaces (NetnsDir/PREFIX-*) and directories (TMPDIR/PREFIX,
// TMPDIR/PREFIX-*), then deletes the file. A name under NetnsDir without a
// lock file is left over from a GC or Close that did not finish: removed.
//
// Versions before the lock files mounted namespaces in /var/run/netns and
// named run directories after the owner's PID alone; those are removed when
// that PID is not alive here. The check means nothing when /proc is another
// PID namespace's (this process in a child PID namespace), so GC then leaves
// them alone; it cannot tell a live run in a sibling PID namespace from a
// dead one. Names hidden by a later bind mount of /var/run/netns over itself
// cannot be removed (EBUSY) and are left too.
func GC() ([]string, error) {
	var g collector
	g.deadOwners()
	g.unowned()
	if pidsAreOurs() {
		g.legacy()
	}
	return g.removed, errors.Join(g.errs...)
}

type collector struct {
	removed []string
	errs    []error
}

// deadOwners collects the runs whose owner file GC can lock.
func (g *collector) deadOwners() {
	ents, _ := os.ReadDir(ownersDir)
	for _, e := range ents {
		prefix := e.Name()
		if key, ok := ownerKey(prefix); !ok || key != prefix {
			continue
		}
		f := lockDead(prefix)
		if f == nil {
			continue
		}
		n := len(g.errs)
		names, _ := filepath.Glob(filepath.Join(NetnsDir, prefix+"-*"))
		for _, path := range names {
			g.removeNS(path, false)
		}
		g.removeDirs(prefix)
		if len(g.errs) == n { // else keep the file: the next GC tries again
			_ = os.Remove(lockPath(prefix))
		}
		f.Close()
	}
}

// unowned collects names under NetnsDir whose prefix has no owner file.
func (g *collector) unowned() {
	ents, _ := os.ReadDir(NetnsDir)
	for _, e := range ents {
		prefix, ok := ownerKey(e.Name())
		if !ok {
			continue
		}
		if _, err := os.Lstat(lockPath(prefix)); errors.Is(err, os.ErrNotExist) {
			g.removeNS(filepath.Join(NetnsDir, e.Name()), false)
		}
	}
}

// legacy collects what older versions left: namespaces in /var/run/netns
// and run directories without an owner file, both owned by a PID.
func (g *collector) legacy() {
	deadPID := func(name string) bool {
		pid, ok := OwnerPID(name)
		return ok && pid != os.Getpid() && !alive(pid)
	}
	ents, _ := os.ReadDir(legacyNetnsDir)
	for _, e := range ents {
		if deadPID(e.Name()) {
			g.removeNS(filepath.Join(legacyNetnsDir, e.Name()), true)
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), NamePrefix+"*-*"))
	for _, d := range dirs {
		prefix, ok := ownerKey(filepath.Base(d))
		if !ok || !deadPID(prefix) {
			continue
		}
		if _, err := os.Lstat(lockPath(prefix)); errors.Is(err, os.ErrNotExist) {
			_ = os.RemoveAll(d)
		}
	}
}

// removeNS kills the processes in the namespace mounted at path and removes
// the name. hidden tolerates EBUSY (see GC).
func (g *collector) removeNS(path string, hidden bool) {
	if ino, err := nsInode(path); err == nil {
		killInNS(ino, filepath.Base(path))
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

// removeDirs removes a dead run's directories under os.TempDir.
func (g *collector) removeDirs(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"-*"))
	for _, d := range append(dirs, filepath.Join(os.TempDir(), prefix)) {
		if err := os.RemoveAll(d); err != nil {
			g.errs = append(g.errs, fmt.Errorf("netlab: removing leftover run directory: %w", err))
		}
	}
}

// alive reports whether a process with this PID exists. A PID reused by an
// unrelated process counts as alive: GC errs on the side of keeping.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// pidsAreOurs reports whether /proc numbers processes as this process's
// PID namespace does.
func pidsAreOurs() bool {
	self, err := os.Readlink("/proc/self")
	return err == nil && self == strconv.Itoa(os.Getpid())
}

// Proc is a process found inside a lab's namespace.
type Proc struct {
	PID  int    // as /proc numbers it
	Comm string // its command name (/proc/PID/comm)
	NS   string // the namespace's name
}

// String returns "PID (comm) in NS".
func (p Proc) String() string { return fmt.Sprintf("%d (%s) in %s", p.PID, p.Comm, p.NS) }

// ProcsInNS returns the PIDs (as /proc numbers them) of processes whose
// network namespace has the given nsfs inode. This process is never
// included.
func ProcsInNS(ino uint64) []int {
	want := fmt.Sprintf("net:[%d]", ino)
	self, _ := os.Readlink("/proc/self")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || e.Name() == self {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/net"); err == nil && l == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killInNS SIGKILLs every process inside the namespace named name (nsfs
// inode ino), waits (at most two seconds) until none is left and returns
// the processes it signalled.
func killInNS(ino uint64, name string) []Proc {
	var killed []Proc
	seen := map[int]bool{}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		pids := ProcsInNS(ino)
		if len(pids) == 0 || time.Now().After(deadline) {
			return killed
		}
		for _, pid := range pids {
			if comm, ok := killIn(pid, ino); ok && !seen[pid] {
				seen[pid] = true
				killed = append(killed, Proc{PID: pid, Comm: comm, NS: name})
			}
		}
	}
}

// killIn SIGKILLs process pid if it is still in the namespace with inode
// ino and returns its command name. It signals through a /proc/PID
// directory descriptor (pidfd_send_signal), so a PID reused meanwhile, or
// numbered by another PID namespace's /proc, never kills another process.
func killIn(pid int, ino uint64) (comm string, ok bool) {
	dir, err := unix.Open("/proc/"+strconv.Itoa(pid), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(dir)
	buf := make([]byte, 64)
	n, err := unix.Readlinkat(dir, "ns/net", buf)
	if err != nil || string(buf[:n]) != fmt.Sprintf("net:[%d]", ino) {
		return "", false
	}
	if fd, err := unix.Openat(dir, "comm", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		n, _ := unix.Read(fd, buf)
		comm = string(bytes.TrimSpace(buf[:max(n, 0)]))
		unix.Close(fd)
	}
	err = unix.PidfdSendSignal(dir, unix.SIGKILL, nil, 0)
	if errors.Is(err, unix.ENOSYS) && pidsAreOurs() { // Linux before 5.1
		err = unix.Kill(pid, unix.SIGKILL)
	}
	return comm, err == nil
}

// NSInode returns the nsfs inode of the named namespace (as shown in
// /proc/PID/ns/net), for tests and diagnostics.
func NSInode(name string) (uint64, error) {
	return nsInode(filepath.Join(NetnsDir, name))
}
