package reports

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

// BenchmarkWriteConformanceHTML renders a 200-case report with a 64 KiB
// capture per case and reports the page size.
func BenchmarkWriteConformanceHTML(b *testing.B) {
	base := loadFixture(b)
	r := *base
	r.Cases = nil
	for i := range 40 {
		for _, c := range base.Cases {
			c.Name = fmt.Sprintf("%s%d", c.Name, i)
			r.Cases = append(r.Cases, c)
		}
	}
	capture := samplePcap(64 << 10 / 70)
	pcaps := func(string) ([]byte, error) { return capture, nil }
	var page bytes.Buffer
	if err := WriteConformanceHTML(&page, &r, pcaps); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := WriteConformanceHTML(io.Discard, &r, pcaps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(page.Len())/(1<<20), "MiB/page")
	b.ReportMetric(float64(len(r.Cases)), "cases")
}

// BenchmarkWriteLintHTML renders 1000 findings over a 3000-line file.
func BenchmarkWriteLintHTML(b *testing.B) {
	var src bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&src, "      - name: rule-%d\n", i)
	}
	r := &LintReport{Sources: map[string]string{"big.yaml": src.String()}}
	for i := range 1000 {
		r.Findings = append(r.Findings, lint.Finding{Rule: fmt.Sprintf("LB2%03d", i%7), Severity: lint.Warning, Message: "m", Pos: schema.Pos{File: "big.yaml", Line: 3 * i, Column: 9}})
	}
	for b.Loop() {
		if err := WriteLintHTML(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Findings)), "findings")
}
