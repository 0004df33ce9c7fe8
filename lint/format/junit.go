package format

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/lbcheck/lbcheck/lint"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// noFile names the suite of findings that have no file (internal errors).
const noFile = "lbcheck"

// JUnit writes one testsuite per checked file and one testcase per finding,
// each a failure carrying the message and file:line:col. A file without
// findings gets one passing testcase, so that CI shows it was checked.
// Shown suppressed findings are skipped testcases.
func JUnit(w io.Writer, r *Report) error {
	byFile := map[string][]lint.Finding{}
	var names []string
	for _, f := range r.Findings {
		if f.Pos.File == "" {
			if byFile[noFile] == nil {
				names = append(names, noFile)
			}
			byFile[noFile] = append(byFile[noFile], f)
		}
	}
	for _, f := range r.Findings {
		if f.Pos.File != "" {
			byFile[f.Pos.File] = append(byFile[f.Pos.File], f)
		}
	}
	names = append(names, r.files()...)
	out := junitSuites{Name: "lbcheck lint"}
	for _, name := range names {
		s := junitSuite{Name: name}
		for _, f := range byFile[name] {
			s.Cases = append(s.Cases, junitTestcase(name, f))
		}
		if len(s.Cases) == 0 {
			s.Cases = []junitCase{{Name: "lint", Classname: name}}
		}
		for _, c := range s.Cases {
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			if c.Skipped != nil {
				s.Skipped++
			}
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitTestcase(suite string, f lint.Finding) junitCase {
	name := f.Rule
	switch {
	case f.Object != "":
		name += " " + f.Object
	case f.Pos.Line > 0:
		name += fmt.Sprintf(" line %d", f.Pos.Line)
	}
	c := junitCase{Name: name, Classname: suite}
	if f.Suppressed != nil {
		c.Skipped = &junitSkipped{Message: "suppressed: " + f.Suppressed.Reason}
		return c
	}
	var text strings.Builder
	fmt.Fprintf(&text, "%s: %s: %s (%s)", location(f), f.Severity, f.Message, f.Rule)
	if f.Fix != "" {
		fmt.Fprintf(&text, "\nfix: %s", f.Fix)
	}
	if f.Source != "" {
		fmt.Fprintf(&text, "\nsee: %s", f.Source)
	}
	c.Failure = &junitFailure{Message: f.Message, Type: f.Severity.String(), Text: text.String()}
	return c
}
