package reports

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/lbcheck/lbcheck/lint"
	"github.com/lbcheck/lbcheck/schema"
)

const lintYAML = `loadBalancers:
  - name: web
    frontends:
      - name: fe
        address: 203.0.113.10
    loadBalancingRules:
      - name: https
        frontendPort: 443
        backendPort: 8443
        enableFloatingIP: true
`

// sampleLint has two findings in lb.yaml (out of order), one in guest.yaml
// whose line has a tab, and one without a file.
func sampleLint() *LintReport {
	return &LintReport{
		Version: "v0.3.0",
		Date:    time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Sources: map[string]string{
			"lb.yaml":    lintYAML,
			"guest.yaml": "os: windows\ninterfaces:\n\t- name: lo\n",
		},
		Titles: map[string]string{
			"LB2004": "Floating IP rule rewrites the port", "LB2001": "Guest lacks the frontend IP",
			"LB3001": "Strong-host receive drops Floating IP traffic", "LB0002": "Unused suppression",
		},
		Findings: []lint.Finding{
			{Rule: "LB2004", Severity: lint.Warning, Message: "backendPort differs from frontendPort with Floating IP", Pos: schema.Pos{File: "lb.yaml", Line: 9, Column: 9},
				Object: "loadBalancers.web.loadBalancingRules.https", Source: "https://learn.microsoft.com/en-us/azure/load-balancer/load-balancer-floating-ip"},
			{Rule: "LB2001", Severity: lint.Error, Message: "frontend address is not declared on any guest loopback", Pos: schema.Pos{File: "lb.yaml", Line: 5, Column: 18},
				Fix: "netsh interface ipv4 add address \"Loopback\" 203.0.113.10 255.255.255.255"},
			{Rule: "LB3001", Severity: lint.Error, Message: "loopback lacks weakHostReceive", Pos: schema.Pos{File: "guest.yaml", Line: 3, Column: 4}},
			{Rule: "LB0002", Severity: lint.Info, Message: "unused suppression"},
		},
	}
}

func renderLint(t *testing.T, r *LintReport) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteLintHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return parseHTML(t, buf.Bytes())
}

func TestLintHTML(t *testing.T) {
	doc := renderLint(t, sampleLint())
	assertSelfContained(t, doc)

	counts := map[string]string{}
	for _, dd := range findAll(doc, sel("dd")) {
		if k := attr(dd, "data-count"); k != "" {
			counts[k] = text(dd)
		}
	}
	if want := map[string]string{"error": "2", "warning": "1", "info": "1"}; !equalMaps(counts, want) {
		t.Errorf("severity counts %v, want %v", counts, want)
	}

	var files []string
	for _, h := range findAll(doc, sel("section", "file")) {
		files = append(files, strings.Fields(text(findAll(h, sel("h2"))[0]))[0])
	}
	if want := []string{"guest.yaml", "lb.yaml", "(no"}; !slices.Equal(files, want) {
		t.Errorf("file groups %v, want %v (sorted, file-less last)", files, want)
	}

	var rules []string
	for _, n := range findAll(doc, sel("article", "finding")) {
		rules = append(rules, attr(n, "data-rule"))
	}
	if want := []string{"LB3001", "LB2001", "LB2004", "LB0002"}; !slices.Equal(rules, want) {
		t.Errorf("findings in order %v, want %v (by file, then line)", rules, want)
	}

	var ruleRows []string
	for _, tr := range findAll(doc, sel("tr")) {
		if tds := findAll(tr, sel("td")); len(tds) == 3 {
			ruleRows = append(ruleRows, text(tds[0])+"|"+text(tds[1])+"|"+text(tds[2]))
		}
	}
	wantRows := []string{"LB0002|Unused suppression|1", "LB2001|Guest lacks the frontend IP|1", "LB2004|Floating IP rule rewrites the port|1", "LB3001|Strong-host receive drops Floating IP traffic|1"}
	if !slices.Equal(ruleRows, wantRows) {
		t.Errorf("rules table %v, want %v", ruleRows, wantRows)
	}
}

func TestLintHTMLExcerpt(t *testing.T) {
	doc := renderLint(t, sampleLint())
	var lb2001, lb3001, lb0002 *html.Node
	for _, n := range findAll(doc, sel("article", "finding")) {
		switch attr(n, "data-rule") {
		case "LB2001":
			lb2001 = n
		case "LB3001":
			lb3001 = n
		case "LB0002":
			lb0002 = n
		}
	}
	type line struct {
		n   string
		hit bool
		txt string
	}
	lines := func(f *html.Node) []line {
		var out []line
		for _, s := range findAll(f, sel("span", "ln")) {
			out = append(out, line{attr(s, "data-n"), sel("span", "hit")(s), s.FirstChild.Data})
		}
		return out
	}
	want := []line{
		{"3", false, "    frontends:"},
		{"4", false, "      - name: fe"},
		{"5", true, "        address: 203.0.113.10"},
		{"6", false, "    loadBalancingRules:"},
		{"7", false, "      - name: https"},
	}
	if got := lines(lb2001); !slices.Equal(got, want) {
		t.Errorf("LB2001 excerpt\n got %+v\nwant %+v", got, want)
	}
	caret := findAll(lb2001, sel("span", "caret"))
	if len(caret) != 1 || caret[0].FirstChild.Data != strings.Repeat(" ", 17)+"^" {
		t.Errorf("LB2001 caret %q, want 17 spaces and ^", text(lb2001))
	}
	for _, s := range []string{"frontend address is not declared", `netsh interface ipv4 add address "Loopback" 203.0.113.10`, "lb.yaml:5:18"} {
		if !strings.Contains(text(lb2001), s) {
			t.Errorf("LB2001 lacks %q", s)
		}
	}
	// Line 3 of guest.yaml is its last line and starts with a tab: the
	// excerpt stops at the end of the file and the caret keeps the tab.
	if got := lines(lb3001); len(got) != 3 || got[2].n != "3" || !got[2].hit {
		t.Errorf("LB3001 excerpt %+v, want lines 1-3 with 3 highlighted", got)
	}
	if c := findAll(lb3001, sel("span", "caret")); len(c) != 1 || text(c[0]) != "^" || c[0].FirstChild.Data != "\t  ^" {
		t.Errorf("LB3001 has %d carets, want one: tab, two spaces, ^", len(c))
	}
	if n := len(findAll(lb0002, sel("pre", "excerpt"))); n != 0 {
		t.Errorf("finding without a file has %d excerpts", n)
	}
}

func TestLintHTMLSuppressed(t *testing.T) {
	r := sampleLint()
	r.Findings[1].Suppressed = &lint.Suppression{Reason: "handled by the NVA"}
	doc := renderLint(t, r)
	if got := text(findAll(doc, func(n *html.Node) bool { return sel("dd")(n) && attr(n, "data-count") == "error" })[0]); got != "1" {
		t.Errorf("errors counted %s, want 1 (the suppressed one left out)", got)
	}
	var suppressed []string
	for _, n := range findAll(doc, sel("article", "suppressed")) {
		suppressed = append(suppressed, attr(n, "data-rule")+": "+text(findAll(n, sel("span", "suppression"))[0]))
	}
	if want := []string{"LB2001: suppressed: handled by the NVA"}; !slices.Equal(suppressed, want) {
		t.Errorf("suppressed findings %q, want %q", suppressed, want)
	}
	if !strings.Contains(text(doc), "1 suppressed") {
		t.Errorf("header does not count the suppressed finding")
	}
}

func TestLintHTMLNoFindings(t *testing.T) {
	doc := renderLint(t, &LintReport{})
	if n := len(findAll(doc, sel("article", "finding"))); n != 0 {
		t.Errorf("%d findings on an empty report", n)
	}
	if !strings.Contains(text(doc), "clean") {
		t.Errorf("empty report does not say it is clean")
	}
}

func TestExcerptBounds(t *testing.T) {
	lines := splitLines("a\r\nb\nc\n")
	if !slices.Equal(lines, []string{"a", "b", "c"}) {
		t.Fatalf("splitLines = %q", lines)
	}
	for _, line := range []int{0, -1, 4} {
		if ex := excerpt(lines, line); ex != nil {
			t.Errorf("excerpt(line %d) = %v, want nil", line, ex)
		}
		if c := caret(lines, line, 1); c != "" {
			t.Errorf("caret(line %d) = %q, want empty", line, c)
		}
	}
	if c := caret(lines, 1, 50); c != " ^" {
		t.Errorf("caret past the end of the line = %q, want ' ^'", c)
	}
}
