package reports

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

//go:embed assets/*.tmpl assets/style.css assets/report.js
var assets embed.FS

// Page assets, read once. The CSS and JS are inlined into every page so the
// file is self-contained; the page's Content-Security-Policy (pageCSP)
// forbids any fetch, so a stray reference shows up as a blocked request, not
// a leak, and runs only the page's own script. The templates are parsed
// when a page is first written, not when lbcheck starts: most runs (and
// every role process of the reference forwarder) write none.
var (
	pageCSS = template.CSS(mustAsset("assets/style.css"))
	pageJS  = template.JS(mustAsset("assets/report.js"))
	pageCSP = contentSecurityPolicy(string(pageJS))
	pages   = sync.OnceValue(func() *template.Template {
		return template.Must(template.New("").Funcs(template.FuncMap{
			"when":  formatDate,
			"secs":  formatSeconds,
			"add":   func(a, b int) int { return a + b },
			"list":  func(s ...string) []string { return s },
			"split": func(s string) []string { return strings.SplitN(s, ":", 2) },
			"cell":  cellLabel,
		}).ParseFS(assets, "assets/*.tmpl"))
	})
)

// contentSecurityPolicy is the pages' policy: nothing may be fetched
// (default-src 'none'; captures are data: links, which are not fetched),
// styles may be inline (the <style> element and the bars' style
// attributes), and the one script runs by the hash of its text, which is
// the page's only <script> element, so no script injected into the page
// would run: no 'unsafe-inline' for scripts.
func contentSecurityPolicy(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:"
}

// newHeader is the head of a page titled title.
func newHeader(title string) header {
	return header{Title: title, CSP: pageCSP, CSS: pageCSS, JS: pageJS}
}

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return string(b)
}

// MaxInlinePcap is the largest capture embedded in an HTML report, and
// MaxInlinePcapTotal the most its captures take together. A capture over
// either is left next to the report and the page says so.
const (
	MaxInlinePcap      = 2 << 20
	MaxInlinePcapTotal = 16 << 20
)

// PcapTooLargeError is returned by a pcap source for a capture over
// MaxInlinePcap, and stands for one that would take the page's captures over
// MaxInlinePcapTotal (Total); the page then names the file instead of
// embedding it.
type PcapTooLargeError struct {
	Name  string
	Size  int64
	Total bool
}

func (e *PcapTooLargeError) Error() string {
	if e.Total {
		return fmt.Sprintf("capture %s (%s) would take the page's embedded captures over their %s limit", e.Name, formatBytes(e.Size), formatBytes(MaxInlinePcapTotal))
	}
	return fmt.Sprintf("capture %s is %s, over the %s embedding limit", e.Name, formatBytes(e.Size), formatBytes(MaxInlinePcap))
}

// PcapSource returns the bytes of the capture a case names (CaseResult.Pcap,
// relative to the report). It may return a *PcapTooLargeError.
type PcapSource func(name string) ([]byte, error)

// header is the part of the page every page shares (newHeader).
type header struct {
	Title string
	CSP   string
	CSS   template.CSS
	JS    template.JS
}

// filterButton is one button of the status filter.
type filterButton struct {
	Name, Label string
	N           int
}

// filterBar is the status filter; Expand adds expand/collapse-all buttons
// for pages whose items are <details>.
type filterBar struct {
	Buttons []filterButton
	Expand  bool
}

// statusFilter has a button per status, "Not supported" only when some
// case is.
func statusFilter(s Statistics) filterBar {
	f := filterBar{Expand: true, Buttons: []filterButton{
		{"all", "All", s.Total()},
		{StatusPassed, "Passed", s.Passed},
		{StatusFailed, "Failed", s.Failed},
		{StatusSkipped, "Skipped", s.Skipped},
	}}
	if s.NotSupported > 0 {
		f.Buttons = append(f.Buttons, filterButton{StatusNotSupported, "Not supported", s.NotSupported})
	}
	return f
}

// conformancePage is what the conformance template renders.
type conformancePage struct {
	Head     header
	R        *ConformanceReport
	Profiles []profileView
	Total    Statistics
	Filter   filterBar
	Cases    []caseView
}

// profileView is a profile's summary card: its counts and links to its cases.
type profileView struct {
	ProfileResult
	Cases []caseView
}

type caseView struct {
	CaseResult
	ID     string
	Checks []checkView
	Ladder *ladder
	Pcap   pcapView
}

type checkView struct {
	Check
	Fields []FieldDiff
}

type pcapView struct {
	Name string       // file name offered for the download
	URL  template.URL // data: URI; empty when not embedded
	Size string
	Note string // why the capture is not embedded
}

// WriteConformanceHTML renders r as one self-contained HTML page: summary
// per profile, a status filter, and per case the expectation with its
// source, an expected-versus-observed field diff per check, a packet ladder
// and the capture as a download. pcaps may be nil (no captures embedded).
func WriteConformanceHTML(w io.Writer, r *ConformanceReport, pcaps PcapSource) error {
	p := conformancePage{
		Head: newHeader("lbcheck conformance: " + r.Implementation.Name),
		R:    r,
	}
	profiles, result := r.summary()
	if r.Result == "" {
		r = withResult(r, result)
		p.R = r
	}
	ids := map[string]int{}
	var embedded int64 // bytes of captures embedded so far
	for _, c := range r.Cases {
		p.Total.add(c.Status)
		cv := caseView{CaseResult: c, ID: uniqueID(ids, "case-"+c.Name), Ladder: buildLadder(c.Hops, c.Checks)}
		for _, ch := range c.Checks {
			cv.Checks = append(cv.Checks, checkView{Check: ch, Fields: ch.FieldDiffs()})
		}
		cv.Pcap = loadPcap(c.Pcap, pcaps, &embedded)
		p.Cases = append(p.Cases, cv)
	}
	p.Filter = statusFilter(p.Total)
	for _, pr := range profiles {
		pv := profileView{ProfileResult: pr}
		for _, c := range p.Cases {
			if c.Profile == pr.Name {
				pv.Cases = append(pv.Cases, c)
			}
		}
		p.Profiles = append(p.Profiles, pv)
	}
	return pages().ExecuteTemplate(w, "conformance.html.tmpl", p)
}

func withResult(r *ConformanceReport, result string) *ConformanceReport {
	c := *r
	c.Result = result
	return &c
}

// loadPcap embeds the capture as a data: URI, or explains why it is not;
// embedded counts the bytes the page embeds, up to MaxInlinePcapTotal.
func loadPcap(name string, pcaps PcapSource, embedded *int64) pcapView {
	if name == "" {
		return pcapView{}
	}
	v := pcapView{Name: path.Base(name)}
	if pcaps == nil {
		v.Note = "capture " + name + " is next to the report (not embedded)"
		return v
	}
	data, err := pcaps(name)
	var big *PcapTooLargeError
	switch {
	case errors.As(err, &big):
		v.Note = big.Error() + "; open it next to the report"
	case err != nil:
		v.Note = "capture not available: " + err.Error()
	case len(data) > MaxInlinePcap:
		v.Note = (&PcapTooLargeError{Name: name, Size: int64(len(data))}).Error() + "; open it next to the report"
	case *embedded+int64(len(data)) > MaxInlinePcapTotal:
		v.Note = (&PcapTooLargeError{Name: name, Size: int64(len(data)), Total: true}).Error() + "; open it next to the report"
	default:
		*embedded += int64(len(data))
		v.Size = formatBytes(int64(len(data)))
		v.URL = template.URL("data:application/vnd.tcpdump.pcap;base64," + base64.StdEncoding.EncodeToString(data))
	}
	return v
}

var nonID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// uniqueID turns s into an HTML id, adding a suffix when it was used before.
func uniqueID(seen map[string]int, s string) string {
	id := nonID.ReplaceAllString(s, "-")
	seen[id]++
	if n := seen[id]; n > 1 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return id
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return "unknown date"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.1f s", s)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
