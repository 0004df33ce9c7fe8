package proc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupPrefix starts the name of every cgroup proc creates, under the
// cgroup lbcheck runs in: lbcheck-<pid>-<process name>-<random>.
const cgroupPrefix = "lbcheck-"

// cgroup is the cgroup v2 of one started process. The process is forked
// into it (CLONE_INTO_CGROUP), so everything it starts is in it too unless
// moved out on purpose; cgroup.kill kills all of them at once. The
// directory stays flock-ed while lbcheck uses it: a cgroup whose lock is
// free belongs to an lbcheck that died, and the next one removes it.
type cgroup struct {
	dir string
	f   *os.File // dir, open and locked
}

// parentCgroup returns the cgroup v2 directory lbcheck runs in, after
// removing the cgroups that dead lbcheck processes left in it (once per
// process).
var parentCgroup = sync.OnceValues(func() (string, error) {
	dir, err := ownCgroup()
	if err == nil {
		sweep(dir)
	}
	return dir, err
})

// ownCgroup finds this process's cgroup v2 directory.
func ownCgroup() (string, error) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("cgroup v2: %w", err)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("cgroup v2: %w", err)
	}
	return cgroupDir(string(self), string(mounts))
}

// cgroupDir finds the directory of the cgroup v2 named in self (the
// content of /proc/self/cgroup) under the cgroup2 mounts of mountinfo.
func cgroupDir(self, mountinfo string) (string, error) {
	own, ok := "", false
	for line := range strings.Lines(self) {
		if rest, found := strings.CutPrefix(strings.TrimSpace(line), "0::"); found {
			own, ok = rest, true
		}
	}
	if !ok {
		return "", errors.New("cgroup v2: this kernel has no unified cgroup hierarchy (no 0:: line in /proc/self/cgroup); lbcheck needs Linux ≥ 5.14 with cgroup v2 to contain target processes")
	}
	if slices.Contains(strings.Split(own, "/"), "..") {
		// cgroup_namespaces(7): a cgroup outside the namespace's root shows as /../…
		return "", fmt.Errorf("cgroup v2: this process's cgroup %s is outside the root of its cgroup namespace, where no mount shows it; start lbcheck inside the container (e.g. docker exec, not nsenter --cgroup, which enters the namespace but leaves the process in its old cgroup)", own)
	}
	for line := range strings.Lines(mountinfo) {
		// id parent major:minor root mountpoint options... - fstype source options
		pre, post, found := strings.Cut(line, " - ")
		f := strings.Fields(pre)
		if !found || len(f) < 5 || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		root, mnt := unescapeMount(f[3]), unescapeMount(f[4])
		if rel, ok := strings.CutPrefix(own, root); ok && (root == "/" || rel == "" || rel[0] == '/') {
			return filepath.Join(mnt, rel), nil
		}
	}
	return "", fmt.Errorf("cgroup v2 is not mounted where this process's cgroup %s is visible: lbcheck runs every target process in a cgroup of its own to kill all of it at stop; mount it, e.g. mount -t cgroup2 none /sys/fs/cgroup (hybrid systems: /sys/fs/cgroup/unified)", own)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// newCgroup creates and locks a cgroup for the process called name.
func newCgroup(name string) (*cgroup, error) {
	parent, err := parentCgroup()
	if err != nil {
		return nil, err
	}
	// Another lbcheck's sweep may take a fresh cgroup for a dead one's
	// between mkdir and flock, and remove it: try again with a new one.
	for range 3 {
		dir, err := os.MkdirTemp(parent, fmt.Sprintf("%s%d-%s-", cgroupPrefix, os.Getpid(), name))
		if err != nil {
			return nil, fmt.Errorf("creating a cgroup: %w (lbcheck runs every target process in a cgroup of its own; it needs write access to %s)", err, parent)
		}
		c, err := lockCgroup(dir)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err != nil {
			c.remove()
			return nil, fmt.Errorf("cgroup v2 has no cgroup.kill (%w): lbcheck needs Linux ≥ 5.14 to kill all processes of a target at once", err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("creating a cgroup under %s: another lbcheck removed it three times in a row; try again", parent)
}

// lockCgroup opens and locks dir. It returns nil, nil if someone else holds
// the lock or dir was removed before the lock was taken.
func lockCgroup(dir string) (*cgroup, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		f.Close()
		return nil, nil
	}
	opened, err1 := f.Stat()
	now, err2 := os.Stat(dir)
	if err1 != nil || err2 != nil || !os.SameFile(opened, now) {
		f.Close()
		return nil, nil
	}
	return &cgroup{dir: dir, f: f}, nil
}

// sweep kills and removes the cgroups in parent that lbcheck processes left
// when they died without stopping what they had started (killed with
// SIGKILL): those whose lock is free. Cgroups of live lbcheck processes, in
// any PID namespace, are locked and left alone.
func sweep(parent string) {
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), cgroupPrefix) {
			continue
		}
		if c, _ := lockCgroup(filepath.Join(parent, e.Name())); c != nil {
			_ = c.kill(killWait) // what cannot be killed now is tried again by the next sweep
			c.remove()
		}
	}
}

// fd is the cgroup directory's descriptor, for SysProcAttr.CgroupFD.
func (c *cgroup) fd() int { return int(c.f.Fd()) }

// killWait bounds the wait for killed processes to be gone.
const killWait = 2 * time.Second

// kill SIGKILLs every process in the cgroup and waits up to timeout until
// none is left.
func (c *cgroup) kill(timeout time.Duration) error {
	if err := os.WriteFile(filepath.Join(c.dir, "cgroup.kill"), []byte("1"), 0); err != nil {
		return fmt.Errorf("killing the processes of cgroup %s: %w", c.dir, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		ev, err := os.ReadFile(filepath.Join(c.dir, "cgroup.events"))
		if err != nil {
			return fmt.Errorf("cgroup %s: %w", c.dir, err)
		}
		if bytes.Contains(ev, []byte("populated 0\n")) {
			return nil
		}
		if time.Now().After(deadline) {
			pids, _ := os.ReadFile(filepath.Join(c.dir, "cgroup.procs"))
			return fmt.Errorf("processes %s of cgroup %s still run %v after SIGKILL (stuck in the kernel?)", strings.Join(strings.Fields(string(pids)), ", "), c.dir, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// remove removes the cgroup, empty of processes, with the cgroups its
// processes may have created in it, and releases its lock.
func (c *cgroup) remove() error {
	err := rmdirTree(c.dir)
	c.f.Close()
	if err != nil {
		return fmt.Errorf("removing cgroup %s: %w", c.dir, err)
	}
	return nil
}

// rmdirTree removes the cgroup dir and the cgroups under it, deepest first
// (a cgroup's directories are its child cgroups; its files go with it).
func rmdirTree(dir string) error {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			if err := rmdirTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// Preflight checks that processes can be contained: cgroup v2 with
// cgroup.kill, writable where lbcheck runs. It also kills and removes what
// dead lbcheck processes left there.
func Preflight() error {
	parent, err := parentCgroup()
	if err != nil {
		return err
	}
	sweep(parent)
	c, err := newCgroup("preflight")
	if err != nil {
		return err
	}
	return c.remove()
}
