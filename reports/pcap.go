package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/lbcheck/lbcheck/internal/safefile"
)

// PcapDir is the directory of a report's captures, next to its JSON file:
// conform --report DIR writes DIR/pcap/<case>.pcapng and names it
// "pcap/<case>.pcapng" in the case's result.
const PcapDir = "pcap"

// PcapsFromDir returns a PcapSource that reads the captures of the report in
// dir. A capture must be named PcapDir/FILE and be a regular file in dir's
// PcapDir directory; neither that directory nor the file may be a symbolic
// link (safefile.Dir), so a report cannot embed a file from anywhere else,
// and a FIFO or device is an error, not a hang. Captures over MaxInlinePcap
// are not read: they yield a *PcapTooLargeError.
func PcapsFromDir(dir string) PcapSource {
	return func(name string) ([]byte, error) {
		file, ok := strings.CutPrefix(name, PcapDir+"/")
		if !ok || strings.Contains(file, "/") {
			return nil, fmt.Errorf("capture %s is not in the report's %s/ directory: lbcheck embeds captures only from there", name, PcapDir)
		}
		report, err := safefile.OpenDir(dir)
		if err != nil {
			return nil, err
		}
		defer report.Close()
		pcaps, err := report.OpenDir(PcapDir)
		if err != nil {
			return nil, err
		}
		defer pcaps.Close()
		f, err := pcaps.Open(file)
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
