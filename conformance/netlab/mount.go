package netlab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RuntimeDir is lbcheck's runtime directory: the namespace mounts (NetnsDir)
// and the owner lock files of live runs.
const RuntimeDir = "/run/lbcheck"

// NetnsDir is where lbcheck bind-mounts its named namespaces (enter one with
// nsenter --net=NetnsDir/NAME). It is lbcheck's own directory, not iproute2's
// /run/netns: `ip netns add` bind-mounts /run/netns over itself when it is no
// mount point yet, and mounts made there before are then hidden and can no
// longer be removed (EBUSY).
const NetnsDir = RuntimeDir + "/netns"

// legacyNetnsDir is where lbcheck versions before NetnsDir mounted their
// namespaces; GC still collects their leftovers there.
const legacyNetnsDir = "/var/run/netns"

// threadNSPath names the network namespace of the calling thread. Unlike
// /proc/PID/task/TID it is right in a PID namespace whose /proc is its
// parent's.
const threadNSPath = "/proc/thread-self/ns/net"

// mountNetnsDir makes NetnsDir a shared mount point of its own, as iproute2
// does with /run/netns: bound onto itself once, so nothing else's mounts
// cover it, and shared, so that unmounting a namespace also unmounts the
// copies in mount namespaces cloned from this one. Other lbcheck processes
// wait on a lock: two binds at once would stack and hide the first one's
// namespaces.
func mountNetnsDir() error {
	if err := os.MkdirAll(NetnsDir, 0o755); err != nil {
		return fmt.Errorf("netlab: creating %s: %w", NetnsDir, err)
	}
	d, err := os.Open(RuntimeDir)
	if err != nil {
		return fmt.Errorf("netlab: %w", err)
	}
	defer d.Close() // releases the lock
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("netlab: locking %s: %w", RuntimeDir, err)
	}
	share := func() error { return unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, "") }
	err = share()
	if errors.Is(err, unix.EINVAL) { // not a mount point yet
		if err = unix.Mount(NetnsDir, NetnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = share()
		}
	}
	if err != nil {
		return fmt.Errorf("netlab: making %s a shared mount point: %w (lbcheck needs CAP_SYS_ADMIN and a writable /run)", NetnsDir, err)
	}
	return nil
}

// threadNS returns a handle to the calling thread's network namespace.
func threadNS() (netns.NsHandle, error) { return netns.GetFromPath(threadNSPath) }

// newNamed creates a network namespace, bind-mounts it at path and runs
// inside (if not nil) in it, on a locked thread that is moved back; the
// calling goroutine's thread is never touched. The name is created first
// and exclusively, so a name in use is an error before any namespace
// exists.
func newNamed(path string, inside func() error) (netns.NsHandle, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return netns.None(), err
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := threadNS()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		err = unix.Unshare(unix.CLONE_NEWNET)
		if err == nil {
			err = unix.Mount(threadNSPath, path, "none", unix.MS_BIND, "")
		}
		if err == nil && inside != nil {
			err = inside()
		}
		if rerr := netns.Set(orig); rerr != nil {
			// Leave the thread locked: the runtime terminates it when this
			// goroutine exits, so no goroutine ever runs in the wrong namespace.
			errc <- errors.Join(err, fmt.Errorf("restoring thread namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		_ = removeName(path)
		return netns.None(), err
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		_ = removeName(path)
	}
	return h, err
}

// removeName unmounts the namespace at path and removes the name. A name
// that is no mount point (left by a run killed between naming and mounting
// its namespace) is removed too. EBUSY means a mount on the name is hidden
// under another mount of its directory.
func removeName(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	return os.Remove(path)
}

// nsInode returns the inode of the namespace mounted at path (as shown in
// /proc/PID/ns/net); an error if no namespace is mounted there.
func nsInode(path string) (uint64, error) {
	var fst unix.Statfs_t
	if err := unix.Statfs(path, &fst); err != nil {
		return 0, err
	}
	if fst.Type != unix.NSFS_MAGIC {
		return 0, &fs.PathError{Op: "nsInode", Path: path, Err: errors.New("no namespace mounted here")}
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
