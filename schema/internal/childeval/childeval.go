// Package childeval runs an evaluation that cannot be interrupted (a CUE
// file, a Terraform configuration: programs a few lines long can compute
// lists of 10⁸ elements) in a child process of the running executable,
// under a time and a memory budget, and reports whether it stayed within
// them. The child is the running executable re-entered with the Kind's
// environment variable set; the package that defines the Kind calls Serve
// from its init, which runs before the program's main (or a test binary's
// tests) would.
package childeval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
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
)

// Kind is one kind of evaluation run in a child.
type Kind struct {
	// Env is the environment variable that makes a process the child; its
	// value is the argument Run was given (a file or directory name).
	Env string
	// Time and Memory are the budgets: the longest one evaluation may take
	// and the most heap it may hold.
	Time   time.Duration
	Memory uint64
	// Eval evaluates arg (with what Run was given on standard input) as
	// the parent would and returns an empty Verdict, or one naming a limit
	// of its own (such as a number of values) that arg exceeds.
	Eval func(arg string, stdin io.Reader) Verdict
	// What names the input in messages ("this CUE file"), Per what the
	// budgets are for ("one CUE file"), Advice what to do about an input
	// over them, and Reader what evaluates it ("the CUE library").
	What, Per, Advice, Reader string
	// TimeName and MemoryName, when set, name the budgets' constants in
	// messages ("schema.MaxCUETime").
	TimeName, MemoryName string
}

// Over says that arg exceeds limit ("time" or "memory").
func (k *Kind) Over(limit, arg string) string {
	if limit == "time" {
		return fmt.Sprintf("%s: evaluating %s takes more than %s, the most lbcheck allows %s%s: %s", arg, k.What, k.Time, k.Per, paren(k.TimeName), k.Advice)
	}
	size := fmt.Sprintf("%d GiB", k.Memory>>30)
	if k.Memory%(1<<30) != 0 {
		size = fmt.Sprintf("%d MiB", k.Memory>>20)
	}
	return fmt.Sprintf("%s: evaluating %s needs more than %s of memory, the most lbcheck allows %s%s: %s", arg, k.What, size, k.Per, paren(k.MemoryName), k.Advice)
}

// failed says that the evaluation of arg failed in the child (a panic, a
// crash: detail is the child's exit status and first line of standard
// error).
func (k *Kind) failed(arg, detail string) string {
	return fmt.Sprintf("%s: %s failed on %s (%s); please report it at https://github.com/lbcheck/lbcheck/issues with the input", arg, k.Reader, k.What, detail)
}

// paren is " (name)", or "" for no name.
func paren(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// Verdict is what a child reports on its standard output.
type Verdict struct {
	// Limit is the limit exceeded: "time", "memory" or one of Eval's own;
	// empty when the evaluation stayed within the budgets.
	Limit string `json:"limit,omitempty"`
	// Message says so, naming the input and what to do.
	Message string `json:"message,omitempty"`
}

// Serve turns the process into k's child when k.Env is set: it evaluates,
// writes its verdict and exits. Call it from an init function.
func (k *Kind) Serve() {
	if arg, ok := os.LookupEnv(k.Env); ok {
		os.Exit(k.child(arg, os.Stdin, os.Stdout))
	}
}

// child evaluates arg and writes the verdict to out. A watchdog ends the
// process with a verdict once a budget is spent, since the evaluation
// cannot be interrupted.
func (k *Kind) child(arg string, in io.Reader, out io.Writer) int {
	var once sync.Once
	verdict := func(v Verdict) {
		once.Do(func() { json.NewEncoder(out).Encode(v) })
	}
	limitAddressSpace(k.Memory)
	go k.watch(arg, time.Now(), func(v Verdict) { verdict(v); os.Exit(0) })
	verdict(k.Eval(arg, in))
	return 0
}

// watch calls stop with a verdict once the evaluation started at start
// has taken k.Time or its heap holds k.Memory.
func (k *Kind) watch(arg string, start time.Time, stop func(Verdict)) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(5 * time.Millisecond) {
		if time.Since(start) > k.Time {
			stop(Verdict{Limit: "time", Message: k.Over("time", arg)})
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > k.Memory {
			stop(Verdict{Limit: "memory", Message: k.Over("memory", arg)})
		}
	}
}

// limitAddressSpace caps the child's virtual memory at what it has plus
// four times memory, so that one allocation too large for the watchdog to
// see coming fails (the Go runtime then exits with "out of memory", which
// Run reads as the memory budget spent).
func limitAddressSpace(memory uint64) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				max := kb<<10 + 4*memory
				syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: max, Max: max})
			}
		}
	}
}

// LimitError is Run's error for an input over a limit.
type LimitError struct{ Verdict }

func (e *LimitError) Error() string { return e.Message }

// Run evaluates arg in a child, giving it stdin, and returns a
// *LimitError for a limit it exceeded, another error for a child that
// failed, nil when the evaluation stayed within the budgets.
func (k *Kind) Run(arg string, stdin []byte) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("%s: lbcheck cannot find its own executable to evaluate this in: %v", arg, err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), k.Env+"="+arg)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &capped{b: &stdout}, &capped{b: &stderr}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: lbcheck cannot start the process that evaluates this: %v", arg, err)
	}
	// The child stops itself at k.Time; this is for a child that cannot
	// (its watchdog starved).
	killer := time.AfterFunc(k.Time+5*time.Second, func() { cmd.Process.Kill() })
	waitErr := cmd.Wait()
	killed := !killer.Stop()
	var v Verdict
	if line, _, _ := bufio.NewReader(&stdout).ReadLine(); json.Unmarshal(line, &v) == nil && waitErr == nil {
		if v.Limit != "" {
			return &LimitError{Verdict: v}
		}
		return nil
	}
	switch {
	case killed:
		return &LimitError{Verdict{Limit: "time", Message: k.Over("time", arg)}}
	case bytes.Contains(stderr.Bytes(), []byte("out of memory")):
		return &LimitError{Verdict{Limit: "memory", Message: k.Over("memory", arg)}}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
	return errors.New(k.failed(arg, fmt.Sprintf("%v: %s", waitErr, first)))
}

// capped keeps the first 16 KiB written to it and discards the rest.
type capped struct{ b *bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 16<<10 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
