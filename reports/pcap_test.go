package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPcapsFromDirOnlyItsCaptures names captures a report must not embed:
// paths out of pcap/, links, special files. Each is named on the page, no
// byte of the file outside is embedded, and nothing blocks.
func TestPcapsFromDirOnlyItsCaptures(t *testing.T) {
	const secret = "root's secret"
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pcaps := filepath.Join(dir, PcapDir)
	if err := os.Mkdir(pcaps, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "beside.pcap"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(pcaps, "link.pcap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(pcaps, "hardlink.pcap")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(pcaps, "fifo.pcap"), 0o600); err != nil {
		t.Fatal(err)
	}
	zeroErr := unix.Mknod(filepath.Join(pcaps, "zero.pcap"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 5))) // as /dev/zero
	// A report whose pcap/ is a link to another directory.
	other := t.TempDir()
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(other, PcapDir)); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		dir, name, note string
	}{
		{dir, "beside.pcap", "is not in the report's pcap/ directory"},
		{dir, "pcap/../beside.pcap", "is not in the report's pcap/ directory"},
		{dir, "pcap/../../" + filepath.Base(filepath.Dir(outside)) + "/secret", "is not in the report's pcap/ directory"},
		{dir, outside, "is not in the report's pcap/ directory"},
		{dir, "pcap/", "is not a file name"},
		{dir, "pcap/link.pcap", "is a symbolic link"},
		{dir, "pcap/hardlink.pcap", "has 2 hard links"},
		{dir, "pcap/fifo.pcap", "is a FIFO, not a regular file"},
		{dir, "pcap/zero.pcap", "not a regular file"},
		{other, "pcap/secret", "is a symbolic link"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "pcap/zero.pcap" && zeroErr != nil {
				t.Skipf("cannot make a device node: %v", zeroErr)
			}
			r := &ConformanceReport{APIVersion: ConformanceAPIVersion, Kind: ConformanceKind,
				Cases: []CaseResult{{Name: "Hostile", Profile: "core", Status: StatusPassed, Pcap: tt.name}}}
			done := make(chan []byte, 1)
			go func() {
				var page bytes.Buffer
				if err := WriteConformanceHTML(&page, r, PcapsFromDir(tt.dir)); err != nil {
					t.Error(err)
				}
				done <- page.Bytes()
			}()
			var page []byte
			select {
			case page = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("rendering blocks")
			}
			doc := parseHTML(t, page)
			c := byID(t, doc, "case-Hostile")
			if n := len(findAll(c, sel("a", "download"))); n != 0 {
				t.Errorf("the capture is embedded")
			}
			if got := text(findAll(c, sel("p", "pcap"))[0]); !strings.Contains(got, tt.note) {
				t.Errorf("note %q lacks %q", got, tt.note)
			}
			if bytes.Contains(page, []byte("cm9vdCdzIHNlY3JldA")) { // base64 of the secret
				t.Errorf("the page embeds the secret")
			}
		})
	}
}
