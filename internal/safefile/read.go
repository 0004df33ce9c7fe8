package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// TooLargeError reports an input file larger than its reader allows.
type TooLargeError struct {
	Path  string
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s holds more than %s, the most lbcheck reads from one input file: split it into several files", e.Path, size(e.Limit))
}

// ReadFile reads the input file at path, which may be reached through
// symbolic links (inputs are the user's, not written by lbcheck) but must
// be a regular file: a FIFO, device, socket or directory is an error naming
// it, checked before opening (opening a device can act on it) and again on
// the open file, and nothing blocks. A file of more than limit bytes is a
// *TooLargeError, found without reading more than limit+1 bytes (a file
// that grows while it is read, such as /proc files, is caught too). Every
// error starts with path.
func ReadFile(path string, limit int64) ([]byte, error) {
	b, err := readFile(path, limit)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("%s: %w", path, pe.Err)
	}
	return b, err
}

func readFile(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := input(fi, path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := input(fi, path); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return nil, err
	case int64(len(b)) > limit:
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return b, nil
}

// input refuses anything but a regular file, whatever its links.
func input(fi fs.FileInfo, path string) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s is %s, not a regular file: lbcheck reads only regular files (save what the program writes to a file and name that)", path, kind(fi.Mode()))
}

// size renders a byte count the way limits are written: 64 MiB, 512 KiB.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
