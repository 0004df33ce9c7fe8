package reports

import (
	"io"
	"os"
)

// PcapsFromDir returns a PcapSource that reads captures relative to dir (the
// report's directory). Names cannot escape dir, and captures over
// MaxInlinePcap are not read: they yield a *PcapTooLargeError.
func PcapsFromDir(dir string) PcapSource {
	return func(name string) ([]byte, error) {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		f, err := root.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if fi.Size() > MaxInlinePcap {
			return nil, &PcapTooLargeError{Name: name, Size: fi.Size()}
		}
		return io.ReadAll(io.LimitReader(f, MaxInlinePcap+1))
	}
}
