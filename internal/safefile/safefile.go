// Package safefile opens the files lbcheck writes, and the captures it
// embeds, so that a link planted where a file goes cannot redirect it:
// lbcheck often runs as root (conform), and writes into directories other
// users may write to. ReadFile reads the users' input files: only regular
// files, up to a size, so that a FIFO or a device neither hangs lbcheck nor
// fills its memory.
//
// Create and Write open one output file as its caller names it, with
// O_NOFOLLOW: a symbolic link at the path's final component is a *LinkError
// naming it (the directories above are the caller's and may be links). A
// Dir is a directory lbcheck owns (conform --report DIR, a report's pcap/):
// it is an os.Root, so nothing reached through it lies outside it, and none
// of its entries is followed when it is a symbolic link, neither a file nor
// a subdirectory. In both cases an existing file is truncated only once it
// is known to be the entry named (no link was followed while opening it)
// and, when it is a regular file, to have no other hard link; a FIFO no
// process reads is an error, not a hang. Dir.Open reads only regular files
// with one hard link.
package safefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// LinkError reports a path lbcheck will not use because it is a symbolic
// link, or a regular file with more than one hard link (overwriting it would
// change the other names too; reading it may read a file from elsewhere).
type LinkError struct {
	Path string
	// Links is the file's hard link count; 0 for a symbolic link.
	Links uint64
}

func (e *LinkError) Error() string {
	if e.Links == 0 {
		return fmt.Sprintf("%s is a symbolic link, which lbcheck does not follow (it may run as root): remove the link or choose another path", e.Path)
	}
	return fmt.Sprintf("%s has %d hard links, so it may be a file from elsewhere (lbcheck may run as root): remove it or name another file", e.Path, e.Links)
}

// fsys is what opening needs from a directory: *os.Root inside a Dir, the
// process's view of the file system (osFS) for a path the caller names.
type fsys interface {
	Lstat(name string) (fs.FileInfo, error)
	OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error)
	OpenRoot(name string) (*os.Root, error)
	MkdirAll(name string, perm fs.FileMode) error
}

// osFS is fsys over path names as given.
type osFS struct{}

func (osFS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
func (osFS) OpenRoot(name string) (*os.Root, error)       { return os.OpenRoot(name) }
func (osFS) MkdirAll(name string, perm fs.FileMode) error { return os.MkdirAll(name, perm) }

// Create opens the file at path for writing (mode 0644 when it is new),
// empty. See the package documentation for what it refuses.
func Create(path string) (*os.File, error) {
	return create(osFS{}, path, path)
}

// Write creates the file at path (Create) and fills it with what render
// writes. Errors name the file.
func Write(path string, render func(io.Writer) error) error {
	return write(osFS{}, path, path, render)
}

// WriteBytes creates the file at path (Create) holding data.
func WriteBytes(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Dir is a directory lbcheck writes into or reads captures from.
type Dir struct {
	root *os.Root
	path string // as the caller named it, for messages
}

// MkDir opens the directory at path, creating it and its parents (mode
// 0755) when it does not exist. path itself must not be a symbolic link.
func MkDir(path string) (*Dir, error) {
	return openDir(osFS{}, path, path, true)
}

// OpenDir opens the existing directory at path, which must not be a
// symbolic link.
func OpenDir(path string) (*Dir, error) {
	return openDir(osFS{}, path, path, false)
}

// Path is the directory's path as its opener named it.
func (d *Dir) Path() string { return d.path }

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// MkDir opens the subdirectory name of d, creating it when it does not
// exist. name is one path element and must not be a symbolic link.
func (d *Dir) MkDir(name string) (*Dir, error) {
	if err := d.element(name); err != nil {
		return nil, err
	}
	return openDir(d.root, name, d.join(name), true)
}

// OpenDir opens the existing subdirectory name of d (one path element, not
// a symbolic link).
func (d *Dir) OpenDir(name string) (*Dir, error) {
	if err := d.element(name); err != nil {
		return nil, err
	}
	return openDir(d.root, name, d.join(name), false)
}

// Create opens the file name in d for writing, empty (see the package
// documentation). name is one path element.
func (d *Dir) Create(name string) (*os.File, error) {
	if err := d.element(name); err != nil {
		return nil, err
	}
	return create(d.root, name, d.join(name))
}

// Write creates the file name in d (Dir.Create) and fills it with what
// render writes. Errors name the file.
func (d *Dir) Write(name string, render func(io.Writer) error) error {
	if err := d.element(name); err != nil {
		return err
	}
	return write(d.root, name, d.join(name), render)
}

// Open opens the file name in d (one path element) for reading. It must be
// a regular file with one hard link: a symbolic link or a hard-linked file
// is a *LinkError, a FIFO, device or socket an error naming it, and none of
// them blocks.
func (d *Dir) Open(name string) (*os.File, error) {
	if err := d.element(name); err != nil {
		return nil, err
	}
	display := d.join(name)
	fi, err := lstatNoLink(d.root, name, display)
	if err == nil && fi != nil {
		err = regular(fi, display) // before opening: opening a device can act on it
	}
	if err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err = settle(d.root, f, name, display); err == nil {
		err = regular(fi, display)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// element checks that name is one path element inside d.
func (d *Dir) element(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return fmt.Errorf("%q is not a file name in %s", name, d.path)
	}
	return nil
}

func (d *Dir) join(name string) string { return filepath.Join(d.path, name) }

// lstatNoLink returns what name is, refusing a symbolic link; a missing
// name is (nil, nil).
func lstatNoLink(dir fsys, name, display string) (fs.FileInfo, error) {
	fi, err := dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, &LinkError{Path: display}
	}
	return fi, nil
}

// settle checks that the open file f is the entry name of dir now, so that
// opening it followed no symbolic link put there after lstatNoLink looked,
// and returns what it is.
func settle(dir fsys, f *os.File, name, display string) (fs.FileInfo, error) {
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	entry, err := lstatNoLink(dir, name, display)
	if err != nil {
		return nil, err
	}
	if entry == nil || !os.SameFile(opened, entry) {
		return nil, fmt.Errorf("%s was replaced while lbcheck opened it: make sure no other program writes there, and run again", display)
	}
	return opened, nil
}

func openDir(dir fsys, name, display string, mkdir bool) (*Dir, error) {
	fi, err := lstatNoLink(dir, name, display)
	if err != nil {
		return nil, err
	}
	if fi == nil && mkdir {
		if err := dir.MkdirAll(name, 0o755); err != nil {
			return nil, err
		}
	}
	root, err := dir.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	f, err := root.Open(".")
	if err == nil {
		_, err = settle(dir, f, name, display)
		f.Close()
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return &Dir{root: root, path: display}, nil
}

func create(dir fsys, name, display string) (*os.File, error) {
	if _, err := lstatNoLink(dir, name, display); err != nil {
		return nil, err
	}
	// No O_TRUNC: the file is emptied only after the checks. O_NOFOLLOW
	// makes the kernel refuse a link at name itself (an os.Root adds it
	// anyway, and settle catches a link it followed inside the root);
	// O_NONBLOCK makes a FIFO without a reader fail instead of block.
	f, err := dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return nil, &LinkError{Path: display}
	case errors.Is(err, syscall.ENXIO):
		return nil, fmt.Errorf("%s is a FIFO that no process is reading: start the reader first, or name a regular file", display)
	case err != nil:
		return nil, err
	}
	fi, err := settle(dir, f, name, display)
	if err == nil && fi.Mode().IsRegular() {
		if err = oneLink(fi, display); err == nil {
			err = f.Truncate(0)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func write(dir fsys, name, display string, render func(io.Writer) error) error {
	f, err := create(dir, name, display)
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("writing %s: %w", display, pe.Err)
	case err != nil:
		return err // names the file already
	}
	bw := bufio.NewWriter(f)
	err = render(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", display, err)
	}
	return nil
}

// oneLink refuses a file with more than one hard link.
func oneLink(fi fs.FileInfo, display string) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		return &LinkError{Path: display, Links: st.Nlink}
	}
	return nil
}

// regular refuses anything but a regular file with one hard link.
func regular(fi fs.FileInfo, display string) error {
	if fi.Mode().IsRegular() {
		return oneLink(fi, display)
	}
	return fmt.Errorf("%s is %s, not a regular file: lbcheck reads only regular files here", display, kind(fi.Mode()))
}

// kind names a file type that is not a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.String()
}
