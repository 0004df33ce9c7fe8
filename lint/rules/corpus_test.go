package rules

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/importer"
	"github.com/lbcheck/lbcheck/schema/importer/jsonpos"
)

// corpus is the directory of real ARM quickstart templates shipped beside
// the repository (../shared/corpus, see its SOURCES.md), with a judged
// expect.tsv that ../shared/corpus/arm-quickstarts/check.sh compares lint's
// findings with. This test checks what check.sh cannot see: that every
// load balancer the templates declare is imported (or left out because its
// condition is false), found by walking the JSON independently of the
// importer.
const corpus = "../../../shared/corpus/arm-quickstarts"

func TestCorpusLoadBalancers(t *testing.T) {
	files := corpusFiles(t)
	var declared, imported, instances, partly, notDeployed int
	for _, f := range files {
		path := filepath.Join(corpus, f)
		opts := importer.Options{}
		if params := strings.TrimSuffix(path, ".json") + ".parameters.json"; fileExists(params) {
			src, err := os.ReadFile(params)
			if err != nil {
				t.Fatal(err)
			}
			opts = importer.Options{Parameters: src, ParametersFile: params}
		}
		loaded, err := importer.Load(importer.Auto, []string{path}, opts)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		want := lbDeclarations(t, path)
		got := map[schema.Pos]bool{}
		for _, lb := range loaded.Deployment.LoadBalancers {
			got[lb.Pos()] = true
		}
		for _, nd := range loaded.NotDeployed {
			got[nd.Pos] = true
			notDeployed++
		}
		for p := range want {
			if !got[p] {
				t.Errorf("%s: the load balancer declared at %d:%d is neither imported nor left out for a false condition", f, p.Line, p.Column)
			}
		}
		for p := range got {
			if !want[p] {
				t.Errorf("%s: imported a load balancer at %d:%d where none is declared", f, p.Line, p.Column)
			}
		}
		findings := lint.Run(loaded.Deployment, loaded.Issues, All, nil)
		c := lint.CoverageOf(loaded.Deployment, findings, len(loaded.NotDeployed))
		declared += len(want)
		imported += len(want) - len(loaded.NotDeployed)
		instances += c.LoadBalancers
		partly += c.Partly
		for _, lb := range partlyChecked(loaded.Deployment, findings) {
			t.Logf("corpus: partly checked: %s load balancer %s", f, lb)
		}
	}
	t.Logf("corpus: %d templates declare %d load balancers: %d imported and checked (%d instances, copy loops expanded; %d partly: values known only at deployment), %d not deployed (condition false)",
		len(files), declared, imported, instances, partly, notDeployed)
}

// partlyChecked names the load balancers an LB0010 finding concerns.
func partlyChecked(d *schema.Deployment, findings []lint.Finding) []string {
	var out []string
	for _, lb := range d.LoadBalancers {
		one := &schema.Deployment{LoadBalancers: []*schema.LoadBalancer{lb}}
		if lint.CoverageOf(one, findings, 0).Partly > 0 {
			out = append(out, lb.Name)
		}
	}
	return out
}

// corpusFiles lists the templates of expect.tsv; the test fails under
// CI=true when the corpus is missing and skips otherwise.
func corpusFiles(t *testing.T) []string {
	f, err := os.Open(filepath.Join(corpus, "expect.tsv"))
	if err != nil {
		prereq.Missing(t, "no ARM quickstart corpus at %s (%v); CI runs with ../shared beside the repository", corpus, err)
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			files = append(files, strings.SplitN(line, "\t", 2)[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return files
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// lbDeclarations walks a template's JSON for load balancer resources: the
// objects of a "resources" array (or languageVersion 2.0 object), at any
// depth (nested deployments' inline templates too), whose type is
// Microsoft.Network/loadBalancers, except references to existing ones.
func lbDeclarations(t *testing.T, path string) map[schema.Pos]bool {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	root, err := jsonpos.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	out := map[schema.Pos]bool{}
	var walk func(v *jsonpos.Value, inResources bool)
	walk = func(v *jsonpos.Value, inResources bool) {
		if v == nil {
			return
		}
		if v.Kind == jsonpos.Object && inResources {
			typ, _ := v.Get("type").Str()
			existing := v.Get("existing")
			if strings.EqualFold(typ, "Microsoft.Network/loadBalancers") && (existing == nil || !existing.Bool) {
				out[schema.Pos{File: path, Line: v.Pos.Line, Column: v.Pos.Col}] = true
			}
		}
		for _, m := range v.Members {
			if strings.EqualFold(m.Key, "resources") {
				for _, r := range append(m.Items(), m.Fields()...) {
					walk(r, true)
				}
				continue
			}
			walk(m, false)
		}
		for _, e := range v.Elems {
			walk(e, false)
		}
	}
	walk(root, false)
	return out
}
