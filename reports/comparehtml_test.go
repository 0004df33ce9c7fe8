package reports

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func renderComparison(t *testing.T, reps []*ConformanceReport) *html.Node {
	t.Helper()
	return parseHTML(t, renderCompared(t, reps, WriteComparisonHTML))
}

func TestComparisonHTMLSelfContained(t *testing.T) {
	assertSelfContained(t, renderComparison(t, compareFixture()))
}

// tableCells maps each row's key attribute (data-feature, data-case) to
// its cells' data-status and text.
func tableCells(t *testing.T, table *html.Node, key string) (status, words map[string][]string, order []string) {
	t.Helper()
	status, words = map[string][]string{}, map[string][]string{}
	for _, tr := range findAll(table, sel("tr")) {
		k := attr(tr, key)
		if k == "" {
			continue
		}
		order = append(order, k)
		for _, td := range findAll(tr, sel("td", "cell")) {
			status[k] = append(status[k], attr(td, "data-status"))
			words[k] = append(words[k], text(td))
		}
	}
	return status, words, order
}

func TestComparisonHTMLTables(t *testing.T) {
	doc := renderComparison(t, compareFixture())

	var heads []string
	for _, th := range findAll(byID(t, doc, "features"), sel("th")) {
		if attr(th, "scope") == "col" {
			heads = append(heads, text(th))
		}
	}
	if got, want := strings.Join(heads, "|"), "feature|ref|acme 0.4.1|mini 1"; got != want {
		t.Errorf("feature table heads %q, want %q", got, want)
	}

	status, words, order := tableCells(t, byID(t, doc, "features"), "data-feature")
	if got, want := strings.Join(order, " "), "load-balancing-rule floating-ip dsr tcp-reset health-probe http-probe"; got != want {
		t.Errorf("feature rows %q, want %q", got, want)
	}
	for feature, want := range map[string]string{
		"load-balancing-rule": "partial failed partial",
		"tcp-reset":           "passed not-supported not-supported",
		"health-probe":        "passed passed untested",
	} {
		if got := strings.Join(status[feature], " "); got != want {
			t.Errorf("feature %s: cells %q, want %q", feature, got, want)
		}
	}
	// Words, not colour alone.
	if got, want := strings.Join(words["tcp-reset"], "|"), "passed|not supported|not supported"; got != want {
		t.Errorf("tcp-reset cell texts %q, want %q", got, want)
	}
	links := findAll(byID(t, doc, "feature-health-probe"), sel("a"))
	if len(links) != 2 || attr(links[0], "href") != "#case-HealthProbeDown" || attr(links[1], "href") != "#case-HTTPProbe" {
		t.Errorf("health-probe's case links %v, want #case-HealthProbeDown and #case-HTTPProbe", links)
	}

	status, _, order = tableCells(t, byID(t, doc, "cases"), "data-case")
	if len(order) != 6 || status["FloatingInbound"][2] != CaseAbsent || status["HealthProbeDown"][2] != StatusSkipped {
		t.Errorf("case rows %v with cells %v, want 6 with FloatingInbound absent and HealthProbeDown skipped in mini", order, status)
	}
	row := byID(t, doc, "case-FloatingInbound")
	a := findAll(row, sel("a"))
	if len(a) != 1 || attr(a[0], "href") != "https://learn.microsoft.com/azure/load-balancer/floatinginbound" {
		t.Errorf("FloatingInbound's row links %v, want its source", a)
	}
	if cells := findAll(row, sel("td", "cell")); len(cells) != 3 || attr(cells[1], "title") != "the VM received the SYN addressed to its DIP" {
		t.Errorf("acme's FloatingInbound cell does not carry the reason as its title")
	}

	var results []string
	for _, card := range findAll(doc, sel("div", "implementation")) {
		results = append(results, attr(findAll(card, sel("span", "badge"))[0], "data-result"))
	}
	if got, want := strings.Join(results, " "), "success failure partial"; got != want {
		t.Errorf("implementation results %q, want %q", got, want)
	}
}

// TestComparisonHTMLEscapes renders names, notes and sources an attacker
// chose: they are text on the page, and a javascript: source is no link.
func TestComparisonHTMLEscapes(t *testing.T) {
	evil := kase(`<img src=x onerror=alert(1)>`, "core", StatusFailed, `<b>feature</b>`)
	evil.Source = "javascript:alert(1)"
	evil.Reason = `"><script>alert(2)</script>`
	doc := renderComparison(t, []*ConformanceReport{
		report(`<script>alert(3)</script>`, "", 0, nil, evil),
		report("ref", "", 0, nil, kase("A", "core", StatusPassed)),
	})
	assertSelfContained(t, doc) // one script, no <img>
	for _, a := range findAll(doc, sel("a")) {
		if strings.HasPrefix(attr(a, "href"), "javascript:") {
			t.Errorf("link to %q", attr(a, "href"))
		}
	}
	if len(findAll(doc, sel("b"))) != 0 {
		t.Errorf("a feature name became markup")
	}
	page := text(doc)
	for _, s := range []string{`<script>alert(3)</script>`, `<img src=x onerror=alert(1)>`, `<b>feature</b>`} {
		if !strings.Contains(page, s) {
			t.Errorf("the page does not show %q as text", s)
		}
	}
}
