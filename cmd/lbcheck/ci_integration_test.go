package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/internal/testtree"
	"go.yaml.in/yaml/v3"
)

// ciRepo writes a small repository to lint: a deployment with an error
// (LB2001), a Kubernetes manifest and a workflow, which are no deployment.
func ciRepo(t *testing.T) string {
	t.Helper()
	return testtree.Write(t, map[string]string{
		"deploy/lb.yaml": `loadBalancers:
  - name: web
    type: internal
    frontendIPConfigurations: [{name: fe, ipAddress: 10.0.0.10}]
    backendAddressPools: [{name: pool, members: [{vm: vm1, ipConfiguration: ipconfig1}]}]
    probes: [{name: p, protocol: Tcp, port: 8080}]
    loadBalancingRules:
      - {name: a, frontendIPConfiguration: fe, backendAddressPool: pool, probe: p, protocol: Tcp, frontendPort: 80, backendPort: 8080, enableFloatingIP: true}
      - {name: b, frontendIPConfiguration: fe, backendAddressPool: pool, probe: p, protocol: Tcp, frontendPort: 81, backendPort: 8080, enableFloatingIP: true}
vms:
  - name: vm1
    networkInterfaces: [{name: nic, ipConfigurations: [{name: ipconfig1, privateIPAddress: 10.0.0.4, primary: true}]}]
guests:
  - vm: vm1
    os: linux
    interfaces: [{name: eth0, kind: nic, addresses: [10.0.0.4/24]}, {name: lo, kind: loopback, addresses: [10.0.0.10/32]}]
`,
		"k8s/svc.yaml":             "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
		".github/workflows/ci.yml": "on: [push]\njobs:\n  t: {runs-on: ubuntu-latest}\n",
		"README.md":                "# repo\n",
	})
}

// action is the part of action.yml the test reads.
type action struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// TestGitHubAction runs the shell steps of the repository's action.yml as
// the runner would (bash -eo pipefail, expressions substituted, inputs at
// their defaults, RUNNER_TEMP and GITHUB_OUTPUT set) on a small
// repository: lbcheck is built from this checkout, the lint step annotates
// the error and writes the SARIF file, and the last step fails the job.
// The steps that use other actions (setup-go, upload-sarif) are checked
// for, not run.
func TestGitHubAction(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(src, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml runs.using %q, want composite", a.Runs.Using)
	}
	prereq.Tool(t, "go", "the action builds lbcheck with Go")
	repo, temp := ciRepo(t), t.TempDir()
	outputs := filepath.Join(temp, "github_output")
	values := map[string]string{"github.action_path": root}
	for name, in := range a.Inputs {
		values["inputs."+name] = in.Default
	}
	expr := regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	subst := func(s string) string {
		return expr.ReplaceAllStringFunc(s, func(m string) string {
			key := expr.FindStringSubmatch(m)[1]
			if strings.HasPrefix(key, "steps.lint.outputs.") {
				out, _ := os.ReadFile(outputs)
				for _, line := range strings.Split(string(out), "\n") {
					if k, v, ok := strings.Cut(line, "="); ok && k == strings.TrimPrefix(key, "steps.lint.outputs.") {
						return v
					}
				}
			}
			v, ok := values[key]
			if !ok {
				t.Fatalf("action.yml uses ${{ %s }}, which the test does not know", key)
			}
			return v
		})
	}
	var uses []string
	var lintOut string
	last := 0
	for _, st := range a.Runs.Steps {
		if st.Uses != "" {
			uses = append(uses, strings.Split(st.Uses, "@")[0])
			if strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif") && subst(st.With["sarif_file"]) != values["inputs.sarif"] {
				t.Errorf("upload-sarif uploads %q, not the SARIF file lint writes", st.With["sarif_file"])
			}
			continue
		}
		script := filepath.Join(temp, "step.sh")
		if err := os.WriteFile(script, []byte(subst(st.Run)), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "RUNNER_TEMP="+temp, "GITHUB_OUTPUT="+outputs)
		for k, v := range st.Env {
			cmd.Env = append(cmd.Env, k+"="+subst(v))
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		last = cmd.ProcessState.ExitCode()
		t.Logf("step %q: exit %d\n%s%s", st.Name, last, &stdout, &stderr)
		if st.ID == "lint" {
			lintOut = stdout.String()
		}
		if err != nil && st.Name != "Fail on findings" {
			t.Fatalf("step %q failed: %v", st.Name, err)
		}
	}
	for _, want := range []string{"actions/setup-go", "github/codeql-action/upload-sarif"} {
		if !slices.Contains(uses, want) {
			t.Errorf("action.yml does not use %s", want)
		}
	}
	if !strings.Contains(lintOut, "::error file=deploy/lb.yaml,line=") || !strings.Contains(lintOut, "LB2001") {
		t.Errorf("the lint step wrote no annotation for the LB2001 error:\n%s", lintOut)
	}
	if strings.Contains(lintOut, "k8s/svc.yaml") {
		t.Errorf("the lint step linted the Kubernetes manifest:\n%s", lintOut)
	}
	sarif, err := os.ReadFile(filepath.Join(repo, values["inputs.sarif"]))
	if err != nil || !bytes.Contains(sarif, []byte(`"ruleId": "LB2001"`)) || !bytes.Contains(sarif, []byte(`"exitCode": 1`)) {
		t.Errorf("SARIF file %s: %v\n%.400s", values["inputs.sarif"], err, sarif)
	}
	if last != exitFindings {
		t.Errorf("the last step exits %d, want %d: the job must fail on the error", last, exitFindings)
	}
}

// TestPreCommitHook runs the hook of .pre-commit-hooks.yaml as pre-commit
// does: on the changed files its files pattern selects, passed by name.
func TestPreCommitHook(t *testing.T) {
	src, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID       string `yaml:"id"`
		Entry    string `yaml:"entry"`
		Language string `yaml:"language"`
		Files    string `yaml:"files"`
	}
	if err := yaml.Unmarshal(src, &hooks); err != nil || len(hooks) != 1 {
		t.Fatalf(".pre-commit-hooks.yaml: %v (%d hooks)", err, len(hooks))
	}
	h := hooks[0]
	// language golang: pre-commit go-installs the repository, whose one
	// command is lbcheck.
	entry := strings.Fields(h.Entry)
	if h.Language != "golang" || entry[0] != "lbcheck" {
		t.Fatalf("hook %s: language %s, entry %q; want golang and lbcheck", h.ID, h.Language, h.Entry)
	}
	files := regexp.MustCompile(h.Files)
	repo := ciRepo(t)
	var changed []string
	err = filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && files.MatchString(p) {
			rel, _ := filepath.Rel(repo, p)
			changed = append(changed, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(changed, "README.md") || !slices.Contains(changed, "k8s/svc.yaml") {
		t.Fatalf("the files pattern selects %v", changed)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(repo); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	code := run(append(entry[1:], changed...), &stdout, &stderr)
	if code != exitFindings || !strings.Contains(stdout.String(), "deploy/lb.yaml") || !strings.Contains(stdout.String(), "LB2001") {
		t.Errorf("hook: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 1 for the LB2001 error", code, &stdout, &stderr)
	}
	if strings.Contains(stdout.String(), "svc.yaml") || !strings.Contains(stderr.String(), "skipped k8s/svc.yaml: a Kubernetes manifest") {
		t.Errorf("the hook linted the Kubernetes manifest it was passed:\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	}
}
