package reports

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const fixturePath = "testdata/conformance-report.json"

// loadFixture reads the sample report: in core two cases pass and
// FloatingInbound fails with a field diff; in extended one passes (with an
// expected drop) and one is skipped.
func loadFixture(t testing.TB) *ConformanceReport {
	t.Helper()
	r, err := ReadConformance(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// samplePcap returns a valid little-endian pcap file holding n copies of a
// TCP SYN from 198.51.100.10:40000 to 203.0.113.10:80 on Ethernet.
func samplePcap(n int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	b.Write(hdr)
	frame := []byte{
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // ethernet
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 51, 100, 10, 203, 0, 113, 10, // IPv4
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0, // TCP SYN
	}
	for i := range n {
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1764067327+i))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
	}
	return b.Bytes()
}

// fixtureDir lays out the fixture as `lbcheck conform --report` would: the
// JSON next to pcap/. NonFloatingInbound and FloatingInbound have small
// captures, ReplyBypassesMux's is over MaxInlinePcap, and
// StrongHostReceiveDrops's is missing.
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"report.json":                  data,
		"pcap/NonFloatingInbound.pcap": samplePcap(3),
		"pcap/FloatingInbound.pcap":    samplePcap(5),
		"pcap/ReplyBypassesMux.pcap":   make([]byte, MaxInlinePcap+300<<10),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderFixture renders the fixture with its captures and returns the page.
func renderFixture(t testing.TB) []byte {
	t.Helper()
	return renderDir(t, fixtureDir(t))
}

// renderDir renders dir/report.json with the captures in dir/pcap and
// returns the page.
func renderDir(t testing.TB, dir string) []byte {
	t.Helper()
	r, err := ReadConformance(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteConformanceHTML(&buf, r, PcapsFromDir(dir)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseHTML(t testing.TB, page []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// findAll returns the nodes under n, in document order, for which match is
// true.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if match(d) {
			out = append(out, d)
		}
	}
	return out
}

// sel matches elements by tag ("" for any) and classes, e.g. sel("td", "mismatch").
func sel(tag string, classes ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Type != html.ElementNode || (tag != "" && n.Data != tag) {
			return false
		}
		have := strings.Fields(attr(n, "class"))
		for _, c := range classes {
			if !contains(have, c) {
				return false
			}
		}
		return true
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// text returns the text content of n with whitespace collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// byID returns the element with the id, failing the test if there is none.
func byID(t testing.TB, doc *html.Node, id string) *html.Node {
	t.Helper()
	for d := range doc.Descendants() {
		if d.Type == html.ElementNode && attr(d, "id") == id {
			return d
		}
	}
	t.Fatalf("no element with id %q", id)
	return nil
}
