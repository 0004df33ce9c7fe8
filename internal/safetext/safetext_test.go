package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"lb.yaml", "lb.yaml"},
		{"x.yaml\n::add-mask::secret", `x.yaml\n::add-mask::secret`},
		{"x.yaml\r\n::error::fake", `x.yaml\r\n::error::fake`},
		{"\x1b[2J\x1b[31mred\x1b[0m", `\x1b[2J\x1b[31mred\x1b[0m`},
		{"\x1b]0;title\x07", `\x1b]0;title\a`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1 \u009b31m csi", `c1 \u009b31m csi`},
		{"sep\u2028par\u2029", `sep\u2028par\u2029`},
		{"abc\u202edcba\u2066\u200f", `abc\u202edcba\u2066\u200f`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{"tab\tstays", "tab\tstays"},
		{`C:\Users\sql\lb.json`, `C:\Users\sql\lb.json`},
		{"Ethernet 2 (vEthernet) é 日本 \ufffd", "Ethernet 2 (vEthernet) é 日本 \ufffd"},
		{"", ""},
		{"::add-mask::secret", `\x3a:add-mask::secret`},
		{" \t\u00a0::stop-commands::x", " \t\u00a0\\x3a:stop-commands::x"},
		{"a ::b", "a ::b"},
		{":a", ":a"},
	} {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Line(Line(tt.in)); got != Line(tt.in) {
			t.Errorf("Line is not idempotent on %q: %q", tt.in, got)
		}
	}
}

// TestLineEveryRune: the output of Line holds no character it escapes, and
// only those are changed.
func TestLineEveryRune(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		got := Line(s)
		if Escapes(r) == (got == s) {
			t.Fatalf("Line(%q) = %q; Escapes = %v", s, got, Escapes(r))
		}
		if strings.ContainsFunc(got, Escapes) {
			t.Fatalf("Line(%q) = %q still holds a character to escape", s, got)
		}
	}
}

func TestLines(t *testing.T) {
	in := "target stderr:\n\x1b[31mpanic\x1b[0m\r\n::add-mask::x"
	want := "target stderr:\n\\x1b[31mpanic\\x1b[0m\\r\n\\x3a:add-mask::x"
	if got := Lines(in); got != want {
		t.Errorf("Lines(%q) = %q, want %q", in, got, want)
	}
	if got := Lines("one \x1b line"); got != `one \x1b line` {
		t.Errorf("Lines of one line = %q", got)
	}
}
