package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema/importer"
)

// TestTerraformHCL lints fixtures/import/terraform-hcl/sql-ag-listener, a
// SQL Server availability group listener in Terraform's HCL, with both
// spellings of Floating IP, and the deployment it describes in lbcheck's
// YAML: they agree. Without Floating IP, the finding is at the attribute
// in main.tf.
func TestTerraformHCL(t *testing.T) {
	dir := filepath.Join(fixtures, "import", "terraform-hcl")
	src, err := os.ReadFile(filepath.Join(dir, "sql-ag-listener", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	findings := func(t *testing.T, paths ...string) []string {
		t.Helper()
		l, err := importer.Load(importer.Auto, paths, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range lint.Run(l.Deployment, l.Issues, All, l.Sources) {
			got = append(got, fmt.Sprintf("%s %s:%d", f.Rule, filepath.Base(f.Pos.File), f.Pos.Line))
		}
		return got
	}
	want := findings(t, filepath.Join(dir, "sql-ag-listener.yaml"))
	tests := []struct {
		name, old, new string
		extra          []string // findings besides the YAML's
	}{
		{"floating_ip_enabled", "", "", nil},
		{"enable_floating_ip", "floating_ip_enabled     ", "enable_floating_ip      ", nil},
		{"no Floating IP", "floating_ip_enabled            = true", "floating_ip_enabled            = false", []string{"LB2004 main.tf:%d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := filepath.Join(t.TempDir(), "sql-ag-listener")
			if err := os.CopyFS(tmp, os.DirFS(filepath.Join(dir, "sql-ag-listener"))); err != nil {
				t.Fatal(err)
			}
			main := string(src)
			if tt.old != "" {
				if !strings.Contains(main, tt.old) {
					t.Fatalf("%q not in main.tf", tt.old)
				}
				main = strings.Replace(main, tt.old, tt.new, 1)
			}
			if err := os.WriteFile(filepath.Join(tmp, "main.tf"), []byte(main), 0o644); err != nil {
				t.Fatal(err)
			}
			line := strings.Count(main[:strings.Index(main, "floating_ip")], "\n") + 1
			w := slices.Clone(want)
			for _, e := range tt.extra {
				w = append(w, fmt.Sprintf(e, line))
			}
			slices.Sort(w)
			got := findings(t, tmp)
			slices.Sort(got)
			if !slices.Equal(got, w) {
				t.Errorf("findings %q, want %q", got, w)
			}
		})
	}
}
