package schema

import (
	"testing"
)

// issueStrings renders issues as "line:col RULE message".
func issueStrings(issues []Issue) []string {
	var out []string
	for _, i := range issues {
		out = append(out, i.Pos.String()+" "+i.Rule+" "+i.Message)
	}
	return out
}

func TestLoadBytesSchemaMessages(t *testing.T) {
	src := `loadBalancers:
- name: lb
  type: internal
  frontendIPConfigurations:
  - name: fe
    ipAddress: 10.0.0.300
  backendAddressPools:
  - name: pool
  loadBalancingRules:
  - name: r1
    protocol: TCP
    frontendPort: 70000
    frontendIPConfiguration: fe
    backendAddressPool: pool
    enableFloatingIp: true
`
	_, issues, err := LoadBytes("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`x.yaml:6:5 LB0001 loadBalancers.0.frontendIPConfigurations.0.ipAddress: "10.0.0.300" is not an IPv4 or IPv6 address`,
		`x.yaml:10:5 LB0001 loadBalancers.0.loadBalancingRules.0: missing required field backendPort`,
		`x.yaml:11:5 LB0001 loadBalancers.0.loadBalancingRules.0.protocol: "TCP" is not allowed; use one of Tcp, Udp, All`,
		`x.yaml:12:5 LB0001 loadBalancers.0.loadBalancingRules.0.frontendPort: 70000 is out of range 0..65534`,
		`x.yaml:15:5 LB0001 loadBalancers.0.loadBalancingRules.0: unknown field "enableFloatingIp" (did you mean enableFloatingIP?)`,
	}
	got := issueStrings(issues)
	if len(got) != len(want) {
		t.Fatalf("got %d issues:\n%q\nwant:\n%q", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("issue %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
