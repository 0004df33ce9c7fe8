package proc

import (
	"bytes"
	"fmt"
	"os"
	"sync"
)

// tailSize is how much of the end of each output stream a Process keeps in
// memory: StderrTail quotes from it, and it ends a log that was cut.
const tailSize = 16 << 10

// output is where one stream (stdout or stderr) of a process goes: its
// first limit bytes to the log file, its last tailSize bytes to memory, so
// a process that writes without end costs neither memory nor disk. A log
// that reaches the limit gets a note saying so, and when the stream ends,
// the tail of what was left out.
type output struct {
	file  *os.File
	limit int64

	mu      sync.Mutex
	total   int64 // bytes of the stream
	written int64 // of them in the file
	tail    []byte
	err     error // the first error writing the file; later bytes go to the tail only
}

func newOutput(path string, limit int64) (*output, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	return &output{file: f, limit: limit, tail: make([]byte, 0, tailSize)}, nil
}

// Write takes the next bytes of the stream. It never fails, so the copy
// from the process's pipe never stops.
func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	wasCut := o.total > o.limit
	o.total += int64(len(b))
	o.keepTail(b)
	if n := min(o.limit-o.written, int64(len(b))); n > 0 && o.err == nil {
		_, o.err = o.file.Write(b[:n])
		o.written += n
	}
	if !wasCut && o.total > o.limit && o.err == nil {
		_, o.err = fmt.Fprintf(o.file, "\n[lbcheck: this log is cut here at %d bytes; the last %d bytes of the output follow when the process ends]\n", o.limit, tailSize)
	}
	return len(b), nil
}

// keepTail keeps the last tailSize bytes of the stream in o.tail, within
// the capacity it was made with.
func (o *output) keepTail(b []byte) {
	if len(b) >= tailSize {
		o.tail = append(o.tail[:0], b[len(b)-tailSize:]...)
		return
	}
	keep := min(len(o.tail), tailSize-len(b))
	o.tail = append(o.tail[:copy(o.tail, o.tail[len(o.tail)-keep:])], b...)
}

// Tail returns the last bytes of the stream (at most tailSize).
func (o *output) Tail() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Clone(o.tail)
}

// close ends a cut log with the part of the tail it lacks and closes the
// file.
func (o *output) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if missing := o.total - o.written; missing > 0 && o.err == nil {
		t := o.tail[max(0, int64(len(o.tail))-missing):]
		if left := missing - int64(len(t)); left > 0 {
			fmt.Fprintf(o.file, "[lbcheck: %d bytes left out; the last %d follow]\n", left, len(t))
		} else {
			fmt.Fprintf(o.file, "[lbcheck: the remaining %d bytes follow]\n", len(t))
		}
		o.file.Write(t)
	}
	o.file.Close()
}

// maxReadyLine is the longest line readyScanner compares with ReadyLine
// (the ready line with some white space).
const maxReadyLine = 256

// readyScanner watches a stream for the ready line and calls found once,
// in constant memory whatever the line lengths.
type readyScanner struct {
	line  []byte // the current line, while it is short enough to be the ready line
	long  bool   // the current line is longer than maxReadyLine
	found func() // nil once called
}

// Write looks at the next bytes of the stream; it never fails.
func (s *readyScanner) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 && s.found != nil {
		i := bytes.IndexByte(b, '\n')
		part := b
		if i >= 0 {
			part = b[:i]
		}
		if !s.long && len(s.line)+len(part) > maxReadyLine {
			s.long, s.line = true, s.line[:0]
		}
		if !s.long {
			s.line = append(s.line, part...)
		}
		if i < 0 {
			break
		}
		if !s.long && string(bytes.TrimSpace(s.line)) == ReadyLine {
			s.found()
			s.found = nil
		}
		s.line, s.long = s.line[:0], false
		b = b[i+1:]
	}
	return n, nil
}
