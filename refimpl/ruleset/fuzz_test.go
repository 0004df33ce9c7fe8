package ruleset_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/schema"
)

// FuzzCompile: both roles compile whatever deployment the target config
// carries. Any document the loader accepts either compiles, with every rule
// matchable without a panic, or is an error.
func FuzzCompile(f *testing.F) {
	for _, dir := range []string{"../../conformance/cases/testdata", "../../fixtures/examples"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _, err := schema.LoadBytes("fuzz.yaml", b)
		if err != nil || d == nil {
			return
		}
		set, err := ruleset.Compile(d)
		if err != nil {
			return
		}
		for _, r := range set.Rules {
			for _, proto := range []uint8{packet.ProtoTCP, packet.ProtoUDP, packet.ProtoICMP} {
				if i, ok, _ := set.Match(r.FIP, proto, r.FrontendPort); ok && (i < 0 || i >= len(set.Rules)) {
					t.Fatalf("Match returned rule %d of %d", i, len(set.Rules))
				}
			}
		}
		set.Match(packet.AddrFrom4([4]byte{203, 0, 113, 10}), packet.ProtoTCP, 80)
	})
}
