package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestCUEBudgets loads CUE files that would exhaust memory: each is an
// error naming the budget, the file and, where it is known, the position.
// range.cue's heap grows until the memory watchdog stops it, or, on a
// loaded machine, until the time budget does: either names the file and
// says what to do.
func TestCUEBudgets(t *testing.T) {
	var exp strings.Builder
	exp.WriteString("vms: []\na0: {x: 1, y: 2}\n")
	for i := 1; i < 26; i++ { // 26 lines, 2^26 values
		fmt.Fprintf(&exp, "a%d: {x: a%d, y: a%d}\n", i, i-1, i-1)
	}
	memory := "evaluating this CUE file needs more than 1 GiB of memory, the most lbcheck allows one CUE file (schema.MaxCUEMemory)"
	slow := "evaluating this CUE file takes more than 10s, the most lbcheck allows one CUE file (schema.MaxCUETime)"
	for _, tc := range []struct {
		name, src string
		want      []string // the error starts with one of them
	}{
		{"exp.cue", exp.String(), []string{"exp.cue:2:6: this CUE file evaluates to more than 1000000 values, the most lbcheck reads from one file (schema.MaxCUEValues)"}},
		{"range.cue", "import \"list\"\nx: list.Range(0, 100000000, 1)\nvms: []\n", []string{"range.cue: " + memory, "range.cue: " + slow}},
	} {
		_, _, err := LoadBytes(tc.name, []byte(tc.src))
		if err == nil || !slices.ContainsFunc(tc.want, func(w string) bool { return strings.HasPrefix(err.Error(), w) }) {
			t.Errorf("%s: error %v, want one of %q...", tc.name, err, tc.want)
		}
	}

	// Computed values within the budgets load, with the user's positions.
	src := "import \"list\"\nvms: [for i in list.Range(0, 3, 1) {name: \"vm-\\(i)\", networkInterfaces: []}]\n"
	d, _, err := LoadBytes("ok.cue", []byte(src))
	if err != nil || len(d.VMs) != 3 || d.VMs[2].Name != "vm-2" {
		t.Fatalf("computed VMs: %v, %+v", err, d)
	}
	if p := d.VMs[2].Pos(); p.File != "ok.cue" || p.Line != 2 {
		t.Errorf("vm-2 at %s, want ok.cue line 2", p)
	}
}
