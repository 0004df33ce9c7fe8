package reports

import (
	"bytes"
	"fmt"
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

// TestPcapsTotalLimit: captures each under MaxInlinePcap are embedded until
// together they would pass MaxInlinePcapTotal; the rest are named.
func TestPcapsTotalLimit(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, PcapDir), 0o755); err != nil {
		t.Fatal(err)
	}
	const each = MaxInlinePcap - 1<<10
	fit := MaxInlinePcapTotal / each
	r := &ConformanceReport{APIVersion: ConformanceAPIVersion, Kind: ConformanceKind}
	for i := range fit + 3 {
		name := fmt.Sprintf("Case%02d", i)
		if err := os.WriteFile(filepath.Join(dir, PcapDir, name+".pcap"), make([]byte, each), 0o644); err != nil {
			t.Fatal(err)
		}
		r.Cases = append(r.Cases, CaseResult{Name: name, Profile: "core", Status: StatusPassed, Pcap: PcapDir + "/" + name + ".pcap"})
	}
	var page bytes.Buffer
	if err := WriteConformanceHTML(&page, r, PcapsFromDir(dir)); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, page.Bytes())
	for i, c := range r.Cases {
		n := byID(t, doc, "case-"+c.Name)
		embedded := len(findAll(n, sel("a", "download"))) == 1
		if embedded != (i < fit) {
			t.Errorf("%s embedded: %v, want %v (%d of %d bytes fit)", c.Name, embedded, i < fit, fit, MaxInlinePcapTotal)
		}
		if !embedded {
			if got := text(findAll(n, sel("p", "pcap"))[0]); !strings.Contains(got, "over their 16.0 MiB limit") {
				t.Errorf("%s: note %q", c.Name, got)
			}
		}
	}
	if max := MaxInlinePcapTotal*4/3 + 1<<20; page.Len() > max {
		t.Errorf("page is %d bytes, want at most %d", page.Len(), max)
	}
}
