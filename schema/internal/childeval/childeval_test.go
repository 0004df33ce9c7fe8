package childeval

import (
	"io"
	"strings"
	"testing"
	"time"
)

// TestWatchdog: the child's watchdog stops an evaluation that has run for
// the time budget (a test of the full path would wait that long).
func TestWatchdog(t *testing.T) {
	k := &Kind{Time: time.Hour, Memory: 1 << 40, What: "this input", Per: "one input", Advice: "shrink it"}
	got := make(chan Verdict, 1)
	go k.watch("slow", time.Now().Add(-k.Time), func(v Verdict) {
		select {
		case got <- v:
		default:
		}
		select {} // the child exits here; the test's watchdog goroutine just stops
	})
	select {
	case v := <-got:
		if want := "slow: evaluating this input takes more than 1h0m0s, the most lbcheck allows one input: shrink it"; v.Limit != "time" || v.Message != want {
			t.Errorf("verdict %+v, want time and %q", v, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watchdog did not stop an evaluation past its time budget")
	}
}

// echo is a Kind whose child fails, reports a limit of its own or passes,
// as its input says.
var echo = &Kind{
	Env: "CHILDEVAL_TEST_CHILD", Time: 20 * time.Second, Memory: 256 << 20,
	Eval: func(arg string, in io.Reader) Verdict {
		b, _ := io.ReadAll(in)
		switch string(b) {
		case "panic":
			panic("the evaluation broke")
		case "grow":
			var keep [][]byte
			for {
				keep = append(keep, make([]byte, 1<<20))
			}
		case "values":
			return Verdict{Limit: "values", Message: arg + " has too many values"}
		}
		return Verdict{}
	},
	What: "this input", Per: "one input", Advice: "shrink it", Reader: "the reader", MemoryName: "echo.Memory",
}

func init() { echo.Serve() }

// TestRun runs the test binary as the child: each verdict reaches the
// parent as its error.
func TestRun(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ok", ""},
		{"values", "x has too many values"},
		{"grow", "x: evaluating this input needs more than 256 MiB of memory, the most lbcheck allows one input (echo.Memory): shrink it"},
		{"panic", "x: the reader failed on this input (exit status 2: panic: the evaluation broke"},
	} {
		err := echo.Run("x", []byte(tc.in))
		if got := ""; err != nil {
			got = err.Error()
			if !strings.HasPrefix(got, tc.want) || tc.want == "" {
				t.Errorf("%s: error %q, want %q", tc.in, got, tc.want)
			}
		} else if tc.want != "" {
			t.Errorf("%s: no error, want %q", tc.in, tc.want)
		}
	}
}
