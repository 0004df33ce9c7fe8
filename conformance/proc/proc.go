// Package proc starts a process inside a network namespace under the
// readiness contract of targets (conformance/CONTRACT.md): the process
// prints the line "ready" on stdout when it is serving, and is stopped with
// SIGTERM, then SIGKILL after a grace period.
//
// Each process runs in a cgroup v2 of its own, created under lbcheck's
// cgroup, which it is forked into: what it starts stays in that cgroup
// whatever it does to its session, process group or namespaces (setsid,
// double fork, setns, unshare), and stopping the process kills the whole
// cgroup. Its stdout and stderr go through lbcheck to size-capped log files
// (Spec.LogLimit) and a tail of each is kept in memory, so a process that
// writes without end costs lbcheck neither memory nor disk.
package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	DefaultLogLimit     = 8 << 20
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
	// LogLimit caps each log file, in bytes: output beyond it is left out
	// but for its last bytes, written when the process ends.
	LogLimit int64
}

// Process is a started process.
type Process struct {
	spec           Spec
	cmd            *exec.Cmd
	cg             *cgroup
	stdoutPath     string
	stderrPath     string
	stdout, stderr *output
	pipes          []*os.File    // the read ends of stdout and stderr
	copied         chan struct{} // closed once both were read to their end

	ready   chan struct{}
	exited  chan struct{} // closed after the process was reaped
	waitErr error         // set before exited is closed

	settle   sync.Once // the wait for the output of a process that exited on its own
	stopOnce sync.Once
	stopErr  error
	stopping chan struct{}
}

// Start starts the process inside spec.NS, in a cgroup of its own, and
// waits until it prints the ready line. If it exits first, does not become
// ready within ReadyTimeout, or ctx ends, every process of its cgroup is
// killed and the error says why, with the last lines of its stderr.
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
	if spec.LogLimit <= 0 {
		spec.LogLimit = DefaultLogLimit
	}
	p := &Process{
		spec:       spec,
		stdoutPath: filepath.Join(spec.LogDir, spec.Name+".stdout.log"),
		stderrPath: filepath.Join(spec.LogDir, spec.Name+".stderr.log"),
		copied:     make(chan struct{}),
		ready:      make(chan struct{}),
		exited:     make(chan struct{}),
		stopping:   make(chan struct{}),
	}
	if err := p.start(); err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
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
	err := p.kill()
	return nil, errors.Join(p.errorf("%s", reason), err)
}

// start creates the cgroup, the logs and the pipes, and forks the process;
// on error it leaves nothing behind.
func (p *Process) start() (err error) {
	var closers []func()
	defer func() {
		if err != nil {
			for _, c := range closers {
				c()
			}
		}
	}()
	if p.cg, err = newCgroup(p.spec.Name); err != nil {
		return err
	}
	closers = append(closers, func() { p.cg.remove() })
	if p.stdout, err = newOutput(p.stdoutPath, p.spec.LogLimit); err != nil {
		return err
	}
	closers = append(closers, p.stdout.close)
	if p.stderr, err = newOutput(p.stderrPath, p.spec.LogLimit); err != nil {
		return err
	}
	closers = append(closers, p.stderr.close)
	var writers []*os.File
	for range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		p.pipes, writers = append(p.pipes, r), append(writers, w)
		closers = append(closers, func() { r.Close(); w.Close() })
	}
	cmd := exec.Command(p.spec.Argv[0], p.spec.Argv[1:]...)
	cmd.Env = append(os.Environ(), p.spec.Env...)
	cmd.Stdout, cmd.Stderr = writers[0], writers[1]
	// Own process group (Stop sends SIGTERM to the group); SIGKILL when the
	// thread that forked it dies, i.e. when the runner dies; forked into
	// its cgroup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, UseCgroupFD: true, CgroupFD: p.cg.fd()}
	p.cmd = cmd
	// Forking from a thread inside the namespace puts the child there.
	err = p.spec.NS.Do(cmd.Start)
	for _, w := range writers {
		w.Close()
	}
	if err != nil {
		return fmt.Errorf("starting %q in %s: %w", p.spec.Argv[0], p.spec.NS.Name, err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		copyOutput(p.pipes[0], io.MultiWriter(p.stdout, &readyScanner{found: func() { close(p.ready) }}), p.stdout)
	})
	wg.Go(func() { copyOutput(p.pipes[1], p.stderr, p.stderr) })
	go func() {
		wg.Wait()
		close(p.copied)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// copyOutput copies an output pipe of the process to w until every process
// holding its other end is gone, then closes out.
func copyOutput(r *os.File, w io.Writer, out *output) {
	_, _ = io.Copy(w, r)
	r.Close()
	out.close()
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
		// What it wrote last may still be in the pipe.
		p.settle.Do(func() { p.outputDone(drainWait) })
		return p.errorf("exited unexpectedly (%v)", exitDesc(p.waitErr))
	default:
		return nil
	}
}

// Stop sends SIGTERM to the process group, waits up to Grace, then kills
// every process of the cgroup (the process and whatever it started, also
// what left its process group or namespace) and reaps the process. It
// returns an error if the process had already exited on its own or had to
// be killed. Stop is idempotent.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		var errs []error
		crashed := p.Alive()
		close(p.stopping) // from now on, an exit is expected
		if crashed != nil {
			errs = append(errs, crashed)
		} else {
			_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
			t := time.NewTimer(p.spec.Grace)
			defer t.Stop()
			select {
			case <-p.exited:
			case <-t.C:
				errs = append(errs, p.errorf("ignored SIGTERM for %v; killed with SIGKILL", p.spec.Grace))
			}
		}
		p.stopErr = errors.Join(append(errs, p.kill())...)
	})
	return p.stopErr
}

// drainWait bounds the wait for the output pipes to end once every process
// of the cgroup is gone: a process that moved itself out of the cgroup
// (root can) may still hold them.
const drainWait = time.Second

// kill kills every process of the cgroup, reaps the process, waits for
// its output to end and removes the cgroup.
func (p *Process) kill() error {
	err := p.cg.kill(killWait)
	_ = p.cmd.Process.Kill() // in case it moved itself out of the cgroup
	<-p.exited
	if !p.outputDone(drainWait) {
		for _, r := range p.pipes {
			r.Close()
		}
		<-p.copied
	}
	if err = errors.Join(err, p.cg.remove()); err != nil {
		return fmt.Errorf("%s: %w", p.spec.Name, err)
	}
	return nil
}

// outputDone waits up to d until the output pipes were read to their end,
// and reports whether they were.
func (p *Process) outputDone(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.copied:
		return true
	case <-t.C:
		return false
	}
}

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

// quoteLimit bounds what StderrTail quotes, in bytes.
const quoteLimit = 4 << 10

// StderrTail returns up to n last lines of the process's stderr (of its
// last tailSize bytes, at most quoteLimit bytes), indented for an error
// message.
func (p *Process) StderrTail(n int) string {
	lines := bytes.Split(bytes.TrimRight(p.stderr.Tail(), "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	b := bytes.Join(lines, []byte("\n"))
	if len(b) > quoteLimit {
		b = append([]byte("…"), b[len(b)-quoteLimit:]...)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	return "  | " + strings.ReplaceAll(string(b), "\n", "\n  | ")
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
