package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/schema"
)

// publicCopy copies the lbcheck binary into a directory any user may read,
// with a target config for `forward`, and returns both paths.
func publicCopy(t *testing.T) (bin, cfg string) {
	t.Helper()
	src, err := lbbin.Path()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "lbcheck-privileges-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	bin = filepath.Join(dir, "lbcheck")
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	d, _, err := schema.LoadBytes("deploy.yaml", []byte(strings.Replace(userDeployment, "LOOPBACK", "203.0.113.60/32", 1)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(&contract.Config{Deployment: d, EncapPort: topo.EncapPort, ControlPort: topo.ControlPort,
		Mux: contract.Mux{Address: "198.51.100.2", MAC: "02:00:00:02:00:00", Iface: "eth0"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return bin, cfg
}

// TestPrivilegesNamed runs `lbcheck conform` and `lbcheck forward` as the
// unprivileged user nobody and as root without the capabilities they need
// (dropped from the bounding set with setpriv), and checks each exits 2
// naming the missing capability. Nothing gets far enough to create a
// namespace or open a socket.
func TestPrivilegesNamed(t *testing.T) {
	prereq.Root(t, "running the binary as another user and with dropped capabilities")
	bin, cfg := publicCopy(t)
	setpriv, setprivErr := exec.LookPath("setpriv")
	nobody := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	for _, tt := range []struct {
		name string
		drop string // capabilities setpriv drops from root's bounding set; "" = run as nobody
		args []string
		want []string
	}{
		{"conform as nobody", "", []string{"conform"}, []string{"run it as root", "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_NET_RAW"}},
		{"conform as root without CAP_NET_ADMIN", "-net_admin", []string{"conform"}, []string{"conformance needs CAP_NET_ADMIN (run as root)"}},
		{"conform as root without any", "-net_admin,-sys_admin,-net_raw", []string{"conform"}, []string{"conformance needs CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW"}},
		{"forward as nobody", "", []string{"forward", "--role", "mux", "--config", cfg}, []string{"forward needs CAP_NET_RAW", "run it as root"}},
		{"forward as root without CAP_NET_RAW", "-net_raw", []string{"forward", "--role", "host", "--config", cfg}, []string{"forward needs CAP_NET_RAW"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			if tt.drop == "" {
				cmd.SysProcAttr = nobody
			} else {
				if setprivErr != nil {
					t.Skipf("setpriv (util-linux) is needed to drop capabilities: %v", setprivErr)
				}
				cmd = exec.Command(setpriv, append([]string{"--bounding-set", tt.drop, "--inh-caps=-all", "--", bin}, tt.args...)...)
			}
			cmd.Dir = filepath.Dir(bin)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
				t.Fatalf("exit: %v, want status %d\nstdout: %s\nstderr: %s", err, exitUsage, out, &stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", stderr.String(), w)
				}
			}
			if len(out) > 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}
