package cases

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

func init() {
	suite.Register(&suite.Case{
		ShortName:   "HTTPProbeNeeds200",
		Description: "An HTTP health probe marks a member up only when GET requestPath answers 200: the case serves the probe in each VM, first with 200 (both members get new flows), then with 503 on one member, which must then get no new flows.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.HealthProbe, features.HTTPProbe},
		Expectation: "An HTTP or HTTPS probe succeeds only on HTTP 200 within the timeout; any other status code (such as 403, 404 or 500) marks the instance down.",
		Source:      docProbes,
		Deployment:  "httpprobe.yaml",
		Minute:      probeMinute,
		Catches:     []string{"http-probe-any-status"},
		Run: func(t *suite.T) {
			fe := frontendIP(t, "fe")
			pool := t.VMs("web1", "web2")
			web1 := serveProbe(t, "web1", 8092)
			web2 := serveProbe(t, "web2", 8092)
			// The probes failed while nothing served them: wait until each
			// member has answered one with 200, then for the verdict.
			web1.awaitProbe(t, "web1 answers a probe with 200")
			web2.awaitProbe(t, "web2 answers a probe with 200")
			s := pkt.Spec{Dst: fe, DstPort: 80}
			// Both verdicts take effect within the probe timeout: wait
			// until fresh flows have reached both members.
			seen := map[string]bool{}
			t.Eventually(t.Timeouts().Probe, func() bool {
				if vm, ok := landsOn(t, pool, s, 8080); ok {
					seen[vm] = true
				}
				return len(seen) == len(pool)
			})
			reached, ok := membersReached(t, pool, s, 8080, "both members answer 200: a new flow reaches a member")
			if !ok {
				return
			}
			if len(reached) < len(pool) {
				t.Fatalf("with both probes answered 200 only %v received new flows", reached)
			}
			web1.status.Store(http.StatusServiceUnavailable)
			web1.awaitProbe(t, "web1 answers a probe with 503")
			awaitAvoided(t, pool, s, 8080, "web1")
			for range 12 {
				if vm := backendOf(t, pool, s, 8080, "a new flow reaches web2, the member whose probe answers 200"); vm == "web1" {
					t.Errorf("a new flow reached web1, whose HTTP probe answers 503: only 200 keeps a member up")
				}
			}
		},
	})
}

// probeServer answers HTTP probes inside one VM with status.
type probeServer struct {
	port   uint16
	status atomic.Int32
	served chan int // the status of each probe answered
}

// serveProbe serves HTTP on port in vm's namespace until the case ends,
// answering 200 until told otherwise.
func serveProbe(t *suite.T, vm string, port uint16) *probeServer {
	s := &probeServer{port: port, served: make(chan int, 64)}
	s.status.Store(http.StatusOK)
	var ln net.Listener
	if err := t.InVM(vm, func() (err error) {
		ln, err = net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", port))
		return err
	}); err != nil {
		t.Fatalf("serving the probe in %s: %v", vm, err)
	}
	srv := &http.Server{ReadHeaderTimeout: 2 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		code := int(s.status.Load())
		w.WriteHeader(code)
		select {
		case s.served <- code:
		default:
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// awaitProbe waits, bounded by two probe intervals and the deliver
// timeout, until the server has answered a probe with its current status.
func (s *probeServer) awaitProbe(t *suite.T, what string) {
	want := int(s.status.Load())
	interval, _ := probeTiming(t, s.port)
	within := 2*interval + t.Timeouts().Deliver
	deadline := time.After(within)
	for {
		select {
		case code := <-s.served:
			if code == want {
				t.Logf("%s", what)
				return
			}
		case <-deadline:
			t.Fatalf("%s: no probe answered within %v", what, within)
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		}
	}
}
