package agent

import (
	"fmt"
	"log"
	"sync"
	"time"
)

// junkEvery is how often a role logs at most one line of each kind about
// unwanted datagrams.
const junkEvery = time.Second

// junkLog logs unwanted datagrams (from strangers, unreadable, about unknown
// probes) without letting their sender flood the log: at most one line per
// format string every junkEvery. The next line of that format says how many
// were left out in between; Flush reports the ones left out last.
type junkLog struct {
	log   *log.Logger
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	kinds map[string]*junkKind // by format
	order []string             // formats in the order first seen, for Flush
}

type junkKind struct {
	last       time.Time // when the last line was written
	line       string    // the last line written
	suppressed int       // lines left out since
}

func newJunkLog(l *log.Logger) *junkLog {
	return &junkLog{log: l, every: junkEvery, now: time.Now, kinds: map[string]*junkKind{}}
}

// Printf logs the line unless a line of the same format was logged less
// than every ago. Left-out lines are not formatted.
func (j *junkLog) Printf(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	k := j.kinds[format]
	if k == nil {
		k = &junkKind{}
		j.kinds[format] = k
		j.order = append(j.order, format)
	} else if now.Sub(k.last) < j.every {
		k.suppressed++
		return
	}
	k.line = fmt.Sprintf(format, args...)
	if k.suppressed > 0 {
		j.log.Printf("%s (%d more lines like this left out since %s)", k.line, k.suppressed, stamp(k.last))
	} else {
		j.log.Print(k.line)
	}
	k.last, k.suppressed = now, 0
}

// Flush logs how many lines of each kind were left out since its last line
// (call it when the role stops).
func (j *junkLog) Flush() {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, f := range j.order {
		if k := j.kinds[f]; k.suppressed > 0 {
			j.log.Printf("%d more lines like this left out since %s: %s", k.suppressed, stamp(k.last), k.line)
			k.suppressed = 0
		}
	}
}

func stamp(t time.Time) string { return t.Format("15:04:05.000") }
