package features

import (
	"slices"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		declared []Name
		want     string // "" accepts
	}{
		{nil, ""},
		{Declarable(), ""},
		{[]Name{HealthProbe, HAPorts}, ""},
		{[]Name{"teleport"}, `unknown feature "teleport" (declarable: health-probe, `},
		{[]Name{FloatingIP}, `"floating-ip" is core`},
		{[]Name{HAPorts, HealthProbe, HAPorts}, `"ha-ports" declared twice`},
	} {
		err := Check(tc.declared)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%v) = %v, want nil", tc.declared, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Check(%v) = %v, want an error containing %q", tc.declared, err, tc.want)
		}
	}
}

func TestMissing(t *testing.T) {
	needs := []Name{FloatingIP, HealthProbe, DSR, HAPorts}
	if got := Missing(needs, nil); !slices.Equal(got, []Name{HealthProbe, HAPorts}) {
		t.Errorf("Missing(nothing declared) = %v, want the extended ones in order", got)
	}
	if got := Missing(needs, []Name{HAPorts}); !slices.Equal(got, []Name{HealthProbe}) {
		t.Errorf("Missing(ha-ports declared) = %v, want [health-probe]", got)
	}
	if got := Missing(needs, Declarable()); got != nil {
		t.Errorf("Missing(all declared) = %v, want none", got)
	}
}

// TestCatalogue: names are unique kebab-case, each with a sentence, core
// before extended.
func TestCatalogue(t *testing.T) {
	seen := map[Name]bool{}
	extended := false
	for _, f := range All() {
		if seen[f.Name] || strings.ToLower(string(f.Name)) != string(f.Name) || strings.ContainsAny(string(f.Name), " _") {
			t.Errorf("feature %q: duplicate or not kebab-case", f.Name)
		}
		seen[f.Name] = true
		if !strings.HasSuffix(f.Doc, ".") || (f.Level != Core && f.Level != Extended) {
			t.Errorf("feature %q: doc %q, level %q", f.Name, f.Doc, f.Level)
		}
		if f.Level == Core && extended {
			t.Errorf("core feature %q listed after an extended one", f.Name)
		}
		extended = extended || f.Level == Extended
	}
}
