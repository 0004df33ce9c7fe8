// Package proc starts a process inside a network namespace under the
// readiness contract shared by targets and guest responders: the process
// prints the line "ready" on stdout when it is serving, and is stopped with
// SIGTERM, then SIGKILL after a grace period. Output goes to log files;
// every process is reaped.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
)

// ReadyLine is the line a process prints on stdout when it is ready.
const ReadyLine = "ready"

// Defaults for Spec fields left zero.
const (
	DefaultReadyTimeout = 10 * time.Second
	DefaultGrace        = 2 * time.Second
)

// Spec describes a process to start.
type Spec struct {
	// Name identifies the process in errors and names its log files
	// (<LogDir>/<Name>.stdout.log, .stderr.log).
	Name   string
	Argv   []string
	Env    []string // added to this process's environment
	NS     *netlab.NS
	LogDir string
	// ReadyTimeout bounds the wait for the ready line.
	ReadyTimeout time.Duration
	// Grace is how long Stop waits after SIGTERM before SIGKILL.
	Grace time.Duration
}

// Process is a started process.
type Process struct {
	spec       Spec
	cmd        *exec.Cmd
	stdoutPath string
	stderrPath string

	ready   chan struct{}
	exited  chan struct{} // closed after the process was reaped
	waitErr error         // set before exited is closed

	stopOnce sync.Once
	stopErr  error
	stopping chan struct{}
}

// Start starts the process inside spec.NS and waits until it prints the
// ready line. If it exits first, does not become ready within ReadyTimeout,
// or ctx ends, the process (group) is killed and reaped and the error says
// why, with the last lines of its stderr.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	if len(spec.Argv) == 0 {
		return nil, fmt.Errorf("%s: empty command", spec.Name)
	}
	if spec.ReadyTimeout <= 0 {
		spec.ReadyTimeout = DefaultReadyTimeout
	}
	if spec.Grace <= 0 {
		spec.Grace = DefaultGrace
	}
	p := &Process{
		spec:       spec,
		stdoutPath: filepath.Join(spec.LogDir, spec.Name+".stdout.log"),
		stderrPath: filepath.Join(spec.LogDir, spec.Name+".stderr.log"),
		ready:      make(chan struct{}),
		exited:     make(chan struct{}),
		stopping:   make(chan struct{}),
	}
	stdoutLog, err := os.Create(p.stdoutPath)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", spec.Name, err)
	}
	stderrLog, err := os.Create(p.stderrPath)
	if err != nil {
		stdoutLog.Close()
		return nil, fmt.Errorf("%s: log file: %w", spec.Name, err)
	}
	defer stderrLog.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		stdoutLog.Close()
		return nil, err
	}
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Stdout = pw
	cmd.Stderr = stderrLog
	// Own process group (Stop signals the group); SIGKILL when the thread
	// that forked it dies, i.e. when the runner dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd = cmd
	// Forking from a thread inside the namespace puts the child there.
	err = spec.NS.Do(cmd.Start)
	pw.Close()
	if err != nil {
		pr.Close()
		stdoutLog.Close()
		return nil, fmt.Errorf("%s: starting %q in %s: %w", spec.Name, spec.Argv[0], spec.NS.Name, err)
	}
	go p.copyStdout(pr, stdoutLog)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	timer := time.NewTimer(spec.ReadyTimeout)
	defer timer.Stop()
	var reason string
	select {
	case <-p.ready:
		return p, nil
	case <-p.exited:
		reason = fmt.Sprintf("exited before printing %q (%v)", ReadyLine, exitDesc(p.waitErr))
	case <-timer.C:
		reason = fmt.Sprintf("did not print %q within %v", ReadyLine, spec.ReadyTimeout)
	case <-ctx.Done():
		reason = fmt.Sprintf("cancelled while waiting for %q: %v", ReadyLine, ctx.Err())
	}
	p.kill()
	return nil, p.errorf("%s", reason)
}

// copyStdout copies the process's stdout to its log and signals readiness.
func (p *Process) copyStdout(r io.ReadCloser, log *os.File) {
	defer r.Close()
	defer log.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := false
	for sc.Scan() {
		fmt.Fprintln(log, sc.Text())
		if !seen && strings.TrimSpace(sc.Text()) == ReadyLine {
			seen = true
			close(p.ready)
		}
	}
	// A line too long for the scanner: keep draining so the child never blocks.
	_, _ = io.Copy(log, r)
}

// Pid returns the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Name returns the spec's name.
func (p *Process) Name() string { return p.spec.Name }

// Logs returns the paths of the stdout and stderr log files.
func (p *Process) Logs() (stdout, stderr string) { return p.stdoutPath, p.stderrPath }

// Exited is closed once the process has exited and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Alive returns nil while the process runs, else an error describing its
// unexpected exit (for checking a target between cases).
func (p *Process) Alive() error {
	select {
	case <-p.exited:
		select {
		case <-p.stopping:
			return nil
		default:
		}
		return p.errorf("exited unexpectedly (%v)", exitDesc(p.waitErr))
	default:
		return nil
	}
}

// Stop sends SIGTERM to the process group, waits up to Grace, then sends
// SIGKILL, and reaps the process. It returns an error if the process had
// already exited on its own or had to be killed. Stop is idempotent.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		if err := p.Alive(); err != nil {
			p.stopErr = err
			close(p.stopping)
			p.killGroup()
			p.waitGroupGone()
			return
		}
		close(p.stopping)
		_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
		t := time.NewTimer(p.spec.Grace)
		defer t.Stop()
		select {
		case <-p.exited:
			p.killGroup() // children that outlived the leader
			p.waitGroupGone()
		case <-t.C:
			p.kill()
			p.stopErr = p.errorf("ignored SIGTERM for %v; killed with SIGKILL", p.spec.Grace)
		}
	})
	return p.stopErr
}

// kill SIGKILLs the group and waits until the leader is reaped and the
// rest of the group is gone.
func (p *Process) kill() {
	p.killGroup()
	<-p.exited
	p.waitGroupGone()
}

// waitGroupGone waits (at most two seconds) until no live process of the
// group is left. Members other than the leader are reaped by init, whenever
// it gets to it; a zombie holds no namespace and counts as gone.
func (p *Process) waitGroupGone() {
	deadline := time.Now().Add(2 * time.Second)
	for groupAlive(p.Pid()) && time.Now().Before(deadline) {
		p.killGroup()
		time.Sleep(5 * time.Millisecond)
	}
}

// groupAlive reports whether a process in group pgid is not yet a zombie.
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

func (p *Process) killGroup() { _ = syscall.Kill(-p.Pid(), syscall.SIGKILL) }

// errorf builds an error naming the process and quoting its stderr tail.
func (p *Process) errorf(format string, args ...any) error {
	msg := fmt.Sprintf("%s (%s): %s", p.spec.Name, strings.Join(p.spec.Argv, " "), fmt.Sprintf(format, args...))
	if tail := p.StderrTail(10); tail != "" {
		msg += "\nlast lines of stderr (" + p.stderrPath + "):\n" + tail
	} else {
		msg += "\nstderr was empty (" + p.stderrPath + ")"
	}
	return errors.New(msg)
}

// StderrTail returns up to n last lines of the process's stderr.
func (p *Process) StderrTail(n int) string {
	b, err := os.ReadFile(p.stderrPath)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := strings.TrimRight(string(bytes.Join(lines, []byte("\n"))), "\n")
	if strings.TrimSpace(out) == "" {
		return ""
	}
	return "  | " + strings.ReplaceAll(out, "\n", "\n  | ")
}

func exitDesc(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
