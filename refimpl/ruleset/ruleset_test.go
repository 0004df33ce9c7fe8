package ruleset_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/internal/fixture"
	"github.com/lbcheck/lbcheck/refimpl/internal/pkttest"
	"github.com/lbcheck/lbcheck/refimpl/packet"
	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

func TestCompileAndMatch(t *testing.T) {
	d := fixture.Deployment(2,
		&schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080, IdleTimeoutInMinutes: 10, LoadDistribution: "SourceIP"},
		&schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53, EnableFloatingIP: true},
	)
	d.LoadBalancers[0].FrontendIPConfigurations = append(d.LoadBalancers[0].FrontendIPConfigurations,
		&schema.Frontend{Name: "ha", IPAddress: "203.0.113.20"}, &schema.Frontend{Name: "v6", IPAddress: "2001:db8::1"})
	d.LoadBalancers[0].LoadBalancingRules = append(d.LoadBalancers[0].LoadBalancingRules,
		&schema.Rule{Name: "haports", FrontendIPConfiguration: "ha", BackendAddressPool: "pool", Protocol: "All"},
		&schema.Rule{Name: "v6", FrontendIPConfiguration: "v6", BackendAddressPool: "pool", Protocol: "Tcp", FrontendPort: 80, BackendPort: 80},
	)
	s, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rules) != 4 || len(s.Rules[3].Backends) != 0 || len(s.Warnings) != 2 || !strings.Contains(s.Warnings[0], "not an IPv6 address") {
		t.Fatalf("rules %d warnings %q; want 4 rules, the IPv6 one without the IPv4 members, with a warning for each", len(s.Rules), s.Warnings)
	}
	web := s.Rules[0]
	if web.Idle != 10*time.Minute || web.Distribution != ruleset.SourceIP || web.Floating || len(web.Backends) != 2 {
		t.Errorf("web = %+v", web)
	}
	if s.Rules[1].Idle != ruleset.DefaultIdle || !s.Rules[1].Floating || !s.Rules[2].HAPorts {
		t.Errorf("dns/ha = %+v / %+v", s.Rules[1], s.Rules[2])
	}
	if b := web.Backends[1]; b.Name != "vm1/nic/ipconfig1" || b.DIP != pkttest.Addr("10.1.1.4") || b.Probe != 1 {
		t.Errorf("backend = %+v", b)
	}
	if len(s.Probes) != 2 || s.Probes[0].Key != "lb/p/10.1.0.4" || s.Probes[0].Interval != 5*time.Second || s.Probes[0].Threshold != 2 {
		t.Errorf("probes = %+v", s.Probes)
	}
	fip := pkttest.Addr(fixture.FIP)
	ha := pkttest.Addr("203.0.113.20")
	for _, tt := range []struct {
		name      string
		dst       packet.Addr
		proto     uint8
		port      uint16
		rule      int
		ok, isFIP bool
	}{
		{"tcp 80", fip, packet.ProtoTCP, 80, 0, true, true},
		{"udp 53", fip, packet.ProtoUDP, 53, 1, true, true},
		{"udp 80: wrong protocol", fip, packet.ProtoUDP, 80, -1, false, true},
		{"tcp 81: no rule", fip, packet.ProtoTCP, 81, -1, false, true},
		{"icmp", fip, packet.ProtoICMP, 0, -1, false, true},
		{"ha ports tcp any port", ha, packet.ProtoTCP, 4444, 2, true, true},
		{"ha ports udp any port", ha, packet.ProtoUDP, 1, 2, true, true},
		{"not a frontend", pkttest.Addr("198.51.100.2"), packet.ProtoTCP, 80, -1, false, false},
		{"ipv6 frontend", pkttest.Addr("2001:db8::1"), packet.ProtoTCP, 80, 3, true, true},
		{"ipv6 frontend, no rule", pkttest.Addr("2001:db8::1"), packet.ProtoTCP, 81, -1, false, true},
		{"an ipv4-mapped address is the ipv4 one", pkttest.Addr("::ffff:203.0.113.10"), packet.ProtoTCP, 80, 0, true, true},
	} {
		rule, ok, isFIP := s.Match(tt.dst, tt.proto, tt.port)
		if rule != tt.rule || ok != tt.ok || isFIP != tt.isFIP {
			t.Errorf("%s: Match = %d %v %v, want %d %v %v", tt.name, rule, ok, isFIP, tt.rule, tt.ok, tt.isFIP)
		}
	}
}

// TestFloatingSkipsSecondary: Floating IP rules and NAT rules deliver
// nothing to a secondary IP configuration (the view's ExcludedSecondary,
// spec (b) 20), with a warning that says so; without Floating IP they do.
// TestCompileFamilies: rules of an IPv4 or an IPv6 frontend compile with
// the members of its family and match packets to it; a rule whose frontend
// is of the other family gets no member, and a warning for each.
func TestCompileFamilies(t *testing.T) {
	for i, f := range fixture.Families {
		other := fixture.Families[1-i]
		t.Run(f.Name, func(t *testing.T) {
			d := f.Deployment(2,
				&schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080},
				&schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53, EnableFloatingIP: true},
				&schema.Rule{Name: "ha", FrontendIPConfiguration: "ha", Protocol: "All"},
				&schema.Rule{Name: "other", FrontendIPConfiguration: "other", Protocol: "Tcp", FrontendPort: 80, BackendPort: 80})
			d.LoadBalancers[0].FrontendIPConfigurations = append(d.LoadBalancers[0].FrontendIPConfigurations,
				&schema.Frontend{Name: "ha", IPAddress: f.FIP2}, &schema.Frontend{Name: "other", IPAddress: other.FIP})
			s, err := ruleset.Compile(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Rules) != 4 || len(s.Rules[3].Backends) != 0 || len(s.Warnings) != 2 {
				t.Fatalf("%d rules, the other family's with %d members, warnings %q; want 4, 0 and one per member", len(s.Rules), len(s.Rules[3].Backends), s.Warnings)
			}
			if b := s.Rules[0].Backends[1]; b.DIP != pkttest.Addr(f.DIP(1)) || s.Probes[b.Probe].DIP != netip.MustParseAddr(f.DIP(1)) {
				t.Errorf("backend %+v, probe %+v; want DIP %s", b, s.Probes[b.Probe], f.DIP(1))
			}
			fip, ha := pkttest.Addr(f.FIP), pkttest.Addr(f.FIP2)
			for _, tt := range []struct {
				dst   packet.Addr
				proto uint8
				port  uint16
				rule  int
				ok    bool
			}{
				{fip, packet.ProtoTCP, 80, 0, true},
				{fip, packet.ProtoUDP, 53, 1, true},
				{fip, packet.ProtoTCP, 81, -1, false},
				{ha, packet.ProtoUDP, 4444, 2, true},
				{pkttest.Addr(other.FIP), packet.ProtoTCP, 80, 3, true},
			} {
				if rule, ok, _ := s.Match(tt.dst, tt.proto, tt.port); rule != tt.rule || ok != tt.ok {
					t.Errorf("Match(%v, %d, %d) = %d %v, want %d %v", tt.dst, tt.proto, tt.port, rule, ok, tt.rule, tt.ok)
				}
			}
		})
	}
}

func TestFloatingSkipsSecondary(t *testing.T) {
	secondary := &schema.PoolMember{VM: "vm0", IPConfiguration: "ipconfig2"}
	for _, tc := range []struct {
		name     string
		rule     *schema.Rule
		nat      *schema.NatRule
		backends []string // every compiled rule's backends, in order
	}{
		{name: "rule", rule: &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 80},
			backends: []string{"vm0/nic/ipconfig1", "vm0/nic/ipconfig2"}},
		{name: "floating rule", rule: &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 80, EnableFloatingIP: true},
			backends: []string{"vm0/nic/ipconfig1"}},
		{name: "classic NAT rule", nat: &schema.NatRule{Name: "ssh", FrontendIPConfiguration: "fe", Protocol: "Tcp", FrontendPort: 2222, BackendPort: 22, Target: secondary},
			backends: []string{"vm0/nic/ipconfig2"}},
		{name: "floating classic NAT rule", nat: &schema.NatRule{Name: "ssh", FrontendIPConfiguration: "fe", Protocol: "Tcp", FrontendPort: 2222, BackendPort: 22, EnableFloatingIP: true, Target: secondary}},
		{name: "floating v2 NAT rule", nat: &schema.NatRule{Name: "ssh", FrontendIPConfiguration: "fe", Protocol: "Tcp", BackendPort: 22, EnableFloatingIP: true,
			BackendAddressPool: "pool", FrontendPortRangeStart: 50000, FrontendPortRangeEnd: 50009},
			backends: []string{"vm0/nic/ipconfig1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rules []*schema.Rule
			if tc.rule != nil {
				rules = append(rules, tc.rule)
			}
			d := fixture.Deployment(1, rules...)
			lb := d.LoadBalancers[0]
			nic := d.VMs[0].NetworkInterfaces[0]
			nic.IPConfigurations = append(nic.IPConfigurations, &schema.IPConfig{Name: "ipconfig2", PrivateIPAddress: "10.1.0.5"})
			lb.BackendAddressPools[0].Members = append(lb.BackendAddressPools[0].Members, secondary)
			if tc.nat != nil {
				lb.InboundNatRules = []*schema.NatRule{tc.nat}
			}
			s, err := ruleset.Compile(d)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range s.Rules {
				for _, b := range r.Backends {
					got = append(got, b.Name)
				}
			}
			if !slices.Equal(got, tc.backends) {
				t.Errorf("backends %q, want %q (warnings %q)", got, tc.backends, s.Warnings)
			}
			warned := slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "vm0/nic/ipconfig2 skipped: "+view.ExcludedSecondary) })
			if want := !slices.Contains(tc.backends, "vm0/nic/ipconfig2"); warned != want {
				t.Errorf("warned about the secondary: %v, want %v (warnings %q)", warned, want, s.Warnings)
			}
		})
	}
}

func TestInboundNatRules(t *testing.T) {
	d := fixture.Deployment(3)
	lb := d.LoadBalancers[0]
	lb.InboundNatRules = []*schema.NatRule{
		{Name: "ssh-vm1", FrontendIPConfiguration: "fe", Protocol: "Tcp", FrontendPort: 2201, BackendPort: 22,
			Target: &schema.PoolMember{VM: "vm1", IPConfiguration: "ipconfig1"}},
		{Name: "rdp", FrontendIPConfiguration: "fe", Protocol: "Tcp", BackendPort: 3389, BackendAddressPool: "pool",
			FrontendPortRangeStart: 50000, FrontendPortRangeEnd: 50001, EnableFloatingIP: true, IdleTimeoutInMinutes: 30},
	}
	s, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	fip := pkttest.Addr(fixture.FIP)
	for _, tt := range []struct {
		port     uint16
		ok       bool
		vm       string
		bport    uint16
		floating bool
	}{
		{2201, true, "vm1", 22, false},
		{50000, true, "vm0", 3389, true},
		{50001, true, "vm1", 3389, true},
		{50002, false, "", 0, false}, // range exhausted: vm2 has no port
	} {
		ri, ok, _ := s.Match(fip, packet.ProtoTCP, tt.port)
		if ok != tt.ok {
			t.Errorf("port %d: matched %v, want %v", tt.port, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		r := s.Rules[ri]
		if len(r.Backends) != 1 || r.Backends[0].VM != tt.vm || r.BackendPort != tt.bport || r.Floating != tt.floating || r.Backends[0].Probe != -1 {
			t.Errorf("port %d: rule %+v", tt.port, r)
		}
	}
	if len(s.Warnings) != 1 {
		t.Errorf("warnings %q, want one about the exhausted port range", s.Warnings)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, r := range []*schema.Rule{
		{Name: "bad-proto", Protocol: "Icmp", FrontendPort: 1, BackendPort: 1},
		{Name: "bad-dist", Protocol: "Tcp", FrontendPort: 1, BackendPort: 1, LoadDistribution: "Sticky"},
	} {
		if _, err := ruleset.Compile(fixture.Deployment(1, r)); err == nil {
			t.Errorf("%s: no error", r.Name)
		}
	}
}

func TestSNAT(t *testing.T) {
	for _, f := range fixture.Families {
		t.Run(f.Name, func(t *testing.T) { testSNAT(t, f) })
	}
}

func testSNAT(t *testing.T, f fixture.Family) {
	d := f.WithOutboundRule(f.Deployment(3, &schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 443, BackendPort: 443, EnableFloatingIP: true}),
		schema.ProtocolUdp, 100, 30)
	s, err := ruleset.Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.SNATs) != 2 || s.SNATs[0].Name != "lb/egress" || s.SNATs[0].Idle != 30*time.Minute || s.SNATs[1].Name != "lb/web" {
		t.Fatalf("SNATs = %+v", s.SNATs)
	}
	dip1 := pkttest.Addr(f.DIP(1))
	fip := pkttest.Addr(f.FIP)
	out := pkttest.Addr(f.FIP2)
	for _, tt := range []struct {
		src          packet.Addr
		proto        uint8
		snat, member int
		ok           bool
	}{
		{dip1, packet.ProtoUDP, 0, 1, true}, // the outbound rule translates UDP
		{dip1, packet.ProtoTCP, 1, 1, true}, // the rule's default SNAT TCP
		{fip, packet.ProtoTCP, -1, -1, false},
	} {
		snat, member, ok := s.SNATFor(tt.src, tt.proto)
		if snat != tt.snat || member != tt.member || ok != tt.ok {
			t.Errorf("SNATFor(%v, %d) = %d, %d, %v; want %d, %d, %v", tt.src, tt.proto, snat, member, ok, tt.snat, tt.member, tt.ok)
		}
	}
	for _, tt := range []struct {
		dst          packet.Addr
		proto        uint8
		port         uint16
		snat, member int
		ok           bool
	}{
		{out, packet.ProtoUDP, 1024, 0, 0, true},
		{out, packet.ProtoUDP, 1123, 0, 0, true},
		{out, packet.ProtoUDP, 1124, 0, 1, true},
		{out, packet.ProtoUDP, 1323, 0, 2, true},
		{out, packet.ProtoUDP, 1324, -1, -1, false},
		{out, packet.ProtoUDP, 1023, -1, -1, false},
		{out, packet.ProtoTCP, 1024, -1, -1, false},
		{fip, packet.ProtoTCP, 1024 + 2*1024, 1, 2, true}, // default SNAT: 1,024 ports each
	} {
		snat, member, ok := s.SNATReturn(tt.dst, tt.proto, tt.port)
		if snat != tt.snat || member != tt.member || ok != tt.ok {
			t.Errorf("SNATReturn(%v, %d, %d) = %d, %d, %v; want %d, %d, %v", tt.dst, tt.proto, tt.port, snat, member, ok, tt.snat, tt.member, tt.ok)
		}
	}
}

func TestScaleMinute(t *testing.T) {
	d := fixture.Deployment(1,
		&schema.Rule{Name: "web", Protocol: "Tcp", FrontendPort: 80, BackendPort: 8080, IdleTimeoutInMinutes: 4, EnableTcpReset: true},
		&schema.Rule{Name: "dns", Protocol: "Udp", FrontendPort: 53, BackendPort: 53})
	s, err := ruleset.Compile(fixture.WithOutboundRule(d, "All", 1024, 30))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Rules[0].TCPReset || s.Rules[1].TCPReset {
		t.Errorf("TCPReset %v %v, want true false", s.Rules[0].TCPReset, s.Rules[1].TCPReset)
	}
	s.ScaleMinute(250 * time.Millisecond)
	if got := s.FlowIdle(&s.Rules[0], packet.ProtoTCP); got != time.Second {
		t.Errorf("4-minute TCP idle with a 250 ms minute: %v, want 1s", got)
	}
	if got := s.FlowIdle(&s.Rules[1], packet.ProtoUDP); got != 25*time.Second {
		t.Errorf("UDP flows with a 250 ms minute: %v, want 25s (100 minutes)", got)
	}
	if got := s.FlowIdle(&s.Rules[1], packet.ProtoTCP); got != time.Second {
		t.Errorf("default idle with a 250 ms minute: %v, want 1s", got)
	}
	if s.SNATs[0].Idle != 7500*time.Millisecond {
		t.Errorf("30-minute outbound idle: %v, want 7.5s", s.SNATs[0].Idle)
	}
	// The fixture's probe runs every 5 s: 5/60 of a 250 ms minute.
	if len(s.Probes) == 0 {
		t.Fatal("the fixture has no probe")
	}
	for _, p := range s.Probes {
		if want := 5 * time.Second / 240; p.Interval != want {
			t.Errorf("probe %s interval with a 250 ms minute: %v, want %v", p.Key, p.Interval, want)
		}
	}
}
