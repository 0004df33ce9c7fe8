//go:build unix

package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
	"github.com/lbcheck/lbcheck/internal/prereq"
)

// The browser tests open the generated pages in a real headless Chromium
// (Debian's chromium; .ci/run installs it) and drive it over the Chrome
// DevTools Protocol. They check the DOM after layout and script, that the
// filter works when clicked, that the page fetches nothing but itself, and
// save screenshots (in the test's temp dir and in $LBCHECK_SCREENSHOT_DIR).

// chromiumFlags are the flags of every browser the tests start: headless,
// no background traffic of any kind.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--remote-debugging-port=0",
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	prereq.Missing(t, "chromium is not installed (Debian package chromium; .ci/run installs it)")
	return ""
}

// startChromium starts a headless Chromium with a fresh profile and returns
// the DevTools websocket URL read from the profile's DevToolsActivePort. The
// browser's whole process group is stopped when the test ends.
func startChromium(t *testing.T) string {
	t.Helper()
	bin := chromiumPath(t)
	profile, err := os.MkdirTemp("", "lbcheck-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, append(chromiumFlags, "--user-data-dir="+profile, "about:blank")...)
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stopProcessGroup(cmd.Process.Pid, exited)
		removeProfile(t, profile)
	})

	portFile := filepath.Join(profile, "DevToolsActivePort")
	deadline := time.After(30 * time.Second)
	for {
		data, err := os.ReadFile(portFile)
		if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); err == nil && len(lines) == 2 {
			return "ws://127.0.0.1:" + strings.TrimSpace(lines[0]) + strings.TrimSpace(lines[1])
		}
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("chromium exited before opening its DevTools port (%v):\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("chromium did not write %s within 30s:\n%s", portFile, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopProcessGroup sends SIGTERM to the browser's process group, and SIGKILL
// if it has not exited after 5 seconds.
func stopProcessGroup(pid int, exited chan error) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // children that outlived the browser
}

// removeProfile deletes the profile; Chromium's helpers may still write to
// it for a moment after the browser exits.
func removeProfile(t *testing.T, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("removing the browser profile: %v", err)
}

// tab is one browser tab with a record of what the page fetched and what
// went wrong in it.
type tab struct {
	ctx context.Context

	mu       sync.Mutex
	requests []string // URLs of every network request
	problems []string // uncaught exceptions and error log entries (CSP violations)
}

func newTab(t *testing.T, wsURL string) *tab {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := remote.NewAllocator(ctx, wsURL, remote.NoModifyURL)
	t.Cleanup(cancelAlloc)
	tb := &tab{}
	var cancelTab context.CancelFunc
	tb.ctx, cancelTab = chromedp.NewContext(allocCtx, chromedp.WithListener(tb.listen))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tb
}

// listen runs in the tab's message loop: it only records.
func (tb *tab) listen(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		tb.requests = append(tb.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		msg := ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil && ex.Description != "" {
			msg += " " + ex.Description
		}
		tb.problems = append(tb.problems, "exception: "+msg)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			tb.problems = append(tb.problems, "log: "+ev.Entry.Text)
		}
	}
}

func (tb *tab) record() (requests, problems []string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.requests...), append([]string(nil), tb.problems...)
}

// open navigates to the file and waits for the load.
func (tb *tab) open(t *testing.T, path string) string {
	t.Helper()
	u := (&url.URL{Scheme: "file", Path: path}).String()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("navigating to %s: %v", u, err)
	}
	return u
}

// onlyItself fails the test unless the page's one request was for itself
// and nothing went wrong in it.
func (tb *tab) onlyItself(t *testing.T, pageURL string) {
	t.Helper()
	requests, problems := tb.record()
	if len(requests) == 0 {
		t.Errorf("saw no network request at all, not even for the page: the recorder is broken")
	}
	for _, r := range requests {
		if r != pageURL && !strings.HasPrefix(r, "data:") { // data: is the page's own content (the capture download)
			t.Errorf("the page fetched %s; a report must fetch nothing", r)
		}
	}
	for _, p := range problems {
		t.Errorf("browser reported %s", p)
	}
}

// screenshot saves a full-page PNG in the test's temp dir and, when
// LBCHECK_SCREENSHOT_DIR is set, there too.
func (tb *tab) screenshot(t *testing.T, outDir, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	dirs := []string{outDir}
	if d := os.Getenv("LBCHECK_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}

func (tb *tab) click(t *testing.T, css string) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(css))); err != nil {
		t.Fatalf("clicking %s: %v", css, err)
	}
}

func evaluate[T any](t *testing.T, tb *tab, js string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating in the page: %v", err)
	}
	return v
}

// conformanceDOM is what the page shows, read by domScript after layout.
type conformanceDOM struct {
	Cases       int               `json:"cases"`
	Visible     map[string]int    `json:"visible"` // status -> cases laid out on screen
	Pressed     string            `json:"pressed"` // the filter button that is on
	NoMatch     bool              `json:"noMatch"` // the "nothing has this status" line is shown
	Mismatch    map[string]string `json:"mismatch"`
	MismatchBG  bool              `json:"mismatchBG"`  // mismatch cells are coloured differently
	LadderWidth float64           `json:"ladderWidth"` // rendered width of the failing case's ladder
	Dead        int               `json:"dead"`        // ✗ markers drawn in the failing case
	ScriptRan   string            `json:"scriptRan"`   // body[data-filter] set by the page's script
	Downloads   int               `json:"downloads"`
}

const domScript = `(() => {
  const shown = el => el.getClientRects().length > 0;
  const visible = {};
  document.querySelectorAll("details.case").forEach(c => {
    if (shown(c)) visible[c.dataset.status] = (visible[c.dataset.status] || 0) + 1;
  });
  const failing = document.getElementById("case-FloatingInbound");
  const mismatch = {};
  failing.querySelectorAll("td.mismatch").forEach(td => { mismatch[td.dataset.field] = td.textContent.trim(); });
  const bad = failing.querySelector("td.mismatch");
  const good = failing.querySelector("tr.observed td:not(.mismatch)");
  const ladder = failing.querySelector("svg.ladder");
  return {
    cases: document.querySelectorAll("details.case").length,
    visible: visible,
    pressed: document.querySelector("button[data-filter][aria-pressed=true]").dataset.filter,
    noMatch: shown(document.getElementById("no-match")),
    mismatch: mismatch,
    mismatchBG: !!bad && !!good && getComputedStyle(bad).backgroundColor !== getComputedStyle(good).backgroundColor,
    ladderWidth: ladder ? ladder.getBoundingClientRect().width : 0,
    dead: failing.querySelectorAll("svg.ladder g.died path.x").length,
    scriptRan: document.body.dataset.filter || "",
    downloads: document.querySelectorAll("a.download[href^='data:']").length,
  };
})()`

func TestConformanceHTMLInChromium(t *testing.T) {
	wsURL := startChromium(t)
	dir := fixtureDir(t)
	r, err := ReadConformance(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	pagePath := filepath.Join(dir, "report.html")
	writePage(t, pagePath, func(f *os.File) error { return WriteConformanceHTML(f, r, PcapsFromDir(dir)) })

	tb := newTab(t, wsURL)
	pageURL := tb.open(t, pagePath)
	outDir := t.TempDir()

	got := evaluate[conformanceDOM](t, tb, domScript)
	if got.Cases != 5 || got.ScriptRan != "all" || got.Pressed != "all" || got.NoMatch {
		t.Errorf("initial page: %d cases, script ran=%q, pressed=%q, no-match shown=%v; want 5, all, all, false", got.Cases, got.ScriptRan, got.Pressed, got.NoMatch)
	}
	if want := map[string]int{"passed": 3, "failed": 1, "skipped": 1}; fmt.Sprint(got.Visible) != fmt.Sprint(want) {
		t.Errorf("visible cases %v, want %v", got.Visible, want)
	}
	if want := map[string]string{"dst": "10.1.0.4", "dport": "8080"}; fmt.Sprint(got.Mismatch) != fmt.Sprint(want) || !got.MismatchBG {
		t.Errorf("failing case's diff: mismatching cells %v (highlighted: %v), want %v highlighted", got.Mismatch, got.MismatchBG, want)
	}
	if got.LadderWidth < 600 || got.Dead != 1 {
		t.Errorf("failing case's ladder: %.0f px wide with %d ✗ markers, want a drawn ladder with 1", got.LadderWidth, got.Dead)
	}
	if got.Downloads != 2 {
		t.Errorf("%d embedded captures, want 2", got.Downloads)
	}
	tb.screenshot(t, outDir, "conformance-report.png")

	filters := []struct {
		button  string
		visible map[string]int
	}{
		{"failed", map[string]int{"failed": 1}},
		{"skipped", map[string]int{"skipped": 1}},
		{"passed", map[string]int{"passed": 3}},
		{"all", map[string]int{"passed": 3, "failed": 1, "skipped": 1}},
	}
	for _, f := range filters {
		tb.click(t, fmt.Sprintf(`button[data-filter=%q]`, f.button))
		got := evaluate[conformanceDOM](t, tb, domScript)
		if fmt.Sprint(got.Visible) != fmt.Sprint(f.visible) || got.Pressed != f.button {
			t.Errorf("after clicking %q: visible %v with %q pressed, want %v", f.button, got.Visible, got.Pressed, f.visible)
		}
		if f.button == "failed" {
			tb.screenshot(t, outDir, "conformance-report-failed.png")
		}
	}

	tb.click(t, `button[data-expand="open"]`)
	if open := evaluate[int](t, tb, `document.querySelectorAll("details.case[open]").length`); open != 5 {
		t.Errorf("after Expand all: %d cases open, want 5", open)
	}
	tb.screenshot(t, outDir, "conformance-report-expanded.png")

	// The capture link downloads the very bytes of the capture file.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(tb.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	tb.click(t, `#case-NonFloatingInbound a.download`)
	want, err := os.ReadFile(filepath.Join(dir, "pcap", "NonFloatingInbound.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	saved, err := waitForFile(filepath.Join(downloads, "NonFloatingInbound.pcap"), 15*time.Second)
	if err != nil || !bytes.Equal(saved, want) {
		t.Errorf("downloading the capture: got %d bytes (%v), want the %d bytes of the file", len(saved), err, len(want))
	}
	tb.onlyItself(t, pageURL)
}

func TestLintHTMLInChromium(t *testing.T) {
	wsURL := startChromium(t)
	dir := t.TempDir()
	pagePath := filepath.Join(dir, "lint.html")
	writePage(t, pagePath, func(f *os.File) error { return WriteLintHTML(f, sampleLint()) })

	tb := newTab(t, wsURL)
	pageURL := tb.open(t, pagePath)
	const visible = `Array.from(document.querySelectorAll("article.finding")).filter(a => a.getClientRects().length > 0).map(a => a.dataset.rule).join(",")`
	if got := evaluate[string](t, tb, visible); got != "LB3001,LB2001,LB2004,LB0002" {
		t.Errorf("visible findings %q", got)
	}
	hit := evaluate[string](t, tb, `document.querySelector("article[data-rule=LB2001] .ln.hit").textContent`)
	if strings.TrimSpace(hit) != "address: 203.0.113.10" {
		t.Errorf("highlighted line %q", hit)
	}
	// Each caret must sit under the character at the finding's column, as
	// laid out by the browser (line numbers, tabs and fonts included).
	const caretOffsets = `Array.from(document.querySelectorAll("article.finding")).filter(a => a.querySelector(".caret")).map(a => {
	  const x = (node, i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect().left; };
	  const line = a.querySelector(".ln.hit").firstChild, caret = a.querySelector(".caret").firstChild;
	  return a.dataset.rule + ":" + Math.round(x(caret, caret.length - 1) - x(line, Number(a.dataset.column) - 1));
	}).join(",")`
	if got := evaluate[string](t, tb, caretOffsets); got != "LB3001:0,LB2001:0,LB2004:0" {
		t.Errorf("caret offsets from their columns in px: %s, want 0 each", got)
	}
	tb.screenshot(t, t.TempDir(), "lint-report.png")
	tb.click(t, `button[data-filter="error"]`)
	if got := evaluate[string](t, tb, visible); got != "LB3001,LB2001" {
		t.Errorf("after filtering errors, visible findings %q, want LB3001,LB2001", got)
	}
	tb.onlyItself(t, pageURL)
}

// TestComparisonHTMLInChromium opens a comparison of three reports: both
// tables are laid out with every row, the cells of different statuses
// look different, and the page fetches nothing and reports no error (a CSP
// violation would be one).
func TestComparisonHTMLInChromium(t *testing.T) {
	wsURL := startChromium(t)
	cmp, err := Compare(compareFixture())
	if err != nil {
		t.Fatal(err)
	}
	pagePath := filepath.Join(t.TempDir(), "comparison.html")
	writePage(t, pagePath, func(f *os.File) error { return WriteComparisonHTML(f, cmp) })

	tb := newTab(t, wsURL)
	pageURL := tb.open(t, pagePath)
	type table struct {
		Width float64 `json:"width"`
		Rows  int     `json:"rows"` // body rows laid out
		Cells int     `json:"cells"`
	}
	got := evaluate[map[string]table](t, tb, `(() => {
	  const out = {};
	  for (const id of ["features", "cases"]) {
	    const t = document.getElementById(id);
	    out[id] = {
	      width: t.getBoundingClientRect().width,
	      rows: Array.from(t.querySelectorAll("tbody tr")).filter(r => r.getClientRects().length > 0).length,
	      cells: Array.from(t.querySelectorAll("td.cell")).filter(c => c.innerText.trim() !== "").length,
	    };
	  }
	  return out;
	})()`)
	want := map[string]table{"features": {Rows: 6, Cells: 18}, "cases": {Rows: 6, Cells: 18}}
	for id, w := range want {
		if g := got[id]; g.Width < 600 || g.Rows != w.Rows || g.Cells != w.Cells {
			t.Errorf("table %s: %.0f px wide, %d rows and %d cells with text shown, want a laid-out table of %d rows and %d cells", id, g.Width, g.Rows, g.Cells, w.Rows, w.Cells)
		}
	}
	const colours = `["passed", "failed", "not-supported"].map(s => getComputedStyle(document.querySelector("#features td.cell[data-status='" + s + "'] .pill")).backgroundColor)`
	if c := evaluate[[]string](t, tb, colours); len(c) != 3 || c[0] == c[1] || c[1] == c[2] || c[0] == c[2] {
		t.Errorf("passed, failed and not-supported cells are coloured %q, want three colours", c)
	}
	if ran := evaluate[string](t, tb, `document.body.dataset.filter || ""`); ran != "all" {
		t.Errorf("the page script did not run (body[data-filter]=%q)", ran)
	}
	tb.screenshot(t, t.TempDir(), "comparison.png")
	tb.onlyItself(t, pageURL)
}

// TestInjectedScriptBlocked plays a name that got past the HTML escaping:
// a <script> element and an inline event handler added to a lint page. The
// page's Content-Security-Policy runs only the page's own script (by its
// hash), so the page still works and neither injected script runs.
func TestInjectedScriptBlocked(t *testing.T) {
	wsURL := startChromium(t)
	var page bytes.Buffer
	if err := WriteLintHTML(&page, sampleLint()); err != nil {
		t.Fatal(err)
	}
	const injected = `<script>document.body.dataset.injected = "script"</script>` +
		`<button id="injected" onclick="document.body.dataset.injected = 'handler'">x</button>`
	html := strings.Replace(page.String(), "<body>", "<body>"+injected, 1)
	if html == page.String() {
		t.Fatal("no <body> tag to inject after")
	}
	pagePath := filepath.Join(t.TempDir(), "injected.html")
	if err := os.WriteFile(pagePath, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	tb := newTab(t, wsURL)
	tb.open(t, pagePath)
	tb.click(t, "#injected")
	got := evaluate[map[string]string](t, tb, `({filter: document.body.dataset.filter || "", injected: document.body.dataset.injected || ""})`)
	if got["filter"] != "all" || got["injected"] != "" {
		t.Errorf("page script set filter=%q (want all), injected scripts set %q (want nothing)", got["filter"], got["injected"])
	}
	_, problems := tb.record()
	if n := strings.Count(strings.Join(problems, "\n"), "Content Security Policy"); n < 2 {
		t.Errorf("the browser reported %d CSP violations, want one per injected script: %q", n, problems)
	}
}

// TestChromiumRecorderSeesFetches is the control for onlyItself: a page that
// does load something (a local file, so no packet leaves the machine) must
// show up in the recorder, or the "fetches nothing" checks prove nothing.
func TestChromiumRecorderSeesFetches(t *testing.T) {
	wsURL := startChromium(t)
	dir := t.TempDir()
	pagePath := filepath.Join(dir, "leaky.html")
	if err := os.WriteFile(pagePath, []byte(`<!doctype html><title>leaky</title><img src="pixel.png"><script>throw new Error("boom")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	tb := newTab(t, wsURL)
	pageURL := tb.open(t, pagePath)
	pixel := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "pixel.png")}).String()
	deadline := time.Now().Add(10 * time.Second)
	for {
		requests, problems := tb.record()
		sawPixel := strings.Contains(strings.Join(requests, " "), pixel)
		sawBoom := strings.Contains(strings.Join(problems, " "), "boom")
		if sawPixel && sawBoom {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recorder missed the page's fetch or exception: requests %v, problems %v (page %s)", requests, problems, pageURL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForFile returns the file's content once it exists (Chromium renames a
// finished download into place).
func waitForFile(path string, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(path)
		if err == nil || time.Now().After(deadline) {
			return data, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writePage(t *testing.T, path string, write func(*os.File) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(write(f), f.Close()); err != nil {
		t.Fatal(err)
	}
}
