package agent_test

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/refimpl/agent"
	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/schema"
)

// TestShutdownNoLeak runs both roles in this process (sockets opened inside
// the namespaces; no probes, so nothing is dialled from the test's own
// namespace), cancels them, and checks they return promptly and leave no
// goroutine behind.
func TestShutdownNoLeak(t *testing.T) {
	d := fixture.Deployment(1, &schema.Rule{Name: "udp", Protocol: "Udp", FrontendPort: 53, BackendPort: 53})
	d.LoadBalancers[0].LoadBalancingRules[0].Probe = ""
	d.LoadBalancers[0].Probes = nil
	tp := buildTopo(t, d)
	base := runtime.NumGoroutine()
	var mux, host agent.Role
	must(t, tp.mux.Do(func() (err error) {
		mux, err = agent.New("mux", agent.Options{Config: tp.cfg, Iface: "eth0", Log: io.Discard})
		return err
	}))
	must(t, tp.hosts[0].Do(func() (err error) {
		host, err = agent.New("host", agent.Options{Config: tp.cfg, Iface: "eth0", VMIface: "vm0", Log: io.Discard})
		return err
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- mux.Run(ctx) }()
	go func() { done <- host.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // at least one read timeout in every loop
	start := time.Now()
	cancel()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a role did not stop within 2 s of cancel")
		}
	}
	t.Logf("stopped in %v", time.Since(start))
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after stopping:\n%s", base, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestNewErrors(t *testing.T) {
	d := fixture.Deployment(1)
	tp := buildTopo(t, d)
	for _, tt := range []struct {
		name string
		role string
		o    agent.Options
	}{
		{"unknown role", "router", agent.Options{Config: tp.cfg}},
		{"missing interface", "mux", agent.Options{Config: tp.cfg, Iface: "nope0"}},
		{"host index out of range", "host", agent.Options{Config: tp.cfg, HostIndex: 7}},
		{"missing VM interface", "host", agent.Options{Config: tp.cfg, VMIface: "nope0"}},
		{"no config", "host", agent.Options{}},
		{"no encapsulation port", "mux", agent.Options{Config: &contract.Config{Deployment: d, ControlPort: 1}}},
	} {
		ns := tp.mux
		if tt.role == "host" {
			ns = tp.hosts[0]
		}
		err := ns.Do(func() error {
			r, err := agent.New(tt.role, tt.o)
			if err == nil {
				t.Errorf("%s: no error", tt.name)
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_ = r.Run(ctx) // closes the sockets

			}
			return nil
		})
		must(t, err)
	}
}
