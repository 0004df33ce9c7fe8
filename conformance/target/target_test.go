package target

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/lbbin"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/schema"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		file, src string
		want      string // fmt of the manifest
	}{
		{"t.yaml", "name: myimpl\nversion: 1.2\nmux: {command: [\"/usr/bin/mylb\", \"--mux\"]}\nhost: {command: [mylb, --host]}\ntimeouts: {ready: 3s, deliver: 500ms}\nenv: {MYLB_LOG: debug}\nfeatures: [consistent-hashing]\n",
			"myimpl 1.2 [/usr/bin/mylb --mux] [mylb --host] 3s 2s 500ms [MYLB_LOG=debug] [consistent-hashing]"},
		{"t.json", `{"name":"j","mux":{"command":["a"]},"host":{"command":["b"]},"timeouts":{"stop":"500ms"}}`,
			"j  [a] [b] 10s 500ms 2s [] []"},
		{"t.cue", "name: \"c\"\nversion: \"2\"\nmux: command: [\"a\"]\nhost: command: [\"b\", \"x\"]\n",
			"c 2 [a] [b x] 10s 2s 2s [] []"},
	} {
		m, err := Parse(tc.file, []byte(tc.src))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		got := fmt.Sprintf("%s %s %v %v %v %v %v %v %v", m.Name, m.Version, m.Mux.Command, m.Host.Command, m.Timeouts.Ready, m.Timeouts.Stop, m.Timeouts.Deliver, m.Env, m.Features)
		if got != tc.want {
			t.Errorf("%s: got %s\nwant %s", tc.file, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"no host", "name: x\nmux: {command: [a]}\n", "host"},
		{"empty command", "name: x\nmux: {command: []}\nhost: {command: [b]}\n", "mux.command"},
		{"unknown field", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\nreadytimeout: 1s\n", "readytimeout"},
		{"bad duration", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\ntimeouts: {ready: soon}\n", "timeouts.ready"},
		{"unknown timeout", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\ntimeouts: {forever: 1s}\n", "forever"},
		{"zero timeout", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\ntimeouts: {deliver: 0s}\n", "deliver"},
		{"old spelling", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\nreadyTimeout: 1s\n", "readyTimeout is now timeouts: {ready: ...}"},
		{"reserved env", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\nenv: {LBCHECK_ROLE: mux}\n", "set by the runner"},
		{"yaml syntax", "name: [x\n", "t.yaml"},
		{"unknown feature", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\nfeatures: [teleport]\n", "features"},
		{"core feature", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\nfeatures: [floating-ip]\n", `feature "floating-ip" is core`},
		{"twice", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\nfeatures: [ha-ports, health-probe, ha-ports]\n", `"ha-ports" declared twice`},
	} {
		_, err := Parse("t.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// TestParseLineBreaks: every line break the YAML parser knows (a lone CR
// made Parse panic on "\r\r0") is read as a line break, in UTF-8 and in
// UTF-16, with the parser's line numbers; never a panic.
func TestParseLineBreaks(t *testing.T) {
	ok := "name: x\nmux: {command: [a]}\nhost: {command: [b]}\n"
	utf16le := func(s string) string {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return string(b)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"lone CRs", "\r\r0", "target manifest"},
		{"CR lines", strings.ReplaceAll(ok, "\n", "\r"), ""},
		{"CRLF lines", strings.ReplaceAll(ok, "\n", "\r\n"), ""},
		{"NEL lines", strings.ReplaceAll(ok, "\n", "\u0085"), ""},
		{"LS lines", strings.ReplaceAll(ok, "\n", "\u2028"), ""},
		{"PS lines", strings.ReplaceAll(ok, "\n", "\u2029"), ""},
		{"UTF-16LE CR lines", utf16le(strings.ReplaceAll(ok, "\n", "\r")), ""},
		{"CR before an error", "name: x\r\rmux: [\n", "t.yaml:3"},
		{"LS before an error", "name: x\u2028\u20280", "t.yaml:3"},
		{"UTF-16LE lone CRs", "\xff\xfe\r\x00\r\x000\x00", "target manifest"},
		{"UTF-16BE lone CRs", "\xfe\xff\x00\r\x00\r\x000", "target manifest"},
	} {
		m, err := Parse("t.yaml", []byte(tc.src))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && (m.Name != "x" || m.Mux.Command[0] != "a" || m.Host.Command[0] != "b"):
			t.Errorf("%s: got %+v", tc.name, m)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadRelativeCommand(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "target.yaml")
	os.WriteFile(p, []byte("name: x\nmux: {command: [./bin/lb, --mux]}\nhost: {command: [lb]}\n"), 0o644)
	m, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Mux.Command[0] != filepath.Join(dir, "bin/lb") || m.Host.Command[0] != "lb" {
		t.Errorf("commands = %v %v", m.Mux.Command, m.Host.Command)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing manifest loaded")
	}
}

func TestRef(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lbcheck")
	}
	bin, err := lbbin.Path()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Resolve("ref")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.Mux.Command, m.Host.Command); got != fmt.Sprintf("[%s forward --role mux] [%s forward --role host]", bin, bin) {
		t.Errorf("ref commands = %s", got)
	}
}

// fake writes a fake target script and returns its path.
func fake(t *testing.T, dir, name, body string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	good     = `env | grep '^LBCHECK_' | sort; readlink /proc/self/ns/net; echo ready; trap 'exit 0' TERM; while :; do sleep 0.05; done`
	crash    = `echo "mylb: cannot open AF_PACKET socket: operation not permitted" >&2; exit 3`
	silent   = `echo "mylb: waiting for config" >&2; sleep 30`
	stubborn = `trap '' TERM; echo ready; while :; do sleep 0.05; done`
	dies     = `echo ready; sleep 0.2; echo "mylb: flow table corrupt" >&2; exit 4`
)

func topology(t *testing.T) *topo.Topology {
	labtest.RequireRoot(t)
	vm := func(n, ip string) *schema.VM {
		return &schema.VM{Name: n, NetworkInterfaces: []*schema.NetworkInterface{{Name: "nic", IPConfigurations: []*schema.IPConfig{{Name: "ipc", PrivateIPAddress: ip, Primary: true}}}}}
	}
	d := &schema.Deployment{
		LoadBalancers: []*schema.LoadBalancer{{Name: "lb",
			FrontendIPConfigurations: []*schema.Frontend{{Name: "fe", IPAddress: "203.0.113.10"}},
			BackendAddressPools:      []*schema.BackendPool{{Name: "p", Members: []*schema.PoolMember{{VM: "a", IPConfiguration: "ipc"}, {VM: "b", IPConfiguration: "ipc"}}}},
			LoadBalancingRules: []*schema.Rule{{Name: "web", FrontendIPConfiguration: "fe", BackendAddressPool: "p",
				Protocol: "Tcp", FrontendPort: 80, BackendPort: 80}},
		}},
		VMs: []*schema.VM{vm("a", "10.0.0.4"), vm("b", "10.0.0.5")},
	}
	top, err := topo.Build(d, topo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { top.Close() })
	return top
}

// noProcs fails t if any process runs in the topology: the target is
// stopped, and the guests' responders are goroutines of this test.
func noProcs(t *testing.T, top *topo.Topology) {
	t.Helper()
	for _, n := range top.Lab.Namespaces() {
		ino, _ := netlab.NSInode(n.Name)
		if left := netlab.ProcsInNS(ino); len(left) > 0 {
			t.Errorf("processes left in %s: %v", n.Role, left)
		}
	}
}

func TestStartAllContract(t *testing.T) {
	top := topology(t)
	dir := t.TempDir()
	m := &Manifest{Name: "fake", Mux: Role{[]string{fake(t, dir, "good.sh", good)}}, Host: Role{[]string{fake(t, dir, "good.sh", good)}},
		Timeouts: Timeouts{Ready: 5 * time.Second, Stop: time.Second}, Env: []string{"MYLB_LOG=debug"}}
	r, err := StartAll(context.Background(), m, top)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Alive(); err != nil {
		t.Errorf("Alive: %v", err)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	noProcs(t, top)
	check := func(name string, ns *netlab.NS, want ...string) {
		b, err := os.ReadFile(filepath.Join(top.Dir(), name+".stdout.log"))
		if err != nil {
			t.Fatal(err)
		}
		ino, _ := netlab.NSInode(ns.Name)
		want = append(want, fmt.Sprintf("LBCHECK_CONFIG=%s", top.ConfigPath), fmt.Sprintf("net:[%d]", ino), "ready")
		for _, w := range want {
			if !strings.Contains(string(b), w+"\n") {
				t.Errorf("%s output lacks %q:\n%s", name, w, b)
			}
		}
	}
	check("mux", top.Mux.NS, "LBCHECK_ROLE=mux", "LBCHECK_IFACE=eth0")
	check("host-1", top.Hosts[1].NS, "LBCHECK_ROLE=host", "LBCHECK_IFACE=eth0", "LBCHECK_VM_IFACE=vm0", "LBCHECK_HOST_INDEX=1")
}

func TestStartAllFailures(t *testing.T) {
	top := topology(t)
	dir := t.TempDir()
	goodSh := fake(t, dir, "good.sh", good)
	for _, tc := range []struct {
		name, host string
		want       []string
	}{
		{"crash", crash, []string{"host-0", "host-1", "exited before printing \"ready\" (exit status 3)", "cannot open AF_PACKET socket"}},
		{"never ready", silent, []string{"host-0", "did not print \"ready\" within 300ms", "waiting for config"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Manifest{Name: "fake", Mux: Role{[]string{goodSh}}, Host: Role{[]string{fake(t, dir, tc.name+".sh", tc.host)}},
				Timeouts: Timeouts{Ready: 300 * time.Millisecond, Stop: time.Second}}
			_, err := StartAll(context.Background(), m, top)
			if err == nil {
				t.Fatal("StartAll succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			noProcs(t, top) // the mux that did start was stopped too
		})
	}
}

func TestStopAndCrashAfterReady(t *testing.T) {
	top := topology(t)
	dir := t.TempDir()
	m := &Manifest{Name: "fake", Mux: Role{[]string{fake(t, dir, "stubborn.sh", stubborn)}}, Host: Role{[]string{fake(t, dir, "dies.sh", dies)}},
		Timeouts: Timeouts{Ready: 5 * time.Second, Stop: 300 * time.Millisecond}}
	r, err := StartAll(context.Background(), m, top)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range r.Hosts {
		select {
		case <-h.Exited():
		case <-time.After(3 * time.Second):
			t.Fatal("host role did not crash")
		}
	}
	err = r.Alive()
	if err == nil || !strings.Contains(err.Error(), "host-0") || !strings.Contains(err.Error(), "exited unexpectedly (exit status 4)") || !strings.Contains(err.Error(), "flow table corrupt") {
		t.Errorf("Alive = %v; want the hosts' crash with stderr", err)
	}
	err = r.Stop()
	if err == nil || !strings.Contains(err.Error(), "mux") || !strings.Contains(err.Error(), "ignored SIGTERM for 300ms") {
		t.Errorf("Stop = %v; want the mux's ignored SIGTERM", err)
	}
	noProcs(t, top)
}

// daemonizes is a fake target that leaves two daemons behind on the way to
// ready, each writing its PID to a file of the role's: one double-forked
// into a session of its own, one also in a network namespace of its own.
const daemonizes = `pids="$LBX_PIDS.$LBCHECK_ROLE$LBCHECK_HOST_INDEX"
d='echo $$ >> "$0"; exec sleep 1000'
touch "$pids"
(setsid sh -c "$d" "$pids" </dev/null >/dev/null 2>&1 &)
unshare --net setsid sh -c "$d" "$pids" </dev/null >/dev/null 2>&1 &
while [ "$(wc -l < "$pids")" -lt 2 ]; do sleep 0.01; done
echo ready; trap 'exit 0' TERM; while :; do sleep 0.05; done`

// TestStopKillsDaemons: Stop kills what every role started, also what left
// the role's session and namespace.
func TestStopKillsDaemons(t *testing.T) {
	top := topology(t)
	dir := t.TempDir()
	sh := fake(t, dir, "daemonizes.sh", daemonizes)
	m := &Manifest{Name: "fake", Mux: Role{[]string{sh}}, Host: Role{[]string{sh}},
		Timeouts: Timeouts{Ready: 5 * time.Second, Stop: time.Second}, Env: []string{"LBX_PIDS=" + filepath.Join(dir, "pids")}}
	r, err := StartAll(context.Background(), m, top)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, role := range []string{"mux", "host0", "host1"} {
		b, err := os.ReadFile(filepath.Join(dir, "pids."+role))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Fields(string(b)) {
			pid, _ := strconv.Atoi(f)
			pids = append(pids, pid)
		}
	}
	if len(pids) != 6 {
		t.Fatalf("the roles started %v, want 2 daemons each", pids)
	}
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	for _, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z ") {
			t.Errorf("daemon %d survived Stop: %s", pid, b)
		}
	}
	noProcs(t, top)
}

// TestRefStartStop runs the reference forwarder (a freshly built lbcheck)
// through the contract: it must become ready and stop on SIGTERM.
func TestRefStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lbcheck")
	}
	top := topology(t)
	m, err := Ref()
	if err != nil {
		t.Fatal(err)
	}
	r, err := StartAll(context.Background(), m, top)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := r.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	t.Logf("stopped in %v", time.Since(start))
	noProcs(t, top)
}

// FuzzParse: any input is either a valid manifest with both commands or an
// error; never a panic.
func FuzzParse(f *testing.F) {
	f.Add("t.yaml", "name: x\nmux: {command: [a]}\nhost: {command: [b]}\ntimeouts: {ready: 1s}\n")
	f.Add("t.cue", "name: \"c\"\nmux: command: [\"a\"]\nhost: command: [\"b\"]\n")
	f.Add("t.json", `{"name":"j","mux":{"command":["a"]},"host":{"command":["b"]},"env":{"A":"1"}}`)
	f.Add("t.yaml", "\r\r0")
	f.Fuzz(func(t *testing.T, name, src string) {
		m, err := Parse(name, []byte(src))
		if err != nil {
			return
		}
		if m.Name == "" || len(m.Mux.Command) == 0 || len(m.Host.Command) == 0 || m.Timeouts.Ready <= 0 || m.Timeouts.Stop <= 0 || m.Timeouts.Deliver <= 0 {
			t.Fatalf("accepted an incomplete manifest: %+v", m)
		}
	})
}

// TestLoadHostileFiles: a manifest is read like lint's inputs: only a
// regular file, a CUE file within the schema package's budgets.
func TestLoadHostileFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "target.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(fifo); err == nil || !strings.Contains(err.Error(), "is a FIFO, not a regular file") {
		t.Errorf("Load(FIFO): %v", err)
	}
	var exp strings.Builder
	exp.WriteString("name: \"x\"\na0: {x: 1, y: 2}\n")
	for i := 1; i < 26; i++ {
		fmt.Fprintf(&exp, "a%d: {x: a%d, y: a%d}\n", i, i-1, i-1)
	}
	if _, err := Parse("t.cue", []byte(exp.String())); err == nil || !strings.Contains(err.Error(), "evaluates to more than 1000000 values") {
		t.Errorf("Parse(doubling CUE): %v", err)
	}
}

// TestExampleManifest: the annotated example in fixtures/targets loads
// and describes the reference forwarder.
func TestExampleManifest(t *testing.T) {
	m, err := Load("../../fixtures/targets/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := Forwarder("x", "lbcheck")
	if !slices.Equal(m.Mux.Command, ref.Mux.Command) || !slices.Equal(m.Host.Command, ref.Host.Command) ||
		!slices.Equal(m.Features, features.Declarable()) || m.Timeouts != DefaultTimeouts() {
		t.Errorf("example manifest %+v does not describe the reference forwarder with every feature", m)
	}
}

func TestTimeoutsFlags(t *testing.T) {
	var over Timeouts
	for _, arg := range []string{"deliver=5s", "quiet=50ms"} {
		if err := over.SetFlag(arg); err != nil {
			t.Fatal(err)
		}
	}
	got := DefaultTimeouts().With(over)
	want := DefaultTimeouts()
	want.Deliver, want.Quiet = 5*time.Second, 50*time.Millisecond
	if got != want {
		t.Errorf("defaults with deliver=5s quiet=50ms: %+v, want %+v", got, want)
	}
	if (Timeouts{Probe: time.Second}).OrDefault() != (Timeouts{Ready: 10 * time.Second, Stop: 2 * time.Second, Deliver: 2 * time.Second, Quiet: 300 * time.Millisecond, Probe: time.Second}) {
		t.Errorf("OrDefault does not keep the set timeout and default the others")
	}
	for _, bad := range []string{"deliver", "deliver=", "forever=1s", "ready=0s", "stop=-1s", "probe=6m", "quiet=fast"} {
		if err := over.SetFlag(bad); err == nil {
			t.Errorf("SetFlag(%q) accepted", bad)
		}
	}
	if got := DefaultTimeouts().Strings(); got["deliver"] != "2s" || got["quiet"] != "300ms" || len(got) != len(TimeoutNames) {
		t.Errorf("Strings() = %v", got)
	}
}
