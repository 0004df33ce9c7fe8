package rules

import (
	"net/netip"
	"testing"

	"github.com/lbcheck/lbcheck/schema"
	"github.com/lbcheck/lbcheck/schema/view"
)

// guestOf returns the view of g, as the rules see it.
func guestOf(g *schema.Guest) *view.Guest {
	return view.Resolve(&schema.Deployment{Guests: []*schema.Guest{g}}).Guest(g.VM)
}

func TestFirewallAllows(t *testing.T) {
	fip := netip.MustParseAddr("10.0.0.10")
	dip := netip.MustParseAddr("10.0.0.4")
	allow80 := &schema.FirewallRule{Name: "web", Action: "allow", Proto: "tcp", LocalPort: 80}
	block80 := &schema.FirewallRule{Name: "no web", Action: "block", Proto: "tcp", LocalPort: 80}
	allowDIP := &schema.FirewallRule{Name: "dip", Action: "allow", Proto: "any", LocalAddress: "10.0.0.4"}
	allowNet := &schema.FirewallRule{Name: "net", Action: "allow", Proto: "tcp", LocalAddress: "10.0.0.0/24"}
	fromProbe := &schema.FirewallRule{Name: "probe", Action: "allow", Proto: "tcp", RemoteAddress: "168.63.129.16"}
	toFIP80 := packet{proto: "tcp", dst: fip, port: 80}
	tests := []struct {
		name      string
		os        schema.OS
		fw        *schema.Firewall
		p         packet
		want      bool
		wantBlock *schema.FirewallRule
	}{
		{"no firewall", "linux", nil, toFIP80, true, nil},
		{"disabled", "linux", &schema.Firewall{Enabled: false, DefaultInbound: "block"}, toFIP80, true, nil},
		{"default block", "linux", &schema.Firewall{Enabled: true, DefaultInbound: "block"}, toFIP80, false, nil},
		{"default allow", "linux", &schema.Firewall{Enabled: true, DefaultInbound: "allow"}, toFIP80, true, nil},
		{"linux first match allows", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allow80, block80}}, toFIP80, true, nil},
		{"linux first match blocks", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{block80, allow80}}, toFIP80, false, block80},
		{"windows block wins", "windows", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allow80, block80}}, toFIP80, false, block80},
		{"rule for the DIP does not open the FIP", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allowDIP}}, toFIP80, false, nil},
		{"rule for the DIP opens the DIP", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allowDIP}}, packet{proto: "udp", dst: dip, port: 53}, true, nil},
		{"prefix matches", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{allowNet}}, toFIP80, true, nil},
		{"remote-limited rule does not allow any client", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{fromProbe}}, toFIP80, false, nil},
		{"remote-limited rule allows its source", "linux", &schema.Firewall{Enabled: true, Rules: []*schema.FirewallRule{fromProbe}},
			packet{proto: "tcp", src: probeSource, dst: dip, port: 8080}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := guestOf(&schema.Guest{VM: "vm", OS: tt.os, Firewall: tt.fw})
			ok, block := firewallAllows(g, tt.p)
			if ok != tt.want || block != tt.wantBlock {
				t.Errorf("firewallAllows = %v, %v; want %v, %v", ok, block, tt.want, tt.wantBlock)
			}
		})
	}
}

func TestQuoteList(t *testing.T) {
	if got, want := quoteList([]string{"a", "b", "c", "d", "e"}, 3), `"a", "b", "c" and 2 more`; got != want {
		t.Errorf("quoteList = %s, want %s", got, want)
	}
	if got, want := quoteList([]string{"a"}, 3), `"a"`; got != want {
		t.Errorf("quoteList = %s, want %s", got, want)
	}
}
