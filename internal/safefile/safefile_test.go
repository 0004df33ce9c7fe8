package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const secret = "outside the output directory\n"

// outside is a file that no write through a link may change.
func outside(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func unchanged(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != secret {
		t.Errorf("%s changed: %q, %v", path, b, err)
	}
}

func hello(w io.Writer) error {
	_, err := io.WriteString(w, "hello\n")
	return err
}

func wantLinkError(t *testing.T, err error, path string, links uint64) {
	t.Helper()
	var le *LinkError
	if !errors.As(err, &le) || le.Path != path || le.Links != links {
		t.Fatalf("error %v, want a LinkError for %s with %d links", err, path, links)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "remove") {
		t.Errorf("error %q should name %s and say what to do", err, path)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		ok    bool                            // the write succeeds
		setup func(t *testing.T, path string) // what is at path before the write
		links uint64                          // the LinkError's hard link count
	}{
		{name: "new file", ok: true},
		{name: "existing file is emptied first", ok: true, setup: func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(strings.Repeat("old content\n", 10)), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "symbolic link to a file outside", setup: func(t *testing.T, p string) {
			target := outside(t)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unchanged(t, target) })
		}},
		{name: "dangling symbolic link", setup: func(t *testing.T, p string) {
			target := filepath.Join(t.TempDir(), "created-through-the-link")
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the write created %s through the link (%v)", target, err)
				}
			})
		}},
		{name: "hard link to a file outside", links: 2, setup: func(t *testing.T, p string) {
			target := outside(t)
			if err := os.Link(target, p); err != nil {
				t.Skipf("cannot hard-link across temp dirs: %v", err)
			}
			t.Cleanup(func() { unchanged(t, target) })
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if tt.setup != nil {
				tt.setup(t, path)
			}
			err := Write(path, hello)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := os.ReadFile(path); string(b) != "hello\n" {
					t.Errorf("file holds %q, want hello", b)
				}
				return
			}
			wantLinkError(t, err, path, tt.links)
		})
	}
}

func TestCreateSpecialFiles(t *testing.T) {
	if err := Write(os.DevNull, hello); err != nil {
		t.Errorf("writing %s: %v", os.DevNull, err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Write(fifo, hello) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no process is reading") {
			t.Errorf("writing a FIFO nobody reads: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writing a FIFO nobody reads blocks")
	}
	if err := Write(t.TempDir(), hello); err == nil || !strings.Contains(err.Error(), "writing ") {
		t.Errorf("writing a directory: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing", "x")
	if err := Write(missing, hello); err == nil || err.Error() != "writing "+missing+": no such file or directory" {
		t.Errorf("writing into a missing directory: %v", err)
	}
}

// TestDirLinks plants links where conform --report DIR writes and checks
// that nothing outside DIR changes and each link is named.
func TestDirLinks(t *testing.T) {
	base := t.TempDir()
	report := filepath.Join(base, "report")
	d, err := MkDir(report)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	target := outside(t)
	elsewhere := filepath.Dir(target)
	inside := filepath.Join(report, "inside")
	if err := os.WriteFile(inside, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, to := range map[string]string{
		"report.json": target, "report.html": "inside", "escape.html": "../../" + filepath.Base(elsewhere) + "/secret",
		"pcap": elsewhere, "here": ".",
	} {
		if err := os.Symlink(to, filepath.Join(report, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"report.json", "report.html", "escape.html"} {
		wantLinkError(t, d.Write(name, hello), filepath.Join(report, name), 0)
		_, err := d.Create(name)
		wantLinkError(t, err, filepath.Join(report, name), 0)
	}
	for _, name := range []string{"pcap", "here"} {
		_, err := d.MkDir(name)
		wantLinkError(t, err, filepath.Join(report, name), 0)
		_, err = d.OpenDir(name)
		wantLinkError(t, err, filepath.Join(report, name), 0)
	}
	unchanged(t, target)
	unchanged(t, inside)
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 1 {
		t.Errorf("%s has %d entries, want only secret", elsewhere, len(entries))
	}
	for _, name := range []string{"", ".", "..", "../x", "pcap/x", "/etc/passwd"} {
		if err := d.Write(name, hello); err == nil || !strings.Contains(err.Error(), "is not a file name in "+report) {
			t.Errorf("Write(%q): %v", name, err)
		}
	}

	// The directory itself, when it is a link.
	linked := filepath.Join(base, "linked")
	if err := os.Symlink(elsewhere, linked); err != nil {
		t.Fatal(err)
	}
	_, err = MkDir(linked)
	wantLinkError(t, err, linked, 0)
	_, err = OpenDir(linked)
	wantLinkError(t, err, linked, 0)

	// A real subdirectory works, and is created when missing.
	pcaps, err := d.MkDir("pcaps")
	if err != nil {
		t.Fatal(err)
	}
	defer pcaps.Close()
	if err := pcaps.Write("case.pcapng", hello); err != nil {
		t.Fatal(err)
	}
	if pcaps.Path() != filepath.Join(report, "pcaps") {
		t.Errorf("Path %q", pcaps.Path())
	}
	if b, _ := os.ReadFile(filepath.Join(report, "pcaps", "case.pcapng")); string(b) != "hello\n" {
		t.Errorf("capture holds %q", b)
	}
	if _, err := OpenDir(filepath.Join(base, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenDir of a missing directory: %v", err)
	}
}

func TestDirOpen(t *testing.T) {
	d, err := MkDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Write("regular", hello); err != nil {
		t.Fatal(err)
	}
	at := func(name string) string { return filepath.Join(d.Path(), name) }
	if err := syscall.Mkfifo(at("fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("regular", at("link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(at("dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := d.Open("regular")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(f); string(b) != "hello\n" {
		t.Errorf("read %q", b)
	}
	f.Close()
	_, err = d.Open("link")
	wantLinkError(t, err, at("link"), 0)
	for name, want := range map[string]string{"fifo": "is a FIFO, not a regular file", "dir": "is a directory, not a regular file"} {
		done := make(chan error, 1)
		go func() {
			f, err := d.Open(name)
			if err == nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), at(name)+" "+want) {
				t.Errorf("Open(%s): %v, want %q", name, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Open(%s) blocks", name)
		}
	}
	if _, err := d.Open("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing): %v", err)
	}
}

// TestSettle is the race the checks after opening catch: the entry is
// replaced between the look and the open.
func TestSettle(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := settle(osFS{}, f, p, p); err != nil {
		t.Fatalf("unchanged entry: %v", err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := settle(osFS{}, f, p, p); err == nil || !strings.Contains(err.Error(), "was replaced while lbcheck opened it") {
		t.Errorf("replaced entry: %v", err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside(t), p); err != nil {
		t.Fatal(err)
	}
	_, err = settle(osFS{}, f, p, p)
	wantLinkError(t, err, p, 0)
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"FloatingIPOnDestination":    "FloatingIPOnDestination",
		"RuleDeliversToPool[a.yaml]": "RuleDeliversToPool_a.yaml_",
		"../../etc/passwd":           ".._.._etc_passwd",
		"my lb\n\tv2":                "my_lb_v2",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
