// Package mutants holds deliberately broken versions of the reference
// forwarder: each Mutant is one small, named deviation from the documented
// semantics, a text replacement in one refimpl source file.
// Workspace.Build applies one to a copy of the module and builds its
// lbcheck binary, a conformance target with target.Forwarder. The package's tests run the suite against every
// mutant: a conformance suite is worth the broken implementations it
// fails, so each mutant must be caught by the cases that name it
// (suite.Case.Catches), and `make mutants` prints which cases catch which
// mutant.
package mutants

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Mutant is one deviation of the reference forwarder.
type Mutant struct {
	// Name identifies the mutant (kebab-case); cases name it in Catches.
	Name string
	// Breaks says which documented behaviour the mutant breaks.
	Breaks string
	// File is the source file changed, relative to the module root; Old
	// must occur in it exactly once and is replaced by New.
	File     string
	Old, New string
	// Core is set for a mutant of the mapping, the reply path or the
	// probe target: the core profile alone must catch it.
	Core bool
	// Gap, when set, says that no case catches the mutant yet and which
	// case is to: the mutant is built and scored but not required to be
	// caught.
	Gap string
	// Azure is set for a deviation from a declared feature only, still
	// within Azure's documented behaviour: the core profile must pass it.
	Azure bool
}

// All are the mutants, by the behaviour they break.
var All = []Mutant{
	{Name: "floating-off-keeps-frontend", Core: true, Breaks: "Floating IP off: the guest must see DIP:backendPort, not the frontend IP",
		File: "refimpl/host/host.go", Old: "\tif !r.Floating {\n\t\tpacket.SetDst(", New: "\tif false {\n\t\tpacket.SetDst("},
	{Name: "floating-on-rewrites-dip", Core: true, Breaks: "Floating IP on: the guest must see the frontend IP unchanged",
		File: "refimpl/host/host.go", Old: "\tif !r.Floating {\n\t\tpacket.SetDst(", New: "\tif true {\n\t\tpacket.SetDst("},
	{Name: "backend-port-ignored", Core: true, Breaks: "the guest must see the rule's backend port",
		File: "refimpl/host/host.go", Old: "\tif in.DstPort != bport {", New: "\tif false {"},
	{Name: "reply-source-untranslated", Core: true, Breaks: "a reply must leave from the frontend IP (Floating IP off: the DIP is rewritten back)",
		File: "refimpl/host/host.go", Old: "\tif in.Src != fe.fip {\n\t\tpacket.SetSrc(b, &in, fe.fip)", New: "\tif false {\n\t\tpacket.SetSrc(b, &in, fe.fip)"},
	{Name: "reply-port-untranslated", Core: true, Breaks: "a reply must leave from the frontend port",
		File: "refimpl/host/host.go", Old: "\tif in.SrcPort != fe.port {\n\t\tpacket.SetSrcPort(b, &in, fe.port)\n\t}\n\treturn b, in.Dst, stats.Reply",
		New: "\tif false {\n\t\tpacket.SetSrcPort(b, &in, fe.port)\n\t}\n\treturn b, in.Dst, stats.Reply"},
	{Name: "address-rewrite-keeps-l4-checksum", Core: true, Breaks: "a rewritten address must come with a fixed TCP/UDP checksum (the pseudo-header covers the addresses)",
		File: "refimpl/packet/packet.go", Old: "\tif l4 >= 0 {\n\t\tupdateL4(b, in, l4, old, neu)", New: "\tif false {\n\t\tupdateL4(b, in, l4, old, neu)"},
	{Name: "port-rewrite-keeps-checksum", Core: true, Breaks: "a rewritten port must come with a fixed TCP/UDP checksum",
		File: "refimpl/packet/packet.go", Old: "if l4 := l4Checksum(b, in); l4 >= 0 {", New: "if l4 := l4Checksum(b, in); l4 < -1 {"},
	{Name: "mux-drops-full-size", Breaks: "1500-byte packets cross the load balancer (the fabric carries the encapsulation's overhead)",
		File: "refimpl/mux/mux.go", Old: "func (m *Mux) Process(b []byte, now int64) Decision {\n", New: "func (m *Mux) Process(b []byte, now int64) Decision {\n\tif len(b) > 1400 {\n\t\treturn Decision{Reason: stats.Malformed}\n\t}\n"},
	{Name: "host-drops-full-size-replies", Breaks: "1500-byte answers reach the client",
		File: "refimpl/host/host.go", Old: "func (a *Agent) Reply(b []byte, now int64) (out []byte, dst packet.Addr, r stats.Reason) {\n", New: "func (a *Agent) Reply(b []byte, now int64) (out []byte, dst packet.Addr, r stats.Reason) {\n\tif len(b) > 1400 {\n\t\treturn nil, dst, stats.Malformed\n\t}\n"},
	{Name: "mux-ignores-rule-offset", Breaks: "a rule's flows go to its own pool's members only",
		File: "refimpl/mux/mux.go", Old: "Host: m.hosts[m.off[ri]+int(bi)], Len: n}", New: "Host: m.hosts[int(bi)], Len: n}"},
	{Name: "probe-down-ignored", Breaks: "a member whose probe fails gets no new flows",
		File: "refimpl/mux/mux.go", Old: "if b.Probe < 0 || s.up[b.Probe] {", New: "if b.Probe < 0 || s.up[b.Probe] || true {"},
	{Name: "probe-down-breaks-established", Breaks: "established TCP flows to a probed-down member continue",
		File: "refimpl/mux/mux.go", Old: "case tcp && !syn && (rs.anyUp || len(r.Backends) > 1):", New: "case false:"},
	{Name: "all-down-breaks-established", Breaks: "with every member probed down, established TCP flows continue (more than one instance)",
		File: "refimpl/mux/mux.go", Old: "case tcp && !syn && (rs.anyUp || len(r.Backends) > 1):", New: "case tcp && !syn && rs.anyUp:"},
	{Name: "udp-stays-on-down-member", Breaks: "UDP flows move off a probed-down member (TCP flows stay)",
		File: "refimpl/mux/mux.go", Old: "case tcp && !syn && (rs.anyUp || len(r.Backends) > 1):", New: "case !syn && (rs.anyUp || len(r.Backends) > 1):"},
	{Name: "all-probed-up-ignored", Breaks: "noHealthyBackendsBehavior AllProbedUp: with every member down, flows go to all of them",
		File: "refimpl/mux/mux.go", Old: "if !rs.anyUp && r.AllProbedUp {", New: "if false {"},
	{Name: "all-probed-down-ignored", Breaks: "noHealthyBackendsBehavior AllProbedDown (the default): with every member down, no new flows",
		File: "refimpl/mux/mux.go", Old: "if !rs.anyUp && r.AllProbedUp {", New: "if !rs.anyUp {"},
	{Name: "probe-source-not-platform", Core: true, Breaks: "health probes come from Azure's platform address 168.63.129.16",
		File: "refimpl/probe/probe.go", Old: "\tif pr.Source.IsValid() {\n\t\td.LocalAddr", New: "\tif false {\n\t\td.LocalAddr"},
	{Name: "probe-wrong-port", Core: true, Breaks: "a health probe targets DIP:probePort",
		File: "refimpl/ruleset/ruleset.go", Old: "Protocol: p.Protocol, Port: p.Port,", New: "Protocol: p.Protocol, Port: p.Port + 1,"},
	{Name: "http-probe-any-status", Breaks: "an HTTP probe is up only on status 200",
		File: "refimpl/probe/probe.go", Old: "if resp.StatusCode != http.StatusOK {", New: "if false {"},
	{Name: "secondary-ipconfig-delivered", Breaks: "Floating IP is not supported on secondary IP configurations: they get no flows",
		File: "refimpl/ruleset/ruleset.go", Old: "\t\tcase d.Excluded != \"\":", New: "\t\tcase false:"},
	{Name: "distribution-source-ip-only", Breaks: "the Default distribution hashes the five-tuple: new source ports spread over members",
		File: "refimpl/mux/mux.go", Old: "func Hash(t packet.Tuple, d ruleset.Distribution) uint64 {", New: "func Hash(t packet.Tuple, d ruleset.Distribution) uint64 {\n\td = ruleset.SourceIP"},
	{Name: "ha-ports-floating-loses-port", Core: true, Breaks: "HA ports with Floating IP keep the destination port",
		File: "refimpl/host/host.go", Old: "\tif r.HAPorts {\n\t\tbport = in.DstPort", New: "\tif r.HAPorts && !r.Floating {\n\t\tbport = in.DstPort"},
	{Name: "modulo-hash", Azure: true, Breaks: "consistent hashing (a declared feature, not Azure's documented behaviour): removing a member remaps only its flows",
		File: "refimpl/mux/mux.go", Old: "\tbi := rs.members[rs.table.Lookup(Hash(in.Tuple, r.Distribution))]\n", New: "\tbi := rs.members[Hash(in.Tuple, r.Distribution)%uint64(len(rs.members))]\n"},
	{Name: "oversize-forwarded", Breaks: "a packet larger than the virtual network's MTU with DF set is answered with ICMP fragmentation needed",
		File: "refimpl/mux/mux.go", Old: "\tif in.Len > m.mtu {\n\t\t// Larger", New: "\tif false {\n\t\t// Larger"},
	{Name: "unsnated-forwarded", Core: true, Breaks: "a connection from an address outbound SNAT does not translate (a Floating IP rule's frontend on the guest's loopback) fails: Azure does not rewrite it",
		File: "refimpl/host/host.go", Old: "\tif !ok || a.set.SNATs[si].Members[mi].VM != a.vm {\n\t\treturn nil, dst, stats.NotSNATed\n", New: "\tif !ok || a.set.SNATs[si].Members[mi].VM != a.vm {\n\t\treturn b[:in.Len], in.Dst, stats.SNAT\n"},
	{Name: "hairpin-dropped", Breaks: "a backend reaches its internal load balancer's frontend (hairpin) when hashed to another member",
		File: "refimpl/host/host.go", Old: "ok && a.set.Rules[ri].Internal {", New: "ok && a.set.Rules[ri].Internal && false {"},
	{Name: "hairpin-never-to-self", Breaks: "a backend's flows to its own frontend are hashed over every member, itself included (and then fail)",
		File: "refimpl/mux/mux.go", Old: "\tbi := rs.members[rs.table.Lookup(Hash(in.Tuple, r.Distribution))]\n",
		New: "\tbi := rs.members[rs.table.Lookup(Hash(in.Tuple, r.Distribution))]\n\tif r.Backends[bi].DIP == in.Src && len(rs.members) > 1 {\n\t\tbi = rs.members[0]\n\t\tif r.Backends[bi].DIP == in.Src {\n\t\t\tbi = rs.members[1]\n\t\t}\n\t}\n"},
	{Name: "idle-timeout-ignored", Breaks: "a TCP flow idle for longer than its idle timeout is over: its later segments are dropped",
		File: "refimpl/flow/flow.go", Old: "\tif e.dead || now-e.last > e.idle {\n\t\treturn nil, Expired", New: "\tif false {\n\t\treturn nil, Expired"},
	{Name: "expired-flows-forgotten", Breaks: "segments of an idle-timed-out TCP flow are dropped, not forwarded as if the flow were new",
		File: "refimpl/flow/flow.go", Old: "\t\tcase e.dead && idle > 2*e.idle:", New: "\t\tcase idle > e.idle:"},
	{Name: "tcp-reset-ignored", Breaks: "enableTcpReset: an ESTABLISHED TCP flow reaching its idle timeout is reset at both ends",
		File: "refimpl/host/host.go", Old: "|| !a.set.Rules[f.rule].TCPReset {", New: "|| true {"},
	{Name: "tcp-reset-any-state", Breaks: "enableTcpReset resets ESTABLISHED flows only, not closed ones",
		File: "refimpl/host/host.go", Old: "k.Proto != packet.ProtoTCP || !f.established() ||", New: "k.Proto != packet.ProtoTCP ||"},
	{Name: "tcp-reset-wrong-seq", Breaks: "the reset to the backend carries the sequence number its stack expects, so it closes the connection",
		File: "refimpl/host/host.go", Old: "k.Reverse(), f.clientNext, f.vmNext)", New: "k.Reverse(), f.clientNext+1<<20, f.vmNext)"},
	{Name: "udp-idle-timeout-applied", Breaks: "the idle timeout applies to TCP only: UDP flows survive longer silences",
		File: "refimpl/ruleset/ruleset.go", Old: "\tif proto == packet.ProtoTCP {\n\t\treturn r.Idle", New: "\tif true {\n\t\treturn r.Idle"},
}

// ByName returns the mutant named name.
func ByName(name string) (Mutant, bool) {
	for _, m := range All {
		if m.Name == name {
			return m, true
		}
	}
	return Mutant{}, false
}

// Workspace is a copy of the module in which mutants are built one after
// another; Go's build cache keeps the unchanged packages, so each build
// compiles only the mutated package and what depends on it.
type Workspace struct {
	root string // the copy
	bin  string // where binaries go
}

// NewWorkspace copies the module at root (the files git lists, tracked or
// not ignored) into dir.
func NewWorkspace(root, dir string) (*Workspace, error) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return nil, fmt.Errorf("listing the module's files (mutants need a git checkout): %w", err)
	}
	w := &Workspace{root: filepath.Join(dir, "src"), bin: filepath.Join(dir, "bin")}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(w.root, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return nil, err
		}
	}
	return w, os.MkdirAll(w.bin, 0o755)
}

// Apply returns src, the text of m.File, with the mutant's change made.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	if n := bytes.Count(src, []byte(m.Old)); n != 1 {
		return nil, fmt.Errorf("mutant %s: the text to replace occurs %d times in %s, want once: update the mutant to the source", m.Name, n, m.File)
	}
	return bytes.Replace(src, []byte(m.Old), []byte(m.New), 1), nil
}

// Build applies m to the workspace, builds its lbcheck binary and restores
// the file; it returns the binary's path.
func (w *Workspace) Build(ctx context.Context, m Mutant) (string, error) {
	path := filepath.Join(w.root, m.File)
	orig, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("mutant %s: %w", m.Name, err)
	}
	mutated, err := m.Apply(orig)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		return "", err
	}
	defer os.WriteFile(path, orig, 0o644)
	bin := filepath.Join(w.bin, "lbcheck-"+m.Name)
	// -trimpath: the build cache then does not depend on where the copy is.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/lbcheck")
	cmd.Dir = w.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("mutant %s does not build: %v\n%s", m.Name, err, out)
	}
	return bin, nil
}
