package format

import (
	"bytes"
	"strings"
	"testing"
)

func TestHTMLShowsOffendingLines(t *testing.T) {
	r := sampleReport()
	var src strings.Builder
	for i := 1; i <= 45; i++ {
		switch i {
		case 12:
			src.WriteString("      backendPort: 443 # line twelve\n")
		case 40:
			src.WriteString("        addresses: [203.0.113.10/24]\n")
		default:
			src.WriteString("# filler\n")
		}
	}
	r.Sources = map[string][]byte{"lb.yaml": []byte(src.String())}
	var buf bytes.Buffer
	if err := HTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"backendPort: 443 # line twelve",      // the offending line of the user's file
		"203.0.113.10/24",                     // another offending line
		"two rules give the same destination", // the rule title from the catalogue
		"lab only &amp; temporary",            // the suppression reason, escaped
		"ip addr add 203.0.113.10/32 dev lo",  // the fix
	} {
		if !strings.Contains(page, want) {
			t.Errorf("html page lacks %q", want)
		}
	}
	if strings.Contains(page, "<wide>") {
		t.Error("html page does not escape a message")
	}
}
