// Package testutil helps importer tests find where a text occurs in a
// fixture, independently of the parser under test.
package testutil

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lbcheck/lbcheck/internal/textenc"
	"github.com/lbcheck/lbcheck/schema"
)

// Fixture returns the path of a file under fixtures/import, found by
// walking up from the test's directory to the module root.
func Fixture(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "fixtures", "import", rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// ReadFixture reads a file under fixtures/import and returns its path and
// content, decoded to UTF-8 as the importers see it.
func ReadFixture(t testing.TB, rel string) (string, []byte) {
	t.Helper()
	name := Fixture(t, rel)
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return name, src
}

// PosOf returns the position of the nth (from 1) occurrence of text in src.
func PosOf(t testing.TB, file string, src []byte, text string, nth int) schema.Pos {
	t.Helper()
	src = textenc.UTF8(src)
	off := 0
	for i := 0; i < nth; i++ {
		j := bytes.Index(src[off:], []byte(text))
		if j < 0 {
			t.Fatalf("%s: occurrence %d of %q not found", file, nth, text)
		}
		off += j
		if i < nth-1 {
			off += len(text)
		}
	}
	line := bytes.Count(src[:off], []byte("\n")) + 1
	col := off - (bytes.LastIndexByte(src[:off], '\n') + 1) + 1
	return schema.Pos{File: file, Line: line, Column: col}
}

// CheckPos fails the test when got differs from want.
func CheckPos(t testing.TB, what string, got, want schema.Pos) {
	t.Helper()
	if got != want {
		t.Errorf("%s at %v, want %v", what, got, want)
	}
}

// PosAfter returns the position of the first occurrence of text after the
// first occurrence of anchor.
func PosAfter(t testing.TB, file string, src []byte, anchor, text string) schema.Pos {
	t.Helper()
	src = textenc.UTF8(src)
	a := bytes.Index(src, []byte(anchor))
	if a < 0 {
		t.Fatalf("%s: %q not found", file, anchor)
	}
	j := bytes.Index(src[a:], []byte(text))
	if j < 0 {
		t.Fatalf("%s: %q not found after %q", file, text, anchor)
	}
	nth := bytes.Count(src[:a+j], []byte(text)) + 1
	return PosOf(t, file, src, text, nth)
}
