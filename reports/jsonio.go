package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lbcheck/lbcheck/internal/safefile"
)

// MaxReportFile is the largest report JSON file ReadConformance reads.
const MaxReportFile = 256 << 20

// ReadConformance reads a ConformanceReport JSON file written by `lbcheck
// conform --json` or `--report`: a regular file of at most MaxReportFile
// bytes. Errors name the file and say what is wrong.
func ReadConformance(path string) (*ConformanceReport, error) {
	data, err := safefile.ReadFile(path, MaxReportFile)
	if err != nil {
		return nil, err // names the file
	}
	r, err := DecodeConformance(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// DecodeConformance parses a ConformanceReport and checks its apiVersion and
// kind. Unknown fields are ignored so that newer writers stay readable.
func DecodeConformance(data []byte) (*ConformanceReport, error) {
	var r ConformanceReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, jsonError(data, err)
	}
	switch {
	case r.Kind != ConformanceKind:
		return nil, fmt.Errorf("not a conformance report: kind is %q, want %q", r.Kind, ConformanceKind)
	case r.APIVersion != ConformanceAPIVersion:
		return nil, fmt.Errorf("apiVersion %q is not supported: this lbcheck reads %q; re-run `lbcheck conform` or use a matching lbcheck", r.APIVersion, ConformanceAPIVersion)
	}
	return &r, nil
}

// jsonError adds the line and column to JSON syntax and type errors.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return fmt.Errorf("invalid JSON: %w", err)
	}
	// Offset counts the bytes read, including the offending one.
	line, col := lineCol(data, off-1)
	return fmt.Errorf("line %d, column %d: invalid JSON: %w", line, col, err)
}

// lineCol converts a byte offset into 1-based line and column numbers.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// WriteConformanceJSON writes r as indented JSON. It fills APIVersion and
// Kind when they are empty (on a copy; r is not changed).
func WriteConformanceJSON(w io.Writer, r *ConformanceReport) error {
	out := *r
	if out.APIVersion == "" {
		out.APIVersion = ConformanceAPIVersion
	}
	if out.Kind == "" {
		out.Kind = ConformanceKind
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}
