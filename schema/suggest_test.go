package schema

import "testing"

func TestClosest(t *testing.T) {
	fields := []string{"frontendIPConfiguration", "enableFloatingIP", "enableTcpReset", "probe", "protocol"}
	tests := []struct{ name, want string }{
		{"enableFloatingIp", "enableFloatingIP"},  // case only
		{"enableFloatingIPs", "enableFloatingIP"}, // one edit
		{"enabelFloatingIP", "enableFloatingIP"},  // two edits
		{"frontendIpConfig", ""},                  // too far
		{"prob", "probe"},                         // nearest of two
		{"color", ""},
		{"pr", ""}, // a short name: one edit at most
		{"", ""},
	}
	for _, tt := range tests {
		if got := closest(tt.name, fields); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := editDistance("kitten", "sitting", 10); got != 3 {
		t.Errorf("editDistance(kitten, sitting) = %d, want 3", got)
	}
	if got := editDistance("a", "abcdef", 3); got != 3 {
		t.Errorf("editDistance beyond the limit = %d, want the limit 3", got)
	}
}

func TestResolveMessageLists(t *testing.T) {
	lb := &LoadBalancer{Name: "lb", LoadBalancingRules: []*Rule{{Name: "r", FrontendIPConfiguration: "web", BackendAddressPool: "pool-7"}}}
	for _, n := range []string{"a1", "b2", "c3", "d4", "e5", "f6"} {
		lb.FrontendIPConfigurations = append(lb.FrontendIPConfigurations, &Frontend{Name: n})
		lb.BackendAddressPools = append(lb.BackendAddressPools, &BackendPool{Name: "pool-" + n})
	}
	got := issueStrings(resolve(&Deployment{LoadBalancers: []*LoadBalancer{lb}}))
	want := []string{
		` LB1001 : frontend IP configuration "web" does not exist in load balancer "lb"`,
		` LB1001 : backend pool "pool-7" does not exist in load balancer "lb" (did you mean pool-a1?)`,
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("issues:\n got %q\nwant %q (no list of six names, a suggestion when one is close)", got, want)
	}
}
