package schema_test

import (
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/schematest"
)

// BenchmarkLoad loads the deployment the lint benchmark uses: 1,500 rules,
// 600 frontends and 1,000 guests (Azure's Standard LB limits).
func BenchmarkLoad(b *testing.B) {
	src := schematest.Generate(1500, 600, 1000)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		d, issues, err := schema.LoadBytes("bench.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		if len(issues) > 0 {
			b.Fatalf("generated deployment has %d issues, first: %s: %s", len(issues), issues[0].Pos, issues[0].Message)
		}
		if got := len(d.LoadBalancers[0].LoadBalancingRules); got != 1500 {
			b.Fatalf("loaded %d rules, want 1500", got)
		}
	}
}
