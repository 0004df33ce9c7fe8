package schema

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
)

// A CUE file is a program: a few lines can compute a list of 10⁸ elements
// or a struct of 2³⁰ fields, and the CUE library can neither be stopped
// nor bounded once it runs. So lbcheck first evaluates each .cue file in
// a child process (the running executable, started with cueChildEnv set,
// which every binary linking this package understands; see init) under
// these budgets; only a file the child evaluated within them is evaluated
// again in lbcheck itself. A file over a budget is an error naming it.
const (
	// MaxCUETime is the longest one CUE file's evaluation may take.
	MaxCUETime = 10 * time.Second
	// MaxCUEMemory is the most heap one CUE file's evaluation may use.
	MaxCUEMemory = 1 << 30
	// MaxCUEValues is the most values (fields, list elements, scalars)
	// one CUE file may evaluate to, so that its data stays a size lbcheck
	// can validate.
	MaxCUEValues = 1_000_000
)

// cueChildEnv holds, in the child's environment, the name of the CUE file
// it evaluates from its standard input.
const cueChildEnv = "LBCHECK_CUE_PREFLIGHT"

// cueVerdict is what the child reports on its standard output: the limit
// the file exceeded, if any, and the message saying so.
type cueVerdict struct {
	Limit   string `json:"limit,omitempty"` // time, memory or values
	Message string `json:"message,omitempty"`
}

// init turns the process into the CUE evaluation child when cueChildEnv
// is set: it evaluates standard input, writes its verdict and exits, before
// the program's main (or a test binary's tests) would run.
func init() {
	if name, ok := os.LookupEnv(cueChildEnv); ok {
		os.Exit(cueChild(name, os.Stdin, os.Stdout))
	}
}

// cueChild evaluates the CUE file read from in, as the loader does, and
// writes its verdict to out. A watchdog ends the process with a verdict
// when the time or memory budget is spent, since the evaluation cannot be
// interrupted.
func cueChild(filename string, in io.Reader, out io.Writer) int {
	var once sync.Once
	verdict := func(v cueVerdict) {
		once.Do(func() { json.NewEncoder(out).Encode(v) })
	}
	limitAddressSpace()
	go watch(filename, time.Now(), func(v cueVerdict) { verdict(v); os.Exit(0) })
	src, err := io.ReadAll(io.LimitReader(in, MaxFileSize))
	if err != nil {
		return 1
	}
	f, err := parser.ParseFile(filename, src)
	if err != nil {
		verdict(cueVerdict{}) // lbcheck reports the syntax error itself
		return 0
	}
	v := cuecontext.New().BuildFile(f)
	_ = v.Err()
	if msg := tooManyValues(filename, v); msg != "" {
		verdict(cueVerdict{Limit: "values", Message: msg})
		return 0
	}
	_ = cueData(f, v)
	verdict(cueVerdict{})
	return 0
}

// watch calls stop with a verdict once the evaluation started at start
// has taken MaxCUETime or its heap holds MaxCUEMemory.
func watch(filename string, start time.Time, stop func(cueVerdict)) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(5 * time.Millisecond) {
		if time.Since(start) > MaxCUETime {
			stop(cueVerdict{Limit: "time", Message: fmt.Sprintf(
				"%s: evaluating this CUE file takes more than %s, the most lbcheck allows one CUE file (schema.MaxCUETime): compute less (large list.Range, nested comprehensions) or export plain data with cue export",
				filename, MaxCUETime)})
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > MaxCUEMemory {
			stop(cueVerdict{Limit: "memory", Message: memoryMessage(filename)})
		}
	}
}

// limitAddressSpace caps the child's virtual memory at what it has plus
// four times MaxCUEMemory, so that one allocation too large for the
// watchdog to see coming fails (the Go runtime then exits with "out of
// memory", which preflightCUE reads as the memory budget spent).
func limitAddressSpace() {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				max := kb<<10 + 4*MaxCUEMemory
				syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: max, Max: max})
			}
		}
	}
}

func memoryMessage(filename string) string {
	return fmt.Sprintf("%s: evaluating this CUE file needs more than %d GiB of memory, the most lbcheck allows one CUE file (schema.MaxCUEMemory): compute less (large list.Range, nested comprehensions) or export plain data with cue export",
		filename, MaxCUEMemory>>30)
}

// tooManyValues counts the values v evaluates to, stopping at
// MaxCUEValues, and says where the file crosses the limit.
func tooManyValues(filename string, v cue.Value) string {
	n := 0
	var at cue.Value
	var count func(v cue.Value) bool
	count = func(v cue.Value) bool {
		if n++; n > MaxCUEValues {
			at = v
			return false
		}
		switch v.IncompleteKind() {
		case cue.StructKind:
			it, err := v.Fields()
			for err == nil && it.Next() {
				if !count(it.Value()) {
					return false
				}
			}
		case cue.ListKind:
			it, err := v.List()
			for err == nil && it.Next() {
				if !count(it.Value()) {
					return false
				}
			}
		}
		return true
	}
	if count(v) {
		return ""
	}
	pos := Pos{File: filename}
	if p := at.Pos(); p.IsValid() {
		pos = toPos(p, filename)
	}
	return fmt.Sprintf("%s: this CUE file evaluates to more than %d values, the most lbcheck reads from one file (schema.MaxCUEValues); %s is the first beyond: split the data into several files",
		pos, MaxCUEValues, strconv.Quote(at.Path().String()))
}

// PreflightCUE evaluates a CUE file in the child process and returns the
// error for a budget it exceeds, or for a child that failed. The loader
// calls it for every .cue file; other readers of CUE files (target
// manifests) call it before evaluating one themselves.
func PreflightCUE(filename string, src []byte) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("%s: lbcheck cannot find its own executable to evaluate this CUE file in (%v)", filename, err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), cueChildEnv+"="+filename)
	cmd.Stdin = bytes.NewReader(src)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &capped{b: &stdout}, &capped{b: &stderr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: lbcheck cannot start the process that evaluates this CUE file: %v", filename, err)
	}
	// The child stops itself at MaxCUETime; this is for a child that
	// cannot (its watchdog starved).
	killer := time.AfterFunc(MaxCUETime+5*time.Second, func() { cmd.Process.Kill() })
	waitErr := cmd.Wait()
	killed := !killer.Stop()
	var v cueVerdict
	if line, _, _ := bufio.NewReader(&stdout).ReadLine(); json.Unmarshal(line, &v) == nil && waitErr == nil {
		if v.Limit != "" {
			return fmt.Errorf("%s", v.Message)
		}
		return nil
	}
	switch {
	case killed:
		return fmt.Errorf("%s: evaluating this CUE file takes more than %s, the most lbcheck allows one CUE file (schema.MaxCUETime)", filename, MaxCUETime)
	case bytes.Contains(stderr.Bytes(), []byte("out of memory")):
		return fmt.Errorf("%s", memoryMessage(filename))
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
	return fmt.Errorf("%s: the CUE library failed on this file (%v: %s); please report it at https://github.com/lbcheck/lbcheck/issues with the file", filename, waitErr, first)
}

// capped keeps the first 16 KiB written to it and discards the rest.
type capped struct{ b *bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 16<<10 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
