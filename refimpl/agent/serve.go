package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/refimpl/stats"
)

// ServeOptions configure Serve.
type ServeOptions struct {
	Options
	// Role is contract.RoleMux or contract.RoleHost.
	Role string
	// Stdout receives exactly contract.ReadyLine once the sockets are bound.
	Stdout io.Writer
	// Stderr receives the final counters as one JSON line.
	Stderr io.Writer
	// CountersFile, when set, is rewritten with the counters JSON every
	// CountersEvery (default 1 s) and at exit.
	CountersFile  string
	CountersEvery time.Duration
}

// Serve runs one role under the target contract: bind the sockets, print
// "ready", forward until ctx is done, close the sockets, print the final
// counters.
func Serve(ctx context.Context, o ServeOptions) error {
	if o.Log == nil {
		o.Log = o.Stderr
	}
	r, err := New(o.Role, o.Options)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(o.Stdout, contract.ReadyLine); err != nil {
		return err
	}
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(ctx)
	if o.CountersFile != "" {
		every := o.CountersEvery
		if every <= 0 {
			every = time.Second
		}
		wg.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-runCtx.Done():
					return
				case <-t.C:
					_ = WriteCounters(o.CountersFile, r.Counters()) // retried at the next tick and at exit
				}
			}
		})
	}
	err = r.Run(ctx)
	stop()
	wg.Wait()
	b, _ := json.Marshal(r.Counters())
	fmt.Fprintf(o.Stderr, "%s\n", b)
	if o.CountersFile != "" {
		if werr := WriteCounters(o.CountersFile, r.Counters()); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// WriteCounters replaces path with the counters JSON (written to a temporary
// file and renamed, so readers never see half a file).
func WriteCounters(path string, c *stats.Counters) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".counters-*")
	if err != nil {
		return fmt.Errorf("counters file: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("counters file %s: %v", path, firstErr(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("counters file: %w", err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
