package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/schema"
)

// TestGuestSnapshot runs the command in a fresh, unnamed network namespace,
// which holds only a loopback that is down and has no listeners, and loads
// the file it writes.
func TestGuestSnapshot(t *testing.T) {
	prereq.Root(t, "creating a network namespace")
	out := filepath.Join(t.TempDir(), "g.yaml")
	var stdout, stderr bytes.Buffer
	code := -1
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread and namespace end with the goroutine
		ns, err := netns.New()
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		code = run([]string{"guest", "snapshot", "--vm", "web-vm0", "-o", out}, &stdout, &stderr)
	}()
	<-done
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := schema.LoadBytes(out, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	g := d.Guest("web-vm0")
	if g == nil || g.OS != "linux" || len(g.Interfaces) != 1 || g.Interfaces[0].Name != "lo" || g.Interfaces[0].Kind != "loopback" || len(g.Listeners) != 0 {
		t.Errorf("guest = %+v\n%s", g, src)
	}
	if g != nil && g.Sysctls["net.ipv4.conf.lo.rp_filter"] == "" {
		t.Errorf("sysctls = %v", g.Sysctls)
	}
}

func TestGuestSnapshotUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"guest", "snapshot", "extra"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("exit %d, want %d for an extra argument", code, exitUsage)
	}
}
