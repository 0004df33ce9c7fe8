package textenc

import "testing"

func TestUTF8(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"plain", "vms: []\n", "vms: []\n"},
		{"UTF-8 BOM", "\xef\xbb\xbfvms: []", "vms: []"},
		{"UTF-16LE", "\xff\xfev\x00\xe9\x00\n\x00", "vé\n"},
		{"UTF-16BE", "\xfe\xff\x00v\x00\xe9\x00\n", "vé\n"},
		{"UTF-16LE surrogate pair", "\xff\xfe\x3d\xd8\x00\xde", "\U0001F600"},
		{"odd length", "\xff\xfev\x00x", "v"},
		{"lone surrogate", "\xff\xfe\x3d\xd8", "\uFFFD"},
	} {
		if got := string(UTF8([]byte(tc.src))); got != tc.want {
			t.Errorf("%s: UTF8(%q) = %q, want %q", tc.name, tc.src, got, tc.want)
		}
	}
}
