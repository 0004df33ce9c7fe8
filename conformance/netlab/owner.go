package netlab

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ownersDir holds one lock file per run prefix. The owner of a prefix holds
// an exclusive flock on its file for as long as it lives; the kernel drops
// the lock when the owner dies, however it dies. This is what GC asks, never
// a PID: a PID means nothing to a process in another PID namespace.
const ownersDir = RuntimeDir + "/owners"

// owner is a claimed run prefix: its lock file, held open and locked.
type owner struct {
	prefix string
	f      *os.File
}

func lockPath(prefix string) string { return filepath.Join(ownersDir, prefix) }

// claim picks a fresh prefix "lbc<pid hex>-<4 random base36 chars>" and
// locks its owner file. The file is created exclusively, so two runs never
// share a prefix, whatever PID namespace they are in.
func claim() (*owner, error) {
	if err := os.MkdirAll(ownersDir, 0o755); err != nil {
		return nil, fmt.Errorf("netlab: creating %s: %w", ownersDir, err)
	}
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	for range 16 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		for i := range b {
			b[i] = alphabet[int(b[i])%len(alphabet)]
		}
		prefix := fmt.Sprintf("%s%x-%s", NamePrefix, os.Getpid(), b[:])
		path := lockPath(prefix)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("netlab: creating owner lock %s: %w", path, err)
		}
		if lock(f, path) {
			return &owner{prefix: prefix, f: f}, nil
		}
		// A GC took the new file for a dead owner's (it had no lock yet)
		// and is removing it: try another prefix.
		f.Close()
	}
	return nil, fmt.Errorf("netlab: could not create and lock an owner file in %s in 16 tries: does its file system support flock?", ownersDir)
}

// lock takes f's exclusive lock without waiting and reports whether it got
// it while path still names f: a GC unlinks a dead owner's file while it
// holds the lock, so a lock on a file no longer at path protects nothing.
func lock(f *os.File, path string) bool {
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false
	}
	var held, named unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Stat(path, &named) != nil {
		return false
	}
	return held.Dev == named.Dev && held.Ino == named.Ino
}

// lockDead locks the owner file of prefix if its owner is dead and returns
// it (nil: the owner lives, or the file is gone).
func lockDead(prefix string) *os.File {
	path := lockPath(prefix)
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	if !lock(f, path) {
		f.Close()
		return nil
	}
	return f
}

// release gives the prefix up. With remove, the lock file is deleted first
// (everything the prefix named is gone); without, it stays unlocked so that
// the next GC collects what is left.
func (o *owner) release(remove bool) error {
	var err error
	if remove {
		if err = os.Remove(lockPath(o.prefix)); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	return errors.Join(err, o.f.Close())
}

// ownerKey returns the run prefix a namespace, run directory or owner file
// name starts with: "lbc1f3a-k2x9" for "lbc1f3a-k2x9-mux". ok is false for
// names lbcheck did not create.
func ownerKey(name string) (key string, ok bool) {
	if _, ok := OwnerPID(name); !ok {
		return "", false
	}
	head, rest, _ := strings.Cut(name, "-")
	random, _, _ := strings.Cut(rest, "-")
	if random == "" {
		return "", false
	}
	return head + "-" + random, true
}

// process is the prefix this process owns until it exits (for TempDir).
var process struct {
	once sync.Once
	o    *owner
	err  error
}

// TempDir creates a new directory under os.TempDir named after a prefix
// this process owns until it exits ("lbc<pid hex>-<random>-<pattern>..."),
// so GC leaves it alone while the process lives and removes it afterwards.
// lbbin builds the lbcheck binary that tests run into one.
func TempDir(pattern string) (string, error) {
	process.once.Do(func() { process.o, process.err = claim() })
	if process.err != nil {
		return "", process.err
	}
	return os.MkdirTemp("", process.o.prefix+"-"+pattern)
}
