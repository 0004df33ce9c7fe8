package jsonpos

import (
	"encoding/json"
	"testing"
	"unicode/utf16"

	"github.com/lbcheck/lbcheck/internal/textenc"
)

func TestParsePositions(t *testing.T) {
	src := "{\n  \"Name\": \"lb\",\n  \"props\": {\"port\": 80, \"on\": true},\n  \"list\": [\n    null,\n    \"x\\u00e9\"\n  ]\n}\n"
	v, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		v              *Value
		kind           Kind
		line, col      int
		keyLine, keyCo int
	}{
		{v, Object, 1, 1, 1, 1},
		{v.Get("name"), String, 2, 11, 2, 3},
		{v.Path("PROPS", "port"), Number, 3, 21, 3, 13},
		{v.Path("props", "on"), Bool, 3, 31, 3, 25},
		{v.Get("list").Items()[0], Null, 5, 5, 5, 5},
		{v.Get("list").Items()[1], String, 6, 5, 6, 5},
	}
	for i, tt := range tests {
		if tt.v == nil {
			t.Fatalf("case %d: nil value", i)
		}
		if tt.v.Kind != tt.kind || tt.v.Pos != (Pos{Line: tt.line, Col: tt.col}) || tt.v.KeyPos != (Pos{Line: tt.keyLine, Col: tt.keyCo}) {
			t.Errorf("case %d: got %v at %v key %v, want %v at %d:%d key %d:%d", i, tt.v.Kind, tt.v.Pos, tt.v.KeyPos, tt.kind, tt.line, tt.col, tt.keyLine, tt.keyCo)
		}
	}
	if s, _ := v.Get("list").Items()[1].Str(); s != "xé" {
		t.Errorf("escape decoded to %q", s)
	}
	if n, ok := v.Path("props", "port").Int(); !ok || n != 80 {
		t.Errorf("Int() = %d, %v", n, ok)
	}
	if v.Path("nope", "deeper") != nil {
		t.Error("missing path should be nil")
	}
}

func TestGetPrefersExactCase(t *testing.T) {
	v, err := Parse([]byte(`{"port": 1, "Port": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := v.Get("Port").Int(); n != 2 {
		t.Errorf("Get(Port) = %d, want the exact-case member 2", n)
	}
	if n, _ := v.Get("PORT").Int(); n != 1 {
		t.Errorf("Get(PORT) = %d, want the first folded member 1", n)
	}
}

func TestParseUTF16(t *testing.T) {
	text := "[\r\n  {\"InterfaceAlias\": \"Ethernet\"}\r\n]"
	u := utf16.Encode([]rune(text))
	b := []byte{0xFF, 0xFE}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	v, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	got := v.Items()[0].Get("interfacealias")
	if s, _ := got.Str(); s != "Ethernet" || got.KeyPos != (Pos{Line: 2, Col: 4}) {
		t.Errorf("got %q at %v", s, got.KeyPos)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "1:1: unexpected end of input, want a JSON value"},
		{"{\n  \"a\" 1}", "2:7: want ':' after object key \"a\""},
		{"[1,\n 2", "2:3: unexpected end of input, want , or ] to continue the array"},
		{"\"abc", "1:5: unterminated string"},
		{"{} x", "1:4: unexpected 'x' after the JSON value"},
		{"[1.2.3]", "1:2: malformed number \"1.2.3\""},
		{`"\x"`, `1:2: invalid escape \x`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %s", tt.src, err, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics and accepts every input
// encoding/json accepts (it also accepts ARM's comments, trailing commas and
// raw line breaks in strings).
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`, `[true,false,-1.5e3]`, `{"a" 1}`, "\xff\xfe[\x00]\x00", "{/*c*/\"a\":[1,],}// x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		v, err := Parse(src)
		if err == nil && v == nil {
			t.Fatal("nil value without error")
		}
		if err != nil && json.Valid(textenc.UTF8(src)) {
			t.Errorf("Parse rejected %q (%v), encoding/json accepts it", src, err)
		}
	})
}

// TestParseARMLeniency covers what ARM's JSON reader accepts beyond
// RFC 8259: comments, trailing commas and raw line breaks in strings.
func TestParseARMLeniency(t *testing.T) {
	src := "// header\n{\n  /* block\n     comment */ \"a\":\u202f[1, 2,],\n  \"b\": \"[concat('x',\n    'y')]\", // trailing\n  \"c\": {\"d\": true,},\n}\n"
	v, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v.Get("a").Items()); n != 2 {
		t.Errorf("a has %d items, want 2", n)
	}
	if s, _ := v.Get("b").Str(); s != "[concat('x',\n    'y')]" {
		t.Errorf("b = %q", s)
	}
	// Lines inside comments and strings are counted.
	if got := v.Get("c").KeyPos; got != (Pos{Line: 7, Col: 3}) {
		t.Errorf("c at %v, want 7:3", got)
	}
	if got := v.Get("a").KeyPos; got != (Pos{Line: 4, Col: 17}) { // after a narrow no-break space
		t.Errorf("a at %v, want 4:17", got)
	}
	for _, bad := range []struct{ src, msg string }{
		{`{"a": 1 /* never closed`, "1:9: unterminated /* comment"},
		{`{,}`, "1:2: want a quoted object key"},
		{`[,]`, "1:2: unexpected ',', want a JSON value"},
		{`[1,,]`, "1:4: unexpected ',', want a JSON value"},
		{`{"a": 1`, "1:8: unexpected end of input, want , or } to continue the object"},
		{"\"a\x01\"", `1:3: control character '\x01' in string`},
	} {
		if _, err := Parse([]byte(bad.src)); err == nil || err.Error() != bad.msg {
			t.Errorf("Parse(%q) = %v, want %s", bad.src, err, bad.msg)
		}
	}
}
