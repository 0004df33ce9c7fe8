package baseline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

func finding(rule, object, msg string, line int) lint.Finding {
	return lint.Finding{Rule: rule, Object: object, Message: msg, Severity: lint.Error, Pos: schema.Pos{File: "lb.yaml", Line: line}}
}

func TestRoundTripAndFilter(t *testing.T) {
	old := []lint.Finding{
		finding("LB2001", "loadBalancers.web.loadBalancingRules.b", "rules a and b share 203.0.113.10:443", 12),
		finding("LB3001", "guests.vm1", "vm1 lacks 203.0.113.10", 30),
		{Rule: "LB2003", Message: "suppressed one", Suppressed: &lint.Suppression{Reason: "r"}},
	}
	var buf bytes.Buffer
	if err := Of(old).Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Findings) != 2 {
		t.Fatalf("baseline holds %d findings, want the 2 not suppressed", len(b.Findings))
	}
	now := []lint.Finding{
		finding("LB2001", "loadBalancers.web.loadBalancingRules.b", "rules a and b share 203.0.113.10:8443", 20), // moved, other port
		finding("LB3001", "guests.vm1", "vm1 lacks 203.0.113.10", 31),
		finding("LB3001", "guests.vm1", "vm1 lacks 203.0.113.10", 32), // a second one is new
		finding("LB3001", "guests.vm2", "vm2 lacks 203.0.113.10", 40), // another object
	}
	kept, known := b.Filter(now)
	if known != 2 || len(kept) != 2 || kept[0].Pos.Line != 32 || kept[1].Object != "guests.vm2" {
		t.Errorf("Filter kept %v, known %d; want the second vm1 finding and vm2's, 2 known", kept, known)
	}
}

func TestReadRejects(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"other.json": `{"apiVersion": "v1", "kind": "List"}`, "broken.json": "{"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(p); err == nil {
			t.Errorf("%s read as a baseline", name)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file read as a baseline")
	}
}
