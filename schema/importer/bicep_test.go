package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/schema"
	tu "github.com/lbcheck/lbcheck/schema/importer/internal/testutil"
)

// There is no Bicep CLI here to test against, so these tests put a fake
// `bicep` (or `az`) alone on PATH: a shell script that checks it is called
// exactly as lbcheck must call the real one and prints what
// testdata/bicep/web-ilb.compiled.json holds, a template written by hand in
// the shape of `bicep build` output for fixtures/import/bicep/web-ilb.bicep.

// compiledFixture is the fake compiler's output for the web-ilb fixture.
const compiledFixture = "testdata/bicep/web-ilb.compiled.json"

// fakeCompiler writes an executable name into a new directory that it
// makes the whole of PATH. The script exits 64 unless its arguments are
// exactly want, then runs body.
func fakeCompiler(t *testing.T, name string, want []string, body string) {
	t.Helper()
	dir := t.TempDir()
	check := []string{fmt.Sprintf(`[ "$#" -ne %d ]`, len(want))}
	for i, w := range want {
		check = append(check, fmt.Sprintf(`[ "$%d" != %s ]`, i+1, shellQuote(w)))
	}
	script := fmt.Sprintf("#!/bin/sh\nPATH=/usr/bin:/bin\nif %s; then\n  echo \"fake %s: unexpected arguments: $*\" >&2; exit 64\nfi\n%s\n",
		strings.Join(check, " || "), name, body)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

// printsFixture is a fake compiler's body that prints the compiled template.
func printsFixture(t *testing.T) string {
	abs, err := filepath.Abs(compiledFixture)
	if err != nil {
		t.Fatal(err)
	}
	return "exec cat " + shellQuote(abs)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestDetectBicep(t *testing.T) {
	for name, want := range map[string]Format{"main.bicep": Bicep, "dir/MAIN.BICEP": Bicep, "prod.bicepparam": BicepParameters} {
		if got := Detect(name, []byte(`{"$schema": "deploymentTemplate.json", "resources": []}`)); got != want {
			t.Errorf("Detect(%s) = %s, want %s", name, got, want)
		}
	}
}

// TestBicepImport compiles the fixture with the fake bicep and checks the
// model and that positions point into the .bicep file.
func TestBicepImport(t *testing.T) {
	file, src := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	fakeCompiler(t, "bicep", []string{"build", "--stdout", file}, printsFixture(t))
	d, issues, err := LoadFiles(Auto, []string{file}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 0 {
		t.Errorf("issues = %v, want none", issues)
	}
	lb := onlyLB(t, d, "web-ilb")
	if lb.SKU != "Standard" || lb.Type != "internal" || len(lb.LoadBalancingRules) != 2 {
		t.Fatalf("load balancer = %+v", *lb)
	}
	tu.CheckPos(t, "load balancer", lb.Pos(), tu.PosOf(t, file, src, "resource lb ", 1))
	fe := lb.Frontend("web-frontend")
	if fe == nil || fe.IPAddress != "10.1.0.10" {
		t.Fatalf("frontend = %+v, want web-frontend at 10.1.0.10", fe)
	}
	tu.CheckPos(t, "frontend ipAddress", fe.At("ipAddress"), tu.PosOf(t, file, src, "privateIPAddress: frontendIP", 1))
	http := rule(t, lb, "http")
	if http.Probe != "" || !http.EnableFloatingIP || http.FrontendPort != 80 {
		t.Errorf("rule http = %+v", *http)
	}
	tu.CheckPos(t, "rule http", http.Pos(), tu.PosOf(t, file, src, "{\n        name: 'http'", 1))
	tu.CheckPos(t, "rule http frontendPort", http.At("frontendPort"), tu.PosOf(t, file, src, "frontendPort: 80", 1))
	https := rule(t, lb, "https")
	if https.Probe != "https-probe" || https.BackendAddressPool != "web-pool" || https.FrontendIPConfiguration != "web-frontend" {
		t.Errorf("rule https = %+v", *https)
	}
	tu.CheckPos(t, "rule https probe", https.At("probe"), tu.PosOf(t, file, src, "probe: {", 1))
	p := lb.Probe("https-probe")
	tu.CheckPos(t, "probe numberOfProbes", p.At("numberOfProbes"), tu.PosOf(t, file, src, "numberOfProbes: 2", 1))
	// The NICs are a resource loop: both instances join the pool, and
	// both point at the one loop body.
	if got := strings.Join(members(lb.Pool("web-pool")), " "); got != "web-nic0/web-nic0/ipconfig1 web-nic1/web-nic1/ipconfig1" {
		t.Errorf("pool members = %s", got)
	}
	for _, m := range lb.Pool("web-pool").Members {
		tu.CheckPos(t, "pool member", m.Pos(), tu.PosAfter(t, file, src, "loadBalancerBackendAddressPools: [", "{"))
	}
	for _, vm := range d.VMs {
		tu.CheckPos(t, "VM "+vm.Name, vm.Pos(), tu.PosOf(t, file, src, "resource nics ", 1))
	}
}

func TestBicepParameters(t *testing.T) {
	file, src := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	pfile, params := tu.ReadFixture(t, "bicep/web-ilb.parameters.json")
	fakeCompiler(t, "bicep", []string{"build", "--stdout", file}, printsFixture(t))
	d, _, err := LoadFiles(Auto, []string{file}, Options{Parameters: params, ParametersFile: pfile})
	if err != nil {
		t.Fatal(err)
	}
	fe := onlyLB(t, d, "web-ilb-prod").Frontend("web-frontend")
	if fe == nil || fe.IPAddress != "10.1.0.20" {
		t.Fatalf("frontend = %+v, want the parameters file's 10.1.0.20", fe)
	}
	tu.CheckPos(t, "frontend ipAddress", fe.At("ipAddress"), tu.PosOf(t, file, src, "privateIPAddress: frontendIP", 1))
}

// TestBicepThroughAz uses az when bicep is not on PATH, with az's flags.
func TestBicepThroughAz(t *testing.T) {
	file, src := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	fakeCompiler(t, "az", []string{"bicep", "build", "--file", file, "--stdout"}, printsFixture(t))
	d, _, err := Import(Auto, file, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	onlyLB(t, d, "web-ilb")
}

func TestBicepErrors(t *testing.T) {
	file, _ := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	tests := []struct {
		name string
		fake func(t *testing.T)
		want []string
	}{
		{"no compiler on PATH", func(t *testing.T) { t.Setenv("PATH", t.TempDir()) }, []string{
			file + ": lbcheck reads Bicep through the Bicep CLI, which is not on PATH",
			"install it (https://aka.ms/bicep-install)",
			"run 'bicep build " + file + "' and lint " + strings.TrimSuffix(file, ".bicep") + ".json",
		}},
		{"compiler fails", func(t *testing.T) {
			fakeCompiler(t, "bicep", []string{"build", "--stdout", file},
				`echo "$3(66,11) : Error BCP037: The property \"frontendPrt\" is not allowed on objects of type \"LoadBalancingRulePropertiesFormat\"." >&2; exit 1`)
		}, []string{
			file + ": `bicep build --stdout " + file + "` failed (exit status 1):\n    " + file + "(66,11) : Error BCP037: The property",
		}},
		{"compiler prints nothing", func(t *testing.T) {
			fakeCompiler(t, "bicep", []string{"build", "--stdout", file}, "exit 0")
		}, []string{file + " (compiled):1:1: ", "(in the ARM JSON that `bicep build --stdout " + file + "` printed)"}},
		{"compiler prints no template", func(t *testing.T) {
			fakeCompiler(t, "bicep", []string{"build", "--stdout", file}, `echo '{"resources": 1}'`)
		}, []string{file + " (compiled) is not an ARM template", "(in the ARM JSON that `bicep build --stdout " + file + "` printed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fake(t)
			_, _, err := LoadFiles(Auto, []string{file}, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestBicepLimits lowers the limits: a compiler's standard error is quoted
// from its end only, output past the cap and a compiler that hangs are
// errors.
func TestBicepLimits(t *testing.T) {
	file, _ := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	args := []string{"build", "--stdout", file}
	lower := func(timeout time.Duration, out, tail int) {
		old := []any{bicepTimeout, maxCompiled, stderrTail}
		bicepTimeout, maxCompiled, stderrTail = timeout, out, tail
		t.Cleanup(func() {
			bicepTimeout, maxCompiled, stderrTail = old[0].(time.Duration), old[1].(int), old[2].(int)
		})
	}
	lower(10*time.Second, 1000, 100)

	fakeCompiler(t, "bicep", args, `i=0; while [ $i -lt 500 ]; do echo "error line $i" >&2; i=$((i+1)); done; exit 1`)
	_, _, err := Import(Auto, file, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "the end of its standard error:\n    error line 49") ||
		!strings.HasSuffix(err.Error(), "error line 499") || strings.Contains(err.Error(), "error line 1\n") || len(err.Error()) > 400 {
		t.Errorf("long standard error: %v", err)
	}

	fakeCompiler(t, "bicep", args, printsFixture(t)) // 5 KB
	if _, _, err = Import(Auto, file, nil, Options{}); err == nil || !strings.Contains(err.Error(), "printed more than 1000 bytes") {
		t.Errorf("output past the cap: %v", err)
	}

	lower(200*time.Millisecond, 1000, 100)
	fakeCompiler(t, "bicep", args, "echo compiling >&2; exec sleep 30")
	start := time.Now()
	if _, _, err = Import(Auto, file, nil, Options{}); err == nil || !strings.Contains(err.Error(), "did not finish within 200ms:\n    compiling") {
		t.Errorf("hanging compiler: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the hanging compiler was waited for %v", time.Since(start))
	}
}

func TestBicepParamFile(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	f := filepath.Join(t.TempDir(), "prod.bicepparam")
	if err := os.WriteFile(f, []byte("using 'main.bicep'\nparam lbName = 'x'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadFiles(Auto, []string{f}, Options{})
	if err == nil || !strings.Contains(err.Error(), "run 'bicep build-params "+f+"'") || !strings.Contains(err.Error(), "--parameters") {
		t.Errorf("error = %v, want the bicep build-params command", err)
	}
}

// TestBicepDirectoryWalk: a directory's .bicep files are compiled, except
// one next to the .json that `bicep build` wrote from it.
func TestBicepDirectoryWalk(t *testing.T) {
	_, src := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	compiled, err := os.ReadFile(compiledFixture)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	write := func(rel string, b []byte) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("built/web-ilb.bicep", src)
	built := write("built/web-ilb.json", compiled)
	source := write("source/web-ilb.bicep", src)

	t.Run("skips a built .bicep", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir()) // compiling would fail
		d, _, err := LoadFiles(Auto, []string{filepath.Join(root, "built")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if lb := onlyLB(t, d, "web-ilb"); len(d.LoadBalancers) != 1 || lb.Pos().File != built {
			t.Errorf("%d load balancers, the first from %s; want one, from %s", len(d.LoadBalancers), lb.Pos().File, built)
		}
	})
	t.Run("compiles a .bicep alone", func(t *testing.T) {
		fakeCompiler(t, "bicep", []string{"build", "--stdout", source}, printsFixture(t))
		d, _, err := LoadFiles(Auto, []string{filepath.Join(root, "source")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if lb := onlyLB(t, d, "web-ilb"); lb.Pos().File != source {
			t.Errorf("load balancer from %s, want %s", lb.Pos().File, source)
		}
	})
	t.Run("a named .bicep is compiled", func(t *testing.T) {
		named := filepath.Join(root, "built", "web-ilb.bicep")
		fakeCompiler(t, "bicep", []string{"build", "--stdout", named}, printsFixture(t))
		d, _, err := LoadFiles(Auto, []string{named}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		onlyLB(t, d, "web-ilb")
	})
	t.Run("no inputs", func(t *testing.T) {
		_, _, err := LoadFiles(Auto, []string{t.TempDir()}, Options{})
		if err == nil || !strings.Contains(err.Error(), "no .yaml, .yml, .json, .cue, .bicep or .tf files found") {
			t.Errorf("error = %v", err)
		}
	})
}

// TestBicepPositionsAreInTheBicepFile: no position of any object, field or
// issue names the compiled JSON.
func TestBicepPositionsAreInTheBicepFile(t *testing.T) {
	file, src := tu.ReadFixture(t, "bicep/web-ilb.bicep")
	fakeCompiler(t, "bicep", []string{"build", "--stdout", file}, printsFixture(t))
	r, err := importBicep(file, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	schema.Walk(r.Deployment, func(node *schema.Node) {
		n++
		if p := node.Pos(); p.File != file || !p.IsValid() {
			t.Errorf("%s at %v", node.Path(), p)
		}
	})
	if n < 10 || r.File != file {
		t.Errorf("%d objects from %s", n, r.File)
	}
}
