package arm

import (
	"fmt"
	"strings"
	"testing"
)

// hostile are small templates that would take unbounded time or memory
// without the evaluator's limits, with the error each must stop at (""
// when the template imports, its offending values unknown).
var hostile = []struct {
	name, src, err string
}{
	{"nested copy loops", hostileTemplate(`"variables": {}`, lbWith(`"copy": [{"name": "a", "count": 800, "input": {"copy": [{"name": "b", "count": 800, "input": {"copy": [{"name": "c", "count": 800, "input": {"x": "[copyIndex('c')]"}}]}}]}}]`)), "more than 32 MiB of values"},
	{"deep calls", hostileTemplate(`"variables": {}`, lbWith(`"frontendIPConfigurations": "[`+strings.Repeat("concat(", 200000)+"'x'"+strings.Repeat(")", 200000)+`]"`)), ""},
	{"doubling variables", hostileTemplate(doubling(40), lbWith(`"frontendIPConfigurations": "[length(variables('v40'))]"`)), "a string longer than 4 MiB"},
	{"quadratic range", hostileTemplate(`"variables": {"r": "[map(range(0, 10000), lambda('i', range(0, 10000)))]"}`, lbWith(`"probes": "[variables('r')]"`)), "more than 32 MiB of values"},
	{"self reference", hostileTemplate(`"variables": {"a": "[variables('b')]", "b": "[variables('a')]"}`, lbWith(`"probes": "[variables('a')]"`)), ""},
	{"copy count", hostileTemplate(`"variables": {}`, lbWith(`"copy": [{"name": "probes", "count": 100000, "input": {}}]`)), ""},
}

// hostileTemplate renders a template with one load balancer resource.
func hostileTemplate(variables, lb string) string {
	return `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", ` + variables + `, "resources": [` + lb + `]}`
}

func lbWith(props string) string {
	return `{"type": "Microsoft.Network/loadBalancers", "name": "lb", "properties": {` + props + `}}`
}

// doubling declares v0 = "xx...", v(n) = concat(v(n-1), v(n-1)).
func doubling(n int) string {
	vars := []string{`"v0": "` + strings.Repeat("x", 64) + `"`}
	for i := 1; i <= n; i++ {
		vars = append(vars, fmt.Sprintf(`"v%d": "[concat(variables('v%d'), variables('v%d'))]"`, i, i-1, i-1))
	}
	return `"variables": {` + strings.Join(vars, ", ") + `}`
}

// TestHostileTemplates checks that each hostile template stops at a limit
// with an error naming it, or imports with the offending value unknown,
// instead of exhausting memory, time or the stack.
func TestHostileTemplates(t *testing.T) {
	for _, tt := range hostile {
		r, err := Import("hostile.json", []byte(tt.src), Options{})
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err == "" && len(r.Deployment.LoadBalancers) != 1:
			t.Errorf("%s: %d load balancers imported, want 1", tt.name, len(r.Deployment.LoadBalancers))
		}
	}
}

// BenchmarkHostileTemplates prints how long the worst hostile templates
// take to reach their limit.
func BenchmarkHostileTemplates(b *testing.B) {
	for _, tt := range hostile {
		b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(tt.src)))
			for b.Loop() {
				Import("hostile.json", []byte(tt.src), Options{})
			}
		})
	}
}
