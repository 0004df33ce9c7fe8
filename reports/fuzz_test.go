package reports

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// FuzzConformanceReport feeds arbitrary documents through the reader and
// every renderer: nothing may panic, a readable report must render, and
// the page must keep exactly its own one script whatever the strings hold.
func FuzzConformanceReport(f *testing.F) {
	fixture, err := os.ReadFile(fixturePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture)
	f.Add([]byte(`{"apiVersion":"lbcheck.io/v1alpha1","kind":"ConformanceReport","cases":[{"name":"</script><script>x()</script>","hops":[{"point":""}],"checks":[{"negative":true}]}]}`))
	f.Add([]byte(`{"apiVersion":"lbcheck.io/v1alpha1","kind":"ConformanceReport","durationSeconds":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeConformance(data)
		if err != nil {
			return
		}
		var page bytes.Buffer
		if err := WriteConformanceHTML(&page, r, func(string) ([]byte, error) { return []byte("pcap"), nil }); err != nil {
			t.Fatalf("WriteConformanceHTML: %v", err)
		}
		if err := WriteJUnit(io.Discard, r); err != nil {
			t.Fatalf("WriteJUnit: %v", err)
		}
		if n := len(findAll(parseHTML(t, page.Bytes()), sel("script"))); n != 1 {
			t.Fatalf("page has %d script elements, want 1", n)
		}
	})
}

// FuzzLintExcerpt checks excerpts and carets for any source and position.
func FuzzLintExcerpt(f *testing.F) {
	f.Add(lintYAML, 5, 18)
	f.Add("\t\xff\xfe\r\n\n", 1, 3)
	f.Add("", 0, 0)
	f.Fuzz(func(t *testing.T, src string, line, col int) {
		r := &LintReport{
			Sources:  map[string]string{"f.yaml": src},
			Findings: []lint.Finding{{Rule: "LB0001", Severity: lint.Error, Pos: schema.Pos{File: "f.yaml", Line: line, Column: col}}},
		}
		if err := WriteLintHTML(io.Discard, r); err != nil {
			t.Fatalf("WriteLintHTML: %v", err)
		}
		lines := splitLines(src)
		if ex := excerpt(lines, line); len(ex) > 2*lintContext+1 {
			t.Fatalf("excerpt of %d lines", len(ex))
		}
	})
}
