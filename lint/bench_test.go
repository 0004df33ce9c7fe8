package lint_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/lint/rules"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/schematest"
)

// Size of the benchmark deployment: Azure's Standard load balancer limits.
const (
	benchRules     = 1500
	benchFrontends = 600
	benchGuests    = 1000
)

// binDir holds the binaries `make bench` builds: bin/lbcheck and bin/cue.
const binDir = "../bin"

// BenchmarkLint lints one generated deployment (1,500 rules, 600 frontends,
// 1,000 guests) three ways and prints the wall times side by side:
//
//   - in-process: schema.LoadBytes plus lint.Run with every rule;
//   - lbcheck: the bin/lbcheck process, `lbcheck lint data.yaml`;
//   - cue-vet: the bin/cue process on the same data and the exported
//     schema, `cue vet -d '#Deployment' schema.cue data.yaml`, which only
//     validates the schema (no cross-object rules).
//
// The process variants are skipped when the binaries are missing; `make
// bench` builds them.
func BenchmarkLint(b *testing.B) {
	src := schematest.Generate(benchRules, benchFrontends, benchGuests)
	dir := b.TempDir()
	data := filepath.Join(dir, "data.yaml")
	schemaFile := filepath.Join(dir, "schema.cue")
	if err := os.WriteFile(data, src, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(schemaFile, []byte(schema.SchemaSource()), 0o644); err != nil {
		b.Fatal(err)
	}
	perOp := map[string]time.Duration{}
	run := func(name string, op func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				op(b)
			}
			d := b.Elapsed() / time.Duration(b.N)
			perOp[name] = d
			b.ReportMetric(float64(benchRules)/d.Seconds(), "lbrules/s")
		})
	}
	run("in-process", func(b *testing.B) {
		d, issues, err := schema.LoadBytes("data.yaml", src)
		if err != nil {
			b.Fatal(err)
		}
		if fs := lint.Run(d, issues, rules.All, map[string][]byte{"data.yaml": src}); len(lint.Unsuppressed(fs)) != 0 {
			b.Fatalf("generated deployment has %d findings, first: %s %s", len(fs), fs[0].Pos, fs[0].Message)
		}
	})
	run("lbcheck", processOp(filepath.Join(binDir, "lbcheck"), dir, "lint", "data.yaml"))
	run("cue-vet", processOp(filepath.Join(binDir, "cue"), dir, "vet", "-d", "#Deployment", "schema.cue", "data.yaml"))

	// b.Log output of a benchmark with sub-benchmarks is not shown, so the
	// table goes to stdout, after the sub-benchmarks' own lines.
	fmt.Printf("\nlint of one deployment, same data: %d rules, %d frontends, %d guests (%.1f MB of YAML); wall time per run\n",
		benchRules, benchFrontends, benchGuests, float64(len(src))/1e6)
	fmt.Printf("  %-12s %10s %12s\n", "variant", "seconds", "lbrules/s")
	for _, name := range []string{"in-process", "lbcheck", "cue-vet"} {
		if d, ok := perOp[name]; ok {
			fmt.Printf("  %-12s %10.3f %12.0f\n", name, d.Seconds(), float64(benchRules)/d.Seconds())
		} else {
			fmt.Printf("  %-12s %10s %12s\n", name, "skipped", "-")
		}
	}
	fmt.Println("  (in-process: load + all rules; lbcheck: the CLI process; cue-vet: schema validation only)")
}

// processOp runs a binary in dir and fails on a non-zero exit.
func processOp(bin, dir string, args ...string) func(b *testing.B) {
	abs, err := filepath.Abs(bin)
	return func(b *testing.B) {
		if _, statErr := os.Stat(abs); err != nil || statErr != nil {
			b.Skipf("%s not built (run make bench)", bin)
		}
		cmd := exec.Command(abs, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
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
