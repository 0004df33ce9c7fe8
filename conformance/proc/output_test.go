package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadyScanner(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   bool
	}{
		{"line", []string{"starting\nready\n"}, true},
		{"split across writes", []string{"rea", "dy", "\n"}, true},
		{"white space", []string{"  ready\r\n"}, true},
		{"no newline yet", []string{"ready"}, false},
		{"in a longer line", []string{"not ready\n"}, false},
		{"at the end of a long line", []string{strings.Repeat("x", 3*maxReadyLine), "ready\n"}, false},
		{"after a long line", []string{strings.Repeat("x", 3*maxReadyLine) + "\n", "ready\n"}, true},
	} {
		found := 0
		s := &readyScanner{found: func() { found++ }}
		for _, w := range tc.writes {
			if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
				t.Errorf("%s: Write = %d, %v", tc.name, n, err)
			}
		}
		if found != map[bool]int{true: 1}[tc.want] {
			t.Errorf("%s: found %d times, want it %v", tc.name, found, tc.want)
		}
		s.Write([]byte("\nready\nready\n"))
		if found != 1 {
			t.Errorf("%s: found %d times, want once", tc.name, found)
		}
	}
}

func TestOutput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"under the limit", []string{"abc", "def"}, "abcdef"},
		{"at the limit", []string{"0123456789"}, "0123456789"},
		{"cut, the rest in the tail", []string{"01234", "56789ab", "c"},
			"0123456789\n[lbcheck: this log is cut here at 10 bytes; the last 16384 bytes of the output follow when the process ends]\n" +
				"[lbcheck: the remaining 3 bytes follow]\nabc"},
		{"cut, more than the tail", []string{"0123456789", strings.Repeat("x", tailSize+5), "end"},
			"0123456789\n[lbcheck: this log is cut here at 10 bytes; the last 16384 bytes of the output follow when the process ends]\n" +
				"[lbcheck: 8 bytes left out; the last 16384 follow]\n" + strings.Repeat("x", tailSize-3) + "end"},
	} {
		path := filepath.Join(dir, tc.name)
		o, err := newOutput(path, 10)
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(tc.writes, "")
		for _, w := range tc.writes {
			o.Write([]byte(w))
		}
		if got, want := string(o.Tail()), all[max(0, len(all)-tailSize):]; got != want {
			t.Errorf("%s: tail %q, want %q", tc.name, got, want)
		}
		if cap(o.tail) != tailSize {
			t.Errorf("%s: the tail grew to %d bytes", tc.name, cap(o.tail))
		}
		o.close()
		if b, _ := os.ReadFile(path); string(b) != tc.want {
			t.Errorf("%s: log %q\nwant %q", tc.name, b, tc.want)
		}
	}
}
