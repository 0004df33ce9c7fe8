package netlab

import (
	"os"
	"os/signal"
	"syscall"
)

// CloseOnSignal closes the lab when the process gets SIGINT or SIGTERM,
// then calls cancel (e.g. the run's context.CancelFunc) so the run unwinds
// and reports. Closing first means the namespaces are gone even if the run
// exits as soon as it sees the cancellation; a concurrent deferred Close
// waits for the handler's. A second signal exits the process with status
// 130. The returned stop function uninstalls the handler.
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
		go func() {
			select {
			case <-c:
				_ = l.Close()
				os.Exit(130)
			case <-done:
			}
		}()
		_ = l.Close()
		if cancel != nil {
			cancel()
		}
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
