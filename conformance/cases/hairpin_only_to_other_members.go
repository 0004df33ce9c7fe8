package cases

import (
	"net"
	"net/netip"
	"time"

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
				conn, err := dialFromVM(t, "app1", local, ap(fe, 80), 500*time.Millisecond)
				if err != nil {
					// Then the flow must have gone to app1 itself.
					if t.Expect(t.VM("app1"), suite.Step{What: "a failed connection from " + local.String() + " was hashed to app1 itself: its SYN arrives from app1's own address",
						Match: pkt.Match{Proto: pkt.TCP, Src: self, SrcPort: local.Port(), Dst: self, DstPort: 8080, Flags: pkt.SYN}, Dir: capture.In}) != nil {
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

// dialFromVM opens a real TCP connection from local inside the VM.
func dialFromVM(t *suite.T, vm string, local, dst netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := t.InVM(vm, func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: net.TCPAddrFromAddrPort(local)}
		var err error
		conn, err = d.DialContext(t.Context(), "tcp", dst.String())
		return err
	})
	return conn, err
}
