package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestConformanceJSONRoundTrip(t *testing.T) {
	r := loadFixture(t)
	var buf bytes.Buffer
	if err := WriteConformanceJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeConformance(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, r)
	}
}

func TestWriteConformanceJSONFillsTypeMeta(t *testing.T) {
	r := &ConformanceReport{Implementation: Implementation{Name: "ref"}}
	var buf bytes.Buffer
	if err := WriteConformanceJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeConformance(buf.Bytes())
	if err != nil {
		t.Fatalf("reading back a report written without apiVersion/kind: %v", err)
	}
	if back.Implementation.Name != "ref" || r.APIVersion != "" {
		t.Errorf("got %+v; input APIVersion now %q (must stay unchanged)", back.Implementation, r.APIVersion)
	}
}

func TestReadConformanceErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          []string
	}{
		{"syntax.json", "{\n  \"kind\": \"ConformanceReport\",\n  \"cases\": [,]\n}", []string{"syntax.json", "line 3, column 13", "invalid JSON"}},
		{"type.json", `{"kind": "ConformanceReport", "durationSeconds": "long"}`, []string{"type.json", "line 1", "invalid JSON"}},
		{"kind.json", `{"apiVersion": "lbcheck.io/v1alpha1", "kind": "LintReport"}`, []string{"kind.json", `kind is "LintReport"`}},
		{"version.json", `{"apiVersion": "lbcheck.io/v9", "kind": "ConformanceReport"}`, []string{"version.json", `apiVersion "lbcheck.io/v9" is not supported`}},
		{"missing.json", "", []string{"missing.json", "no such file"}},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if tt.content != "" {
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := ReadConformance(path)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncde\n\nf")
	tests := []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {8, 4, 1}, {99, 4, 2}, {-1, 1, 1}}
	for _, tt := range tests {
		if l, c := lineCol(data, tt.off); l != tt.line || c != tt.col {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}
