package safefile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte("vms: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(plain, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{plain, link} {
		if b, err := ReadFile(p, 64); err != nil || string(b) != "vms: []\n" {
			t.Errorf("ReadFile(%s) = %q, %v; want its content", p, b, err)
		}
	}
	if b, err := ReadFile(plain, 8); err != nil || len(b) != 8 {
		t.Errorf("ReadFile of exactly the limit = %q, %v", b, err)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 1<<40); err != nil { // sparse: nothing is stored
		t.Fatal(err)
	}
	_, err := ReadFile(big, 64<<20)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Path != big || !strings.Contains(err.Error(), "more than 64 MiB") {
		t.Errorf("ReadFile(1 TiB file) error %v, want a TooLargeError naming 64 MiB", err)
	}

	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock.yaml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for p, what := range map[string]string{fifo: "a FIFO", "/dev/zero": "a character device", sock: "a socket", dir: "a directory"} {
		_, err := ReadFile(p, 64<<20)
		if want := p + " is " + what + ", not a regular file"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ReadFile(%s) error %v, want %q", p, err, want)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) error %v, want not exist", err)
	}
}
