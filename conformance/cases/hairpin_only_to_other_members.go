package cases

import (
	"context"
	"net"
	"net/netip"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/features"
	"github.com/lbcheck/lbcheck/conformance/pkt"
	"github.com/lbcheck/lbcheck/conformance/suite"
)

// hairpinAttempts is how many connections a backend opens to its own
// frontend: with two members, the chance that none (or all) is hashed to
// the connecting VM itself is 2 in 65536 for a hash that spreads source
// ports evenly.
const hairpinAttempts = 16

func init() {
	suite.Register(&suite.Case{
		ShortName:   "HairpinOnlyToOtherMembers",
		Description: "A backend connecting to its own internal load balancer's frontend (Floating IP off) is answered by another member when its flow is hashed there, and fails when the flow is hashed to itself: the SYN comes back from its own address.",
		Profile:     suite.Extended,
		Features:    []features.Name{features.Hairpin},
		Expectation: "A backend VM reaching the frontend of the internal load balancer it belongs to succeeds only when the flow goes to another backend; hashed to itself, the request and response halves don't match and the connection times out.",
		Source:      docConcepts,
		Deployment:  "hairpin.yaml",
		Catches:     []string{"hairpin-dropped", "hairpin-never-to-self"},
		Run: func(t *suite.T) {
			fe, self := frontendIP(t, "fe"), dip(t, "app1")
			others, selves := 0, 0
			for range hairpinAttempts {
				local := ap(self, t.SrcPort())
				selfSYN := pkt.Match{Proto: pkt.TCP, Src: self, SrcPort: local.Port(), Dst: self, DstPort: 8080, Flags: pkt.SYN}
				conn, err := hairpinDial(t, "app1", local, ap(fe, 80), selfSYN)
				if err != nil {
					// Then the flow must have gone to app1 itself.
					if t.Expect(t.VM("app1"), suite.Step{What: "a failed connection from " + local.String() + " was hashed to app1 itself: its SYN arrives from app1's own address",
						Match: selfSYN, Dir: capture.In}) != nil {
						selves++
					}
					continue
				}
				id, err := lineExchange(conn, "hairpin from "+local.String())
				conn.Close()
				switch {
				case err != nil:
					t.Errorf("connection %v -> %v: %v", local, ap(fe, 80), err)
				case id.VM != "app2" || id.Remote != local:
					t.Errorf("connection %v -> %v answered by %s seeing the client as %v; a hairpin flow that works reaches another member (app2) with the client's address", local, ap(fe, 80), id.VM, id.Remote)
				default:
					others++
				}
			}
			t.Logf("%d of %d connections from app1 to its frontend reached app2, %d were hashed to app1 itself and failed", others, hairpinAttempts, selves)
			if others == 0 {
				t.Errorf("no connection from app1 to its frontend %v reached the other member", fe)
			}
			if selves == 0 && others == hairpinAttempts {
				t.Errorf("all %d connections from app1 reached app2: a backend's flows to its own frontend are hashed over all members, itself included, and those fail", hairpinAttempts)
			}
		},
	})
}

// hairpinDial opens a real TCP connection from local inside vm to dst,
// bounded by the deliver timeout. A flow hashed to vm itself brings its SYN
// back to vm from its own address (selfSYN), and no answer ever comes: the
// dial is given up as soon as that SYN is seen, with an error.
func hairpinDial(t *suite.T, vm string, local, dst netip.AddrPort, selfSYN pkt.Match) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(t.Context(), t.Timeouts().Deliver)
	defer cancel()
	type dialed struct {
		conn net.Conn
		err  error
	}
	done := make(chan dialed, 1)
	go func() {
		var d dialed
		d.err = t.InVM(vm, func() error {
			dialer := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(local)}
			var err error
			d.conn, err = dialer.DialContext(ctx, "tcp", dst.String())
			return err
		})
		done <- d
	}()
	var d dialed
	t.Eventually(t.Timeouts().Deliver, func() bool {
		select {
		case d = <-done:
			return true
		default:
		}
		if _, hashedToSelf := t.Arrives(t.VMs(vm), suite.Step{Match: selfSYN, Dir: capture.In, Timeout: suite.AfterBarrier}); hashedToSelf {
			cancel()
			d = <-done
			return true
		}
		return false
	})
	if d.conn == nil && d.err == nil {
		cancel()
		d = <-done
	}
	return d.conn, d.err
}
