package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lbcheck/lbcheck/internal/safetext"
)

func TestWriteJUnit(t *testing.T) {
	r := loadFixture(t)
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	// Decode into independent types, as a CI system would.
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Props    []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Time      string `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("output is not XML: %v\n%s", err, buf.String())
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Skipped != 1 {
		t.Errorf("totals tests=%d failures=%d skipped=%d, want 5/1/1", doc.Tests, doc.Failures, doc.Skipped)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "core" || doc.Suites[1].Name != "extended" {
		t.Fatalf("suites %+v, want core and extended", doc.Suites)
	}
	core, ext := doc.Suites[0], doc.Suites[1]
	if core.Tests != 3 || core.Failures != 1 || ext.Tests != 2 || ext.Skipped != 1 {
		t.Errorf("core %d/%d, extended %d/%d skipped; want 3 tests 1 failure, 2 tests 1 skipped", core.Tests, core.Failures, ext.Tests, ext.Skipped)
	}
	if len(core.Props) == 0 || core.Props[0].Name != "implementation" || core.Props[0].Value != "acme-lb" {
		t.Errorf("core properties %+v lack implementation=acme-lb", core.Props)
	}
	var failed, skipped int
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Classname != "lbcheck.conformance."+s.Name {
				t.Errorf("%s: classname %q", c.Name, c.Classname)
			}
			if c.Failure != nil {
				failed++
				if c.Name != "FloatingInbound" || c.Failure.Message != r.Cases[1].Reason {
					t.Errorf("failure on %s with message %q, want FloatingInbound with its reason", c.Name, c.Failure.Message)
				}
				for _, s := range []string{
					"vm: SYN delivered to the VM on the frontend IP: dst: expected 203.0.113.10, observed 10.1.0.4; dport: expected 80, observed 8080",
					"client: SYN|ACK from the frontend: nothing arrived (expected tcp 203.0.113.10:80 → 198.51.100.10:40001 [SYN|ACK]) (nothing within 2s)",
					"source: https://learn.microsoft.com/en-us/azure/load-balancer/load-balancer-floating-ip",
				} {
					if !strings.Contains(c.Failure.Text, s) {
						t.Errorf("failure text\n%s\nlacks %q", c.Failure.Text, s)
					}
				}
				if strings.Contains(c.Failure.Text, "mux:") {
					t.Errorf("failure text lists the passing mux check:\n%s", c.Failure.Text)
				}
			}
			if c.Skipped != nil {
				skipped++
				if c.Skipped.Message != "the target manifest does not declare feature TCPReset" {
					t.Errorf("skipped message %q", c.Skipped.Message)
				}
			}
		}
	}
	if failed != 1 || skipped != 1 {
		t.Errorf("%d failure and %d skipped elements, want 1 and 1", failed, skipped)
	}
}

// TestWriteJUnitHostile renders a report read back from a file anyone may
// have written: every string escaped (safetext), the failure text holding
// only its own lines, and the document valid XML.
func TestWriteJUnitHostile(t *testing.T) {
	const evil = "x\n::add-mask::secret\r\x1b[31m\x00\u202e\xff"
	r := &ConformanceReport{
		Implementation: Implementation{Name: evil, Version: evil},
		Environment:    Environment{Kernel: evil},
		Cases: []CaseResult{
			{Name: evil, Profile: evil, Status: StatusFailed, Reason: evil, Expectation: evil, Source: evil,
				Checks: []Check{{Point: evil, What: evil, Message: evil, Expected: Headers{DstIP: evil}}}},
			{Name: "skipped", Profile: evil, Status: StatusSkipped, Reason: evil},
		},
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsFunc(out, func(r rune) bool { return r != '\n' && safetext.Escapes(r) }) || !utf8.ValidString(out) {
		t.Errorf("raw control character or invalid UTF-8 in\n%q", out)
	}
	var doc JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	esc := safetext.Line(evil)
	f := s.Cases[0].Failure
	for _, got := range []string{doc.Name, s.Name, s.Properties.Property[0].Value, s.Cases[0].Name, s.Cases[0].Classname, f.Message, s.Cases[1].Skipped.Message} {
		if !strings.Contains(got, esc) {
			t.Errorf("%q does not hold the escaped %q", got, esc)
		}
	}
	lines := strings.Split(strings.TrimSuffix(f.Text, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "expectation: ") || !strings.HasPrefix(lines[2], "source: ") {
		t.Errorf("failure text has lines of its own making:\n%s", f.Text)
	}
}
