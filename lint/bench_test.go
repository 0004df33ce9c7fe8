package lint_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/rules"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/schematest"
)

// benchSize is one deployment BenchmarkLint generates
// (schematest.Generate). expect lists the rules whose findings the size
// provokes: beyond 1,500 rules the load balancer and every NIC exceed
// Azure's limits (LB1009).
type benchSize struct {
	name                     string
	rules, frontends, guests int
	expect                   []string
}

// benchSizes are Azure's Standard load balancer limits (1×), then ten
// times the rules and ten times the guests, to show how lint time grows
// with each.
var benchSizes = []benchSize{
	{"1x", 1500, 600, 1000, nil},
	{"10x-rules", 15000, 600, 1000, []string{"LB1009"}},
	{"10x-guests", 1500, 600, 10000, nil},
}

// benchVariants are the ways each deployment is checked, in table order.
var benchVariants = []string{"rules", "in-process", "lbcheck", "cue-vet"}

// binDir holds the binaries `make bench` builds: bin/lbcheck and bin/cue.
const binDir = "../bin"

// BenchmarkLint lints each generated deployment of benchSizes four ways
// and prints the wall times with their ratio to cue vet:
//
//   - rules: lint.Run with every rule on the deployment loaded once, the
//     rules' own time;
//   - in-process: schema.LoadBytes plus lint.Run with every rule;
//   - lbcheck: the bin/lbcheck process, `lbcheck lint data.yaml`;
//   - cue-vet: the bin/cue process on the same data and the exported
//     schema, `cue vet -d '#Deployment' schema.cue data.yaml`, which only
//     validates the schema (no cross-object rules).
//
// The process variants are skipped when the binaries are missing; `make
// bench` builds them.
func BenchmarkLint(b *testing.B) {
	schemaSrc := []byte(schema.SchemaSource())
	perOp := map[[2]string]time.Duration{}
	mb := map[string]float64{}
	for _, size := range benchSizes {
		src := schematest.Generate(size.rules, size.frontends, size.guests)
		mb[size.name] = float64(len(src)) / 1e6
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "data.yaml"), src, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "schema.cue"), schemaSrc, 0o644); err != nil {
			b.Fatal(err)
		}
		load := sync.OnceValues(func() (*schema.Deployment, []schema.Issue) {
			d, issues, err := schema.LoadBytes("data.yaml", src)
			if err != nil {
				b.Fatal(err)
			}
			return d, issues
		})
		ops := map[string]func(b *testing.B){
			"rules": func(b *testing.B) {
				b.StopTimer()
				d, issues := load()
				b.StartTimer()
				lintDeployment(b, d, issues, src, size.expect)
			},
			"in-process": func(b *testing.B) { lintInProcess(b, src, size.expect) },
			"lbcheck":    processOp(filepath.Join(binDir, "lbcheck"), dir, size.expect != nil, "lint", "data.yaml"),
			"cue-vet":    processOp(filepath.Join(binDir, "cue"), dir, false, "vet", "-d", "#Deployment", "schema.cue", "data.yaml"),
		}
		for _, variant := range benchVariants {
			b.Run(size.name+"/"+variant, func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					ops[variant](b)
				}
				d := b.Elapsed() / time.Duration(b.N)
				perOp[[2]string{size.name, variant}] = d
				b.ReportMetric(float64(size.rules)/d.Seconds(), "lbrules/s")
			})
		}
	}
	printBenchTable(perOp, mb)
}

// lintInProcess loads src and lints it (lintDeployment).
func lintInProcess(b *testing.B, src []byte, expect []string) {
	d, issues, err := schema.LoadBytes("data.yaml", src)
	if err != nil {
		b.Fatal(err)
	}
	lintDeployment(b, d, issues, src, expect)
}

// lintDeployment lints a loaded deployment with every rule; a finding of a
// rule not in expect fails the benchmark.
func lintDeployment(b *testing.B, d *schema.Deployment, issues []schema.Issue, src []byte, expect []string) {
	for _, f := range lint.Unsuppressed(lint.Run(d, issues, rules.All, map[string][]byte{"data.yaml": src})) {
		if !slices.Contains(expect, f.Rule) {
			b.Fatalf("generated deployment has an unexpected finding: %s %s %s", f.Rule, f.Pos, f.Message)
		}
	}
}

// printBenchTable prints the wall time per run of each size and variant
// and its ratio to cue vet on the same data. b.Log output of a benchmark
// with sub-benchmarks is not shown, so the table goes to stdout, after the
// sub-benchmarks' own lines.
func printBenchTable(perOp map[[2]string]time.Duration, mb map[string]float64) {
	fmt.Printf("\nlint versus cue vet, same data; wall time per run\n")
	fmt.Printf("  %-11s %6s %6s %6s %8s  %-11s %9s %9s\n", "size", "rules", "fronts", "guests", "MB", "variant", "seconds", "×cue-vet")
	for _, size := range benchSizes {
		cue, hasCue := perOp[[2]string{size.name, "cue-vet"}]
		for _, variant := range benchVariants {
			d, ok := perOp[[2]string{size.name, variant}]
			secs, ratio := "skipped", "-"
			if ok {
				secs = fmt.Sprintf("%.3f", d.Seconds())
				if hasCue {
					ratio = fmt.Sprintf("%.3f", d.Seconds()/cue.Seconds())
				}
			}
			fmt.Printf("  %-11s %6d %6d %6d %8.1f  %-11s %9s %9s\n", size.name, size.rules, size.frontends, size.guests, mb[size.name], variant, secs, ratio)
		}
	}
	fmt.Println("  (rules: all rules on the loaded deployment; in-process: load + all rules; lbcheck: the CLI process; cue-vet: schema validation only)")
}

// processOp runs a binary in dir and fails on a non-zero exit; with
// findingsOK, exit status 1 (findings reported) passes too.
func processOp(bin, dir string, findingsOK bool, args ...string) func(b *testing.B) {
	abs, err := filepath.Abs(bin)
	return func(b *testing.B) {
		if _, statErr := os.Stat(abs); err != nil || statErr != nil {
			b.Skipf("%s not built (run make bench)", bin)
		}
		cmd := exec.Command(abs, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !(findingsOK && errors.As(err, &exit) && exit.ExitCode() == 1) {
			b.Fatalf("%s %v: %v\n%s", bin, args, err, truncate(out))
		}
	}
}

func truncate(out []byte) string {
	if len(out) > 2000 {
		return fmt.Sprintf("%s... (%d bytes)", out[:2000], len(out))
	}
	return string(out)
}
