package lint_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/rules"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// hostileInput is one input file an adversarial user could hand lbcheck.
type hostileInput struct {
	name, file string
	src        func() string
}

var hostileInputs = []hostileInput{
	{"30,000 rules in one load balancer", "one.yaml", func() string { return rulesYAML(1, 30000) }},
	{"30,000 rules in 300 load balancers", "many.yaml", func() string { return rulesYAML(300, 100) }},
	{"100 KB anchor, 16×16×16 aliases", "aliases.yaml", func() string {
		return "x-big: &big " + strings.Repeat("a", 100_000) + "\n" +
			"x-1: &l1 [" + strings.Repeat("*big, ", 15) + "*big]\n" +
			"x-2: &l2 [" + strings.Repeat("*l1, ", 15) + "*l1]\n" +
			"x-3: [" + strings.Repeat("*l2, ", 15) + "*l2]\nvms: []\n"
	}},
	{"CUE struct doubling 26 times", "exp.cue", func() string {
		var b strings.Builder
		b.WriteString("vms: []\na0: {x: 1, y: 2}\n")
		for i := 1; i < 26; i++ {
			fmt.Fprintf(&b, "a%d: {x: a%d, y: a%d}\n", i, i-1, i-1)
		}
		return b.String()
	}},
	{"CUE list.Range(0, 1e8)", "range.cue", func() string { return "import \"list\"\nx: list.Range(0, 100000000, 1)\nvms: []\n" }},
	{"ARM three nested 800-copy loops", "copy.json", func() string {
		return armLB(`"copy": [{"name": "a", "count": 800, "input": {"copy": [{"name": "b", "count": 800, "input": {"copy": [{"name": "c", "count": 800, "input": {"x": "[copyIndex('c')]"}}]}}]}}]`)
	}},
	{"ARM 1 MB concat chain", "concat.json", func() string {
		return armLB(`"probes": "[concat(` + strings.Repeat("'x', ", 200_000) + `'x')]"`)
	}},
	{"ARM 3 MB nest of calls", "nest.json", func() string {
		return armLB(`"probes": "[` + strings.Repeat("concat(", 430_000) + "'x'" + strings.Repeat(")", 430_000) + `]"`)
	}},
}

// rulesYAML is lbs internal load balancers of n Floating IP rules each.
func rulesYAML(lbs, n int) string {
	var b strings.Builder
	b.WriteString("loadBalancers:\n")
	for l := range lbs {
		fmt.Fprintf(&b, "- name: lb-%d\n  sku: Standard\n  type: internal\n  frontendIPConfigurations:\n  - {name: fe, ipAddress: 10.%d.%d.4}\n", l, l/250, l%250)
		b.WriteString("  backendAddressPools:\n  - name: pool\n  probes:\n  - {name: p, protocol: Tcp, port: 8080}\n  loadBalancingRules:\n")
		for r := range n {
			port := 1 + r%65000
			fmt.Fprintf(&b, "  - {name: r%d, protocol: Tcp, frontendIPConfiguration: fe, backendAddressPool: pool, probe: p, frontendPort: %d, backendPort: %d, enableFloatingIP: true}\n", r, port, port)
		}
	}
	return b.String()
}

// armLB is a template of one load balancer with the given properties.
func armLB(props string) string {
	return `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": [` +
		`{"type": "Microsoft.Network/loadBalancers", "apiVersion": "2023-09-01", "name": "lb", "location": "westeurope", "properties": {` + props + `}}]}`
}

// BenchmarkHostileInputs lints each hostile input file as `lbcheck lint`
// does (importer.Load, then every rule) and prints a table of the worst
// cases: wall time, memory allocated in lbcheck and the outcome, which for
// an input over a limit is the error naming it. The CUE files are
// evaluated in a child process, whose memory is not in the figure.
func BenchmarkHostileInputs(b *testing.B) {
	dir := b.TempDir()
	type row struct {
		name, outcome string
		size          int
		secs, mb      float64
	}
	var rows []row
	for _, in := range hostileInputs {
		src := in.src()
		path := filepath.Join(dir, in.file)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
		var outcome string
		var before, after runtime.MemStats
		b.Run(in.file, func(b *testing.B) {
			b.ReportAllocs()
			runtime.ReadMemStats(&before)
			for b.Loop() {
				outcome = lintFile(path)
			}
			runtime.ReadMemStats(&after)
			rows = append(rows, row{in.name, outcome, len(src),
				(b.Elapsed() / time.Duration(b.N)).Seconds(),
				float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N) / 1e6})
		})
	}
	fmt.Printf("\nhostile inputs, linted as lbcheck lint does (per run)\n")
	fmt.Printf("  %-36s %9s %8s %10s  %s\n", "input", "size", "seconds", "MB alloc", "outcome")
	for _, r := range rows {
		fmt.Printf("  %-36s %8.2fM %8.3f %10.0f  %s\n", r.name, float64(r.size)/1e6, r.secs, r.mb, r.outcome)
	}
}

// lintFile lints one file and sums up what happened in one line.
func lintFile(path string) string {
	l, err := importer.Load(importer.Auto, []string{path}, importer.Options{})
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), filepath.Dir(path)+"/")
		if len(msg) > 90 {
			msg = msg[:90] + "..."
		}
		return "exit 2: " + msg
	}
	fs := lint.Unsuppressed(lint.Run(l.Deployment, l.Issues, rules.All, l.Sources))
	return fmt.Sprintf("%d findings, %d load balancers", len(fs), len(l.Deployment.LoadBalancers))
}
