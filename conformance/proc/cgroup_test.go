package proc

import (
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
