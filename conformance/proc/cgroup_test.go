package proc

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestCgroupDir(t *testing.T) {
	const (
		v1     = "9:name=systemd:/\n4:memory:/x\n"
		hybrid = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
		pure   = "25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
	)
	for _, tc := range []struct {
		name, self, mountinfo string
		want                  string // or the error's start
	}{
		{"hybrid, root cgroup", v1 + "0::/\n", "22 1 0:20 / /proc rw - proc proc rw\n" + hybrid, "/sys/fs/cgroup/unified"},
		{"pure v2, a systemd scope", "0::/user.slice/session-1.scope\n", pure, "/sys/fs/cgroup/user.slice/session-1.scope"},
		{"a container's view: the mount root is its cgroup", "0::/docker/abc/sub\n",
			"30 1 0:22 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup/sub"},
		{"a mount root that only shares a prefix", "0::/docker/abcdef\n",
			"30 1 0:22 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "cgroup v2 is not mounted where"},
		{"escaped mount point", "0::/a\n", `30 1 0:22 / /mnt/cgroup\0402 rw - cgroup2 cgroup2 rw` + "\n", "/mnt/cgroup 2/a"},
		{"outside the cgroup namespace's root", "0::/../../user.slice\n", pure, "cgroup v2: this process's cgroup /../../user.slice is outside"},
		{"v1 only", v1, hybrid, "cgroup v2: this kernel has no unified"},
		{"not mounted", "0::/\n", "22 1 0:20 / /proc rw - proc proc rw\n", "cgroup v2 is not mounted where"},
	} {
		got, err := cgroupDir(tc.self, tc.mountinfo)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) || err == nil && got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzCgroupDir: for any /proc/self/cgroup and mountinfo, cgroupDir returns
// an error or a clean directory under the mount point of a cgroup2 line.
func FuzzCgroupDir(f *testing.F) {
	f.Add("0::/user.slice/session-1.scope\n", "25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n")
	f.Add("9:name=systemd:/\n0::/\n", "22 1 0:20 / /proc rw - proc proc rw\n41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
	f.Add("0::/docker/abc/sub\n", "30 1 0:22 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	f.Add("0::/a\n", `30 1 0:22 / /mnt/cgroup\0402 rw - cgroup2 cgroup2 rw`+"\n")
	f.Fuzz(func(t *testing.T, self, mountinfo string) {
		dir, err := cgroupDir(self, mountinfo)
		if err != nil {
			return
		}
		if dir != filepath.Clean(dir) {
			t.Fatalf("cgroupDir = %q, not a clean path", dir)
		}
		for line := range strings.Lines(mountinfo) {
			pre, post, _ := strings.Cut(line, " - ")
			if f := strings.Fields(pre); len(f) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
				if rel, err := filepath.Rel(unescapeMount(f[4]), dir); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
					return
				}
			}
		}
		t.Fatalf("cgroupDir = %q, under no cgroup2 mount point of %q", dir, mountinfo)
	})
}

// FuzzUnescapeMount: unescapeMount undoes the kernel's octal escapes of
// mountinfo (space, tab, newline and backslash) and never lengthens a field.
func FuzzUnescapeMount(f *testing.F) {
	f.Add(`/mnt/cgroup\0402`)
	f.Add("/a b\tc\\d\n")
	f.Add(`\\999\`)
	f.Fuzz(func(t *testing.T, s string) {
		if got := unescapeMount(s); len(got) > len(s) {
			t.Fatalf("unescapeMount(%q) = %q, longer", s, got)
		}
		var esc strings.Builder
		for _, b := range []byte(s) {
			if strings.IndexByte(" \t\n\\", b) >= 0 {
				fmt.Fprintf(&esc, "\\%03o", b)
			} else {
				esc.WriteByte(b)
			}
		}
		if got := unescapeMount(esc.String()); got != s {
			t.Fatalf("unescapeMount(%q) = %q, want %q", esc.String(), got, s)
		}
	})
}
