package schema

import "testing"

func TestDefaults(t *testing.T) {
	p := Defaults(&Probe{Name: "p", Port: 80})
	if p.IntervalInSeconds != 15 || p.ProbeThreshold != 1 || p.NoHealthyBackendsBehavior != "AllProbedDown" || p.Name != "p" || p.Port != 80 {
		t.Errorf("probe %+v", p)
	}
	if p.Has("intervalInSeconds") {
		t.Error("a default must not look written")
	}
	r := Defaults(&Rule{})
	if r.IdleTimeoutInMinutes != 4 || r.LoadDistribution != "Default" || r.EnableFloatingIP {
		t.Errorf("rule %+v", r)
	}
	if n, o := Defaults(&NatRule{}), Defaults(&OutboundRule{}); n.IdleTimeoutInMinutes != 4 || o.IdleTimeoutInMinutes != 4 {
		t.Errorf("NAT rule %+v, outbound rule %+v", n, o)
	}
	// The loader fills the same defaults into what a file leaves out.
	d, _, err := LoadBytes("d.yaml", []byte("loadBalancers:\n- {name: lb, probes: [{name: p, protocol: Tcp, port: 80}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := d.LoadBalancers[0].Probes[0]
	if l.IntervalInSeconds != p.IntervalInSeconds || l.ProbeThreshold != p.ProbeThreshold || l.NoHealthyBackendsBehavior != p.NoHealthyBackendsBehavior {
		t.Errorf("loaded probe %+v, Defaults %+v", *l, *p)
	}
	defer func() {
		if recover() == nil {
			t.Error("Defaults of a type that is not in the model must panic")
		}
	}()
	Defaults(&struct{ X int }{})
}
