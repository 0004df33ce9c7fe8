// Package labtest holds test helpers for code that builds namespaces.
package labtest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/internal/prereq"
)

// RequireRoot skips the test unless the process runs as root, which
// creating named network namespaces needs.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	prereq.Root(tb, "creating network namespaces (CAP_SYS_ADMIN and CAP_NET_ADMIN)")
}

// NewLab returns a lab closed at the end of the test; it skips unless root.
func NewLab(tb testing.TB) *netlab.Lab {
	tb.Helper()
	RequireRoot(tb)
	l, err := netlab.New(netlab.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("closing lab: %v", err)
		}
	})
	return l
}

// Buffer is a bytes.Buffer that a writer (a child process's stderr, say) and
// a reader goroutine may use at the same time.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what has been written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
