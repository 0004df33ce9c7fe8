package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestConformanceHTMLSelfContained checks that the page can reference
// nothing outside itself: no src, no <link>, no CSS url() other than
// in-page fragments, and a Content-Security-Policy that blocks any fetch.
func TestConformanceHTMLSelfContained(t *testing.T) {
	page := renderFixture(t)
	doc := parseHTML(t, page)
	assertSelfContained(t, doc)
}

func assertSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "link", "img", "iframe", "object", "embed", "base":
			t.Errorf("page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "xlink:href" || a.Key == "action":
				t.Errorf("<%s %s=%q> would load a resource", n.Data, a.Key, a.Val)
			case a.Key == "style" && strings.Contains(a.Val, "url("):
				t.Errorf("<%s style=%q> loads a resource", n.Data, a.Val)
			case a.Key == "href" && n.Data != "a":
				t.Errorf("<%s href=%q> would load a resource", n.Data, a.Val)
			}
		}
	}
	styles := findAll(doc, sel("style"))
	scripts := findAll(doc, sel("script"))
	if len(styles) != 1 || len(scripts) != 1 {
		t.Fatalf("page has %d <style> and %d <script> elements, want one each", len(styles), len(scripts))
	}
	css := text(styles[0])
	for _, bad := range []string{"@import", "@font-face"} {
		if strings.Contains(css, bad) {
			t.Errorf("inline CSS contains %s", bad)
		}
	}
	if strings.Count(css, "url(") != strings.Count(css, "url(#") {
		t.Errorf("inline CSS has a url() that is not an in-page fragment")
	}
	var csp string
	for _, m := range findAll(doc, sel("meta")) {
		if strings.EqualFold(attr(m, "http-equiv"), "Content-Security-Policy") {
			csp = attr(m, "content")
		}
	}
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	if directives["default-src"] != "'none'" {
		t.Errorf("Content-Security-Policy %q does not start from default-src 'none'", csp)
	}
	// The one script runs by its hash: no 'unsafe-inline' (nor eval), so a
	// script injected into the page would not run.
	var js string // the script's text exactly, as the browser hashes it
	if c := scripts[0].FirstChild; c != nil {
		js = c.Data
	}
	sum := sha256.Sum256([]byte(js))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; directives["script-src"] != want {
		t.Errorf("script-src %q, want only the hash of the page's script %s", directives["script-src"], want)
	}
}

func TestConformanceHTMLSummary(t *testing.T) {
	doc := parseHTML(t, renderFixture(t))
	if got := text(byID(t, doc, "overall-result")); got != ResultFailure {
		t.Errorf("overall result %q, want %q", got, ResultFailure)
	}
	want := map[string]map[string]string{
		"core":     {"passed": "2", "failed": "1", "skipped": "0"},
		"extended": {"passed": "1", "failed": "0", "skipped": "1"},
	}
	cards := findAll(doc, sel("div", "profile"))
	if len(cards) != len(want) {
		t.Fatalf("%d profile cards, want %d", len(cards), len(want))
	}
	for _, card := range cards {
		name := attr(card, "data-profile")
		for _, dd := range findAll(card, sel("dd")) {
			if got, w := text(dd), want[name][attr(dd, "data-count")]; got != w {
				t.Errorf("profile %s: %s = %s, want %s", name, attr(dd, "data-count"), got, w)
			}
		}
	}
	buttons := map[string]string{}
	for _, b := range findAll(doc, func(n *html.Node) bool { return sel("button")(n) && hasAttr(n, "data-filter") }) {
		buttons[attr(b, "data-filter")] = text(findAll(b, sel("span", "count"))[0])
	}
	wantButtons := map[string]string{"all": "5", "passed": "3", "failed": "1", "skipped": "1"}
	if !equalMaps(buttons, wantButtons) {
		t.Errorf("filter buttons %v, want %v", buttons, wantButtons)
	}
	facts := text(findAll(doc, sel("div", "facts"))[0])
	for _, s := range []string{"acme-lb", "0.4.1", "targets/acme-lb.yaml", "6.1.0-40-amd64", "go1.26.8", "ci-runner-7", "Deployments tested", "deploy/lb.yaml"} {
		if !strings.Contains(facts, s) {
			t.Errorf("implementation and environment %q lack %q", facts, s)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestConformanceHTMLCases(t *testing.T) {
	r := loadFixture(t)
	doc := parseHTML(t, renderFixture(t))
	cases := findAll(doc, sel("details", "case"))
	if len(cases) != len(r.Cases) {
		t.Fatalf("%d cases on the page, want %d", len(cases), len(r.Cases))
	}
	for i, c := range cases {
		fc := r.Cases[i]
		if got := attr(c, "data-status"); got != fc.Status {
			t.Errorf("case %s: data-status %q, want %q", fc.Name, got, fc.Status)
		}
		if open := hasAttr(c, "open"); open != (fc.Status == StatusFailed) {
			t.Errorf("case %s (%s): open=%v, want failed cases open and others closed", fc.Name, fc.Status, open)
		}
		body := text(c)
		for _, s := range []string{fc.Name, fc.Description, fc.Expectation, fc.Reason} {
			if !strings.Contains(body, s) {
				t.Errorf("case %s lacks %q", fc.Name, s)
			}
		}
		links := findAll(c, func(n *html.Node) bool { return sel("a")(n) && attr(n, "href") == fc.Source })
		if len(links) != 1 {
			t.Errorf("case %s: %d links to its source %s, want 1", fc.Name, len(links), fc.Source)
		}
	}
}

// TestConformanceHTMLDiff checks the failing case's field diff: the VM saw
// the DIP where the frontend IP was expected.
func TestConformanceHTMLDiff(t *testing.T) {
	doc := parseHTML(t, renderFixture(t))
	failing := byID(t, doc, "case-FloatingInbound")
	tables := findAll(failing, sel("table", "diff"))
	if len(tables) != 3 {
		t.Fatalf("FloatingInbound has %d check tables, want 3", len(tables))
	}
	tests := []struct {
		point        string
		class        string
		mismatches   map[string]string // field -> observed
		nothingFound bool
	}{
		{"mux", "ok", map[string]string{}, false},
		{"vm", "fail", map[string]string{"dst": "10.1.0.4", "dport": "8080"}, false},
		{"client", "fail", map[string]string{}, true},
	}
	for i, tt := range tests {
		tab := tables[i]
		if got := attr(tab, "data-point"); got != tt.point {
			t.Errorf("check %d: point %q, want %q", i, got, tt.point)
		}
		if !sel("table", tt.class)(tab) {
			t.Errorf("check %s: class %q, want %q", tt.point, attr(tab, "class"), tt.class)
		}
		got := map[string]string{}
		for _, td := range findAll(tab, sel("td", "mismatch")) {
			got[attr(td, "data-field")] = text(td)
		}
		if !equalMaps(got, tt.mismatches) {
			t.Errorf("check %s: mismatching cells %v, want %v", tt.point, got, tt.mismatches)
		}
		if nothing := len(findAll(tab, sel("td", "nothing"))) > 0; nothing != tt.nothingFound {
			t.Errorf("check %s: 'nothing arrived' shown=%v, want %v", tt.point, nothing, tt.nothingFound)
		}
	}
	expected := findAll(tables[1], sel("tr", "expected"))[0]
	for _, td := range findAll(expected, sel("td")) {
		if attr(td, "data-field") == "sport" && (text(td) != "any" || !sel("td", "any")(td)) {
			t.Errorf("unset expected sport shows %q with class %q, want 'any'", text(td), attr(td, "class"))
		}
	}
}

func TestConformanceHTMLLadder(t *testing.T) {
	doc := parseHTML(t, renderFixture(t))
	type hop struct{ point, dir, kind string }
	tests := []struct {
		id   string
		hops []hop
	}{
		{"case-FloatingInbound", []hop{
			{"client", "request", kindRequest}, {"mux", "request", kindRequest}, {"host", "request", kindRequest},
			{"vm", "request", kindBad}, {"vm", "reply", kindReply}, {"host", "reply", kindDied}, {"client", "reply", kindUnreached},
		}},
		{"case-ReplyBypassesMux", []hop{
			{"client", "request", kindRequest}, {"mux", "request", kindRequest}, {"host", "request", kindRequest},
			{"vm", "request", kindRequest}, {"vm", "reply", kindReply}, {"host", "reply", kindReply}, {"client", "reply", kindReply},
			{"mux", "reply", kindAbsent},
		}},
		{"case-StrongHostReceiveDrops", []hop{
			{"client", "request", kindRequest}, {"mux", "request", kindRequest}, {"host", "request", kindRequest}, {"vm", "request", kindDied},
		}},
		{"case-IdleTimeoutTCPReset", nil},
	}
	for _, tt := range tests {
		c := byID(t, doc, tt.id)
		svgs := findAll(c, sel("svg", "ladder"))
		if tt.hops == nil {
			if len(svgs) != 0 {
				t.Errorf("%s: has a ladder, want none (no hops)", tt.id)
			}
			continue
		}
		if len(svgs) != 1 {
			t.Fatalf("%s: %d ladders, want 1", tt.id, len(svgs))
		}
		var cols []string
		for _, n := range findAll(svgs[0], sel("text", "col-name")) {
			cols = append(cols, text(n))
		}
		if want := []string{"client", "mux", "host", "vm"}; !slices.Equal(cols, want) {
			t.Errorf("%s: columns %v, want %v", tt.id, cols, want)
		}
		var got []hop
		for _, g := range findAll(svgs[0], sel("g", "hop")) {
			kind := strings.TrimSpace(strings.TrimPrefix(attr(g, "class"), "hop"))
			got = append(got, hop{attr(g, "data-point"), attr(g, "data-direction"), kind})
			if dead := len(findAll(g, sel("path", "x"))) == 1; dead != (kind == kindDied) {
				t.Errorf("%s: hop %s %s (%s) has ✗=%v", tt.id, attr(g, "data-point"), attr(g, "data-direction"), kind, dead)
			}
		}
		if !slices.Equal(got, tt.hops) {
			t.Errorf("%s: hops\n got %v\nwant %v", tt.id, got, tt.hops)
		}
	}
	died := findAll(byID(t, doc, "case-FloatingInbound"), sel("g", kindDied))[0]
	if note := text(died); !strings.Contains(note, "no floating-IP flow for 10.1.0.4:8080") {
		t.Errorf("died hop text %q lacks the hop's note", note)
	}
}

func TestConformanceHTMLPcap(t *testing.T) {
	dir := fixtureDir(t)
	doc := parseHTML(t, renderDir(t, dir))
	for _, name := range []string{"NonFloatingInbound", "FloatingInbound"} {
		links := findAll(byID(t, doc, "case-"+name), sel("a", "download"))
		if len(links) != 1 {
			t.Fatalf("%s: %d download links, want 1", name, len(links))
		}
		if got := attr(links[0], "download"); got != name+".pcap" {
			t.Errorf("%s: download name %q, want %q", name, got, name+".pcap")
		}
		const prefix = "data:application/vnd.tcpdump.pcap;base64,"
		href := attr(links[0], "href")
		if !strings.HasPrefix(href, prefix) {
			t.Fatalf("%s: href %.60q does not start with %q", name, href, prefix)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(href, prefix))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := os.ReadFile(filepath.Join(dir, "pcap", name+".pcap"))
		if !bytes.Equal(data, want) {
			t.Errorf("%s: embedded capture (%d bytes) differs from the file (%d bytes)", name, len(data), len(want))
		}
	}
	notes := map[string]string{
		"case-ReplyBypassesMux":       "over the 2.0 MiB embedding limit",
		"case-StrongHostReceiveDrops": "capture not available",
	}
	for id, want := range notes {
		c := byID(t, doc, id)
		if len(findAll(c, sel("a", "download"))) != 0 {
			t.Errorf("%s: has a download link, want a note", id)
		}
		if got := text(findAll(c, sel("p", "pcap"))[0]); !strings.Contains(got, want) {
			t.Errorf("%s: capture note %q lacks %q", id, got, want)
		}
	}
	if n := len(findAll(byID(t, doc, "case-IdleTimeoutTCPReset"), sel("p", "pcap"))); n != 0 {
		t.Errorf("case without capture shows %d capture paragraphs", n)
	}
}

// TestConformanceHTMLEscapes feeds hostile strings through every kind of
// field the page shows.
func TestConformanceHTMLEscapes(t *testing.T) {
	evil := `<script>alert(1)</script>"'><img src=x>`
	r := &ConformanceReport{
		APIVersion:     ConformanceAPIVersion,
		Kind:           ConformanceKind,
		Implementation: Implementation{Name: evil, Version: evil},
		Environment:    Environment{Kernel: evil},
		Cases: []CaseResult{{
			Name: evil, Description: evil, Profile: evil, Expectation: evil, Reason: evil,
			Source: "javascript:alert(1)", Status: StatusFailed, Pcap: "../../" + evil,
			Checks: []Check{{Point: evil, What: evil, Expected: Headers{DstIP: evil}, Observed: &Headers{DstIP: evil + "x"}}},
			Hops:   []Hop{{Point: evil, Direction: evil, Headers: Headers{SrcIP: evil}, Note: evil}},
		}},
	}
	var buf bytes.Buffer
	if err := WriteConformanceHTML(&buf, r, PcapsFromDir(t.TempDir())); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, buf.Bytes())
	assertSelfContained(t, doc)
	for _, a := range findAll(doc, sel("a")) {
		if strings.HasPrefix(strings.ToLower(attr(a, "href")), "javascript:") {
			t.Errorf("link with href %q", attr(a, "href"))
		}
	}
	if !strings.Contains(text(doc), evil) {
		t.Errorf("the hostile text was not shown as text")
	}
}

// TestConformanceHTMLNoProfiles renders a report whose writer left Profiles
// and Result empty: the page computes them from the cases.
func TestConformanceHTMLNoProfiles(t *testing.T) {
	r := loadFixture(t)
	r.Profiles, r.Result = nil, ""
	var buf bytes.Buffer
	if err := WriteConformanceHTML(&buf, r, nil); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, buf.Bytes())
	if got := text(byID(t, doc, "overall-result")); got != ResultFailure {
		t.Errorf("overall result %q, want %q", got, ResultFailure)
	}
	var names []string
	for _, card := range findAll(doc, sel("div", "profile")) {
		names = append(names, attr(card, "data-profile"))
	}
	if want := []string{"core", "extended"}; !slices.Equal(names, want) {
		t.Errorf("profiles %v, want %v", names, want)
	}
	if r.Result != "" {
		t.Errorf("WriteConformanceHTML changed the report's Result to %q", r.Result)
	}
	if got := text(findAll(byID(t, doc, "case-FloatingInbound"), sel("p", "pcap"))[0]); !strings.Contains(got, "not embedded") {
		t.Errorf("without a pcap source the capture note is %q", got)
	}
}

// TestConformanceHTMLMembers: a generic case's verdict per rule and member
// is a table in its section.
func TestConformanceHTMLMembers(t *testing.T) {
	r := &ConformanceReport{Result: ResultFailure, Cases: []CaseResult{{Name: "RuleReplyDirect", Profile: ProfileCore, Status: StatusFailed,
		Members: []MemberResult{
			{Rule: "rule lb/web (tcp 203.0.113.10:80)", Member: "sql-1", Status: StatusPassed},
			{Rule: "rule lb/web (tcp 203.0.113.10:80)", Member: "sql-2", Status: StatusFailed, Note: "its first flow's check failed"},
		}}}}
	var b strings.Builder
	if err := WriteConformanceHTML(&b, r, nil); err != nil {
		t.Fatal(err)
	}
	rows := findAll(parseHTML(t, []byte(b.String())), func(n *html.Node) bool { return sel("tr")(n) && strings.HasPrefix(attr(n, "class"), "member-") })
	if len(rows) != 2 || attr(rows[1], "class") != "member-failed" || !strings.Contains(text(rows[1]), "sql-2") || !strings.Contains(text(rows[1]), "its first flow's check failed") {
		t.Errorf("%d member rows; want sql-1 passed and sql-2 failed with its note", len(rows))
	}
}

// TestNotSupportedRendering: a case the implementation cannot run is
// counted, filtered and explained apart from skipped ones, on the page and
// in JUnit.
func TestNotSupportedRendering(t *testing.T) {
	r := &ConformanceReport{Implementation: Implementation{Name: "no-probes"}, Cases: []CaseResult{
		{Name: "FloatingIPOnDestination", Profile: ProfileCore, Status: StatusPassed},
		{Name: "ProbesAnsweredByMembers", Profile: ProfileCore, Status: StatusNotSupported,
			Unsupported: []string{"health-probe"}, Reason: "needs health-probe, which the implementation does not declare"},
	}}
	r.Profiles, r.Result = Summarize(r.Cases)
	var page bytes.Buffer
	if err := WriteConformanceHTML(&page, r, nil); err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, page.Bytes())
	if got := text(byID(t, doc, "overall-result")); got != ResultPartial {
		t.Errorf("overall result %q, want %q", got, ResultPartial)
	}
	counts := map[string]string{}
	for _, dd := range findAll(doc, sel("dd")) {
		if k := attr(dd, "data-count"); k != "" {
			counts[k] = text(dd)
		}
	}
	if counts["not-supported"] != "1" || counts["skipped"] != "0" {
		t.Errorf("profile counts %v, want not-supported 1 and skipped 0", counts)
	}
	var filters []string
	for _, b := range findAll(doc, func(n *html.Node) bool { return sel("button")(n) && hasAttr(n, "data-filter") }) {
		filters = append(filters, attr(b, "data-filter"))
	}
	if !slices.Contains(filters, StatusNotSupported) {
		t.Errorf("filter buttons %v lack %s", filters, StatusNotSupported)
	}
	for _, s := range []string{"Not supported:", "Not declared:", "health-probe"} {
		if !strings.Contains(page.String(), s) {
			t.Errorf("page lacks %q", s)
		}
	}
	var x bytes.Buffer
	if err := WriteJUnit(&x, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(x.String(), `skipped="1"`) || !strings.Contains(x.String(), `<skipped message="not supported: needs health-probe`) {
		t.Errorf("JUnit does not report the case as skipped, not supported:\n%s", x.String())
	}
}
