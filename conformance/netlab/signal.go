package netlab

import (
	"os"
	"os/signal"
	"syscall"
)

// CloseOnSignal closes the lab when the process gets SIGINT or SIGTERM:
// cancel (e.g. the run's context.CancelFunc) is called first so the run
// unwinds, then the lab is closed. A second signal exits the process with
// status 130 after closing. The returned stop function uninstalls the
// handler; call it when the lab is closed normally.
func (l *Lab) CloseOnSignal(cancel func()) (stop func()) {
	c := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-c:
		case <-done:
			return
		}
		if cancel != nil {
			cancel()
		}
		go func() {
			select {
			case <-c:
				_ = l.Close()
				os.Exit(130)
			case <-done:
			}
		}()
		_ = l.Close()
	}()
	return func() {
		signal.Stop(c)
		select {
		case <-done:
		default:
			close(done)
		}
	}
}
