package reports

import (
	"encoding/xml"
	"io"

	"github.com/lbcheck/lbcheck/internal/safetext"
)

// JUnitSuites is a JUnit XML document, in the dialect CI systems (GitLab,
// Jenkins, GitHub test reporters) read: testsuites > testsuite > testcase
// with failure or skipped children. Both lbcheck's conformance report and
// its lint JUnit format are written with these types.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Errors   int          `xml:"errors,attr,omitempty"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one testsuite element.
type JUnitSuite struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	// Errors counts testcases that errored; nil leaves the attribute out.
	Errors     *int             `xml:"errors,attr,omitempty"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr,omitempty"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *JUnitProperties `xml:"properties,omitempty"`
	Cases      []JUnitCase      `xml:"testcase"`
}

// JUnitProperties is a testsuite's properties element. It is a pointer in
// JUnitSuite because encoding/xml writes an empty parent for a nil slice
// tagged "properties>property".
type JUnitProperties struct {
	Property []JUnitProperty `xml:"property"`
}

// JUnitProperty is one name=value property of a testsuite.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one testcase element; at most one of Failure, Error and
// Skipped is set, and none for a passing case.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failure   *JUnitMessage `xml:"failure,omitempty"`
	// Error is a case that could not give a verdict (it never ran).
	Error   *JUnitMessage `xml:"error,omitempty"`
	Skipped *JUnitMessage `xml:"skipped,omitempty"`
	// SystemOut is what a passing case reports (a finding below the
	// failure threshold).
	SystemOut string `xml:"system-out,omitempty"`
}

// JUnitMessage is the body of a failure or skipped element.
type JUnitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Add appends s to d and adds its counts to d's totals.
func (d *JUnitSuites) Add(s JUnitSuite) {
	d.Tests += s.Tests
	d.Failures += s.Failures
	d.Skipped += s.Skipped
	if s.Errors != nil {
		d.Errors += *s.Errors
	}
	d.Suites = append(d.Suites, s)
}

// EncodeJUnit writes d to w as an indented XML document with its header
// and a final newline. Control characters in its strings, which XML 1.0
// cannot carry (encoding/xml would write U+FFFD) or a CI log would act on,
// are written escaped (safetext: Line for attributes, Lines for the text of
// a failure or skip).
func EncodeJUnit(w io.Writer, d *JUnitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(escaped(d)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// escaped is a copy of d with its strings escaped for EncodeJUnit.
func escaped(d *JUnitSuites) *JUnitSuites {
	line := safetext.Line
	out := *d
	out.Name = line(d.Name)
	out.Suites = make([]JUnitSuite, len(d.Suites))
	for i, s := range d.Suites {
		s.Name = line(s.Name)
		if s.Properties != nil {
			props := &JUnitProperties{Property: make([]JUnitProperty, len(s.Properties.Property))}
			for j, p := range s.Properties.Property {
				props.Property[j] = JUnitProperty{Name: line(p.Name), Value: line(p.Value)}
			}
			s.Properties = props
		}
		s.Cases = make([]JUnitCase, len(d.Suites[i].Cases))
		for j, c := range d.Suites[i].Cases {
			c.Name, c.Classname = line(c.Name), line(c.Classname)
			c.Failure, c.Error, c.Skipped = escapedMessage(c.Failure), escapedMessage(c.Error), escapedMessage(c.Skipped)
			s.Cases[j] = c
		}
		out.Suites[i] = s
	}
	return &out
}

func escapedMessage(m *JUnitMessage) *JUnitMessage {
	if m == nil {
		return nil
	}
	return &JUnitMessage{Message: safetext.Line(m.Message), Type: safetext.Line(m.Type), Text: safetext.Lines(m.Text)}
}
