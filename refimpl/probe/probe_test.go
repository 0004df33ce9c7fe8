package probe_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/internal/prereq"
	"github.com/lbcheck/lbcheck/refimpl/probe"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
)

func TestTracker(t *testing.T) {
	tr := probe.NewTracker(2)
	steps := []struct {
		ok, up, changed bool
	}{
		{true, true, false},
		{false, true, false}, // one failure: below threshold
		{true, true, false},  // streak reset
		{false, true, false},
		{false, false, true}, // second consecutive failure: down
		{false, false, false},
		{true, false, false},
		{true, true, true}, // two successes: up again
	}
	for i, s := range steps {
		up, changed := tr.Observe(s.ok)
		if up != s.up || changed != s.changed {
			t.Fatalf("step %d (ok=%v): up=%v changed=%v, want %v %v", i, s.ok, up, changed, s.up, s.changed)
		}
	}
}

// listen listens on a free TCP port of the loopback address lo.
func listen(t *testing.T, lo netip.Addr) (*net.TCPListener, int) {
	l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
	if err != nil {
		prereq.Missing(t, "no loopback %v: %v", lo, err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

// TestCheck probes listeners on the loopback, IPv4 and IPv6 (an HTTP URL
// then has the address in brackets), from the loopback address.
func TestCheck(t *testing.T) {
	for _, lo := range []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()} {
		t.Run(lo.String(), func(t *testing.T) { testCheck(t, lo) })
	}
}

func testCheck(t *testing.T, lo netip.Addr) {
	_, tcpPort := listen(t, lo)
	closed, closedPort := listen(t, lo)
	closed.Close()
	hl, httpPort := listen(t, lo)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	go srv.Serve(hl)
	t.Cleanup(func() { srv.Close() })
	pr := probe.Prober{Source: probe.LocalSource(lo)}
	if pr.Source != lo {
		t.Fatalf("LocalSource(%v) = %v", lo, pr.Source)
	}
	if lo.Is6() {
		pr.Source, pr.Source6 = netip.Addr{}, pr.Source
	}
	if s := probe.LocalSource(netip.MustParseAddr("192.0.2.77")); s.IsValid() {
		t.Errorf("LocalSource of a non-local address = %v, want invalid", s)
	}
	for _, tt := range []struct {
		name   string
		p      ruleset.Probe
		wantUp bool
	}{
		{"tcp open", ruleset.Probe{Protocol: "Tcp", Port: tcpPort}, true},
		{"tcp closed (RST)", ruleset.Probe{Protocol: "Tcp", Port: closedPort}, false},
		{"http 200", ruleset.Probe{Protocol: "Http", Port: httpPort, Path: "/healthz"}, true},
		{"http 503", ruleset.Probe{Protocol: "Http", Port: httpPort, Path: "/other"}, false},
		{"http on closed port", ruleset.Probe{Protocol: "Http", Port: closedPort, Path: "/"}, false},
		{"unknown protocol", ruleset.Probe{Protocol: "Icmp", Port: tcpPort}, false},
	} {
		tt.p.DIP, tt.p.Interval = lo, 2*time.Second
		err := pr.Check(context.Background(), tt.p)
		if (err == nil) != tt.wantUp {
			t.Errorf("%s: err = %v, want up=%v", tt.name, err, tt.wantUp)
		}
	}
}

// TestRunReportsAndStops: Run probes at once, repeats every interval,
// applies the threshold and returns promptly when cancelled.
func TestRunReportsAndStops(t *testing.T) {
	closed, port := listen(t, netip.MustParseAddr("127.0.0.1"))
	closed.Close()
	probes := []ruleset.Probe{{Key: "lb/p/127.0.0.1", DIP: netip.MustParseAddr("127.0.0.1"), Protocol: "Tcp",
		Port: port, Interval: 50 * time.Millisecond, Threshold: 2}}
	var mu sync.Mutex
	var got []probe.Result
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		probe.Prober{}.Run(ctx, probes, []int{0}, func(r probe.Result) {
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
		})
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d results in 5 s, want at least 3", len(got))
	}
	if !got[0].Up || got[0].Err == nil || got[1].Up != false || !got[1].Changed || got[0].Key != "lb/p/127.0.0.1" {
		t.Errorf("results %+v: want up (first failure), then down (threshold 2)", got[:2])
	}
}
