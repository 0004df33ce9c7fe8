package guest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/vishvananda/netlink"
)

// TestMain lets the test binary act as the responder, as lbcheck does with
// its hidden internal-responder command.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ResponderCommand {
		os.Exit(ResponderMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const (
	clientAddr = "10.0.0.50"
	fip        = "10.0.0.100"
)

// setupGuest builds a client namespace and a VM namespace joined by one
// veth. The client owns the VM's gateway address (10.0.0.1) so replies come
// straight back, and routes the frontend IP to the DIP.
func setupGuest(t *testing.T, g *schema.Guest) (client *netlab.NS, gu *Guest) {
	t.Helper()
	l := labtest.NewLab(t)
	p, err := NewPlan("vm0", g, dip)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.NewNS("c")
	if err != nil {
		t.Fatal(err)
	}
	v, err := l.NewNS("vm")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.AddVeth("eth0", nil, v, p.NIC, nil))
	must(c.AddAddr("eth0", netip.MustParsePrefix(clientAddr+"/24")))
	must(c.AddAddr("eth0", netip.MustParsePrefix("10.0.0.1/32")))
	must(c.Up("eth0"))
	must(c.AddRoute(netlab.Route{Dst: netip.MustParsePrefix(fip + "/32"), Via: dip[0], Dev: "eth0"}))
	self, _ := os.Executable()
	gu, err = Configure(context.Background(), v, p, Options{Responder: []string{self, ResponderCommand}, LogDir: l.Dir()})
	must(err)
	must(c.WaitUp(2*time.Second, "eth0"))
	t.Cleanup(func() {
		if err := gu.Close(); err != nil {
			t.Errorf("stopping responder: %v", err)
		}
	})
	return c, gu
}

// dialTCP connects from the client and returns the ident of one exchange,
// or the error (a dropped SYN or SYN-ACK shows as a timeout).
func dialTCP(t *testing.T, c *netlab.NS, dst string) (Ident, error) {
	t.Helper()
	var conn net.Conn
	err := c.Do(func() (err error) {
		d := net.Dialer{Timeout: 400 * time.Millisecond, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientAddr)}}
		conn, err = d.Dial("tcp4", dst)
		return
	})
	if err != nil {
		return Ident{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(conn, "ping\n")
	r := bufio.NewReader(conn)
	echo, err1 := r.ReadString('\n')
	line, err2 := r.ReadString('\n')
	if err1 != nil || err2 != nil {
		return Ident{}, fmt.Errorf("reading reply: %v %v", err1, err2)
	}
	_, id, err := ParseReply([]byte(echo + line))
	if echo != "ping\n" {
		t.Errorf("echo = %q, want ping", echo)
	}
	return id, err
}

func udpExchange(t *testing.T, c *netlab.NS, dst string) (from netip.AddrPort, id Ident, err error) {
	t.Helper()
	var conn *net.UDPConn
	if err := c.Do(func() (err error) {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(clientAddr)})
		return
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.WriteToUDPAddrPort([]byte("q1"), netip.MustParseAddrPort(dst))
	if err != nil {
		return from, id, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	buf := make([]byte, 2048)
	n, from, err := conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return from, id, err
	}
	_, id, err = ParseReply(buf[:n])
	return from, id, err
}

var web = []*schema.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 80}, {Proto: "udp", Address: "0.0.0.0", Port: 53}}

func windows(nicRecv, nicSend, loSend bool) *schema.Guest {
	return &schema.Guest{VM: "vm0", OS: "windows", Listeners: web, Interfaces: []*schema.Interface{
		nic("Ethernet", nicRecv, nicSend, "10.0.0.4/24"), loop("Loopback", false, loSend, fip+"/32"),
	}}
}

func TestWindowsStrongHostReceive(t *testing.T) {
	c, g := setupGuest(t, windows(false, false, false))
	id, err := dialTCP(t, c, "10.0.0.4:80")
	if err != nil {
		t.Fatalf("DIP on the NIC must be reachable: %v", err)
	}
	if id.VM != "vm0" || id.Local.String() != "10.0.0.4:80" || id.Remote.Addr().String() != clientAddr {
		t.Errorf("ident = %+v", id)
	}
	if _, err := dialTCP(t, c, fip+":80"); err == nil {
		t.Fatal("connected to the loopback address through the NIC despite strong-host receive")
	}
	counts, err := DropCounts(g.NS.Fd())
	if err != nil {
		t.Fatal(err)
	}
	if counts["in eth0 "+fip] == 0 {
		t.Errorf("strong-host receive rule did not count the SYN: %v", counts)
	}
}

func TestWindowsStrongHostSend(t *testing.T) {
	c, g := setupGuest(t, windows(true, false, false))
	if _, err := dialTCP(t, c, fip+":80"); err == nil {
		t.Fatal("connected although the SYN-ACK from the loopback address must not leave the NIC")
	}
	counts, _ := DropCounts(g.NS.Fd())
	if counts["out eth0 "+fip] == 0 || counts["in eth0 "+fip] != 0 {
		t.Errorf("want the send rule (not the receive rule) to drop: %v", counts)
	}
	if _, _, err := udpExchange(t, c, fip+":53"); err == nil {
		t.Error("UDP reply from the loopback address left the NIC")
	}
}

func TestWindowsWeakHost(t *testing.T) {
	c, _ := setupGuest(t, windows(true, false, true))
	id, err := dialTCP(t, c, fip+":80")
	if err != nil {
		t.Fatalf("weakHostReceive on the NIC + weakHostSend on the loopback: %v", err)
	}
	if id.Local.String() != fip+":80" {
		t.Errorf("local = %s, want the frontend IP %s:80", id.Local, fip)
	}
	from, id, err := udpExchange(t, c, fip+":53")
	if err != nil {
		t.Fatal(err)
	}
	if from.String() != fip+":53" || id.Local.String() != fip+":53" || id.Proto != "udp" {
		t.Errorf("UDP reply from %s ident %+v; want both %s:53", from, id, fip)
	}
}

func linux(loPrefix int) *schema.Guest {
	return &schema.Guest{VM: "vm0", OS: "linux", Listeners: web,
		Interfaces: []*schema.Interface{nic("ens5", false, false, "10.0.0.4/24"), loop("lo", false, false, fmt.Sprintf("%s/%d", fip, loPrefix))},
		Sysctls:    map[string]string{"net.ipv4.conf.ens5.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2"}}
}

func TestLinuxGuest(t *testing.T) {
	c, gu := setupGuest(t, linux(32))
	if v, err := gu.NS.Sysctl("net.ipv4.conf.ens5.arp_ignore"); err != nil || v != "1" {
		t.Errorf("arp_ignore = %q, %v", v, err)
	}
	// Linux is weak host: the frontend IP on lo answers through the NIC.
	id, err := dialTCP(t, c, fip+":80")
	if err != nil || id.Local.String() != fip+":80" {
		t.Fatalf("Linux guest: %+v, %v", id, err)
	}
	if _, err := dialTCP(t, c, "10.0.0.4:80"); err != nil {
		t.Errorf("subnet client to the DIP with a /32 on lo: %v", err)
	}
}

// TestLinuxLoopback24 shows why a /24 on lo is wrong: the kernel makes the
// whole /24 local, so replies to clients in the subnet never leave the VM.
func TestLinuxLoopback24(t *testing.T) {
	c, gu := setupGuest(t, linux(24))
	lo, _ := gu.NS.Netlink().LinkByName("lo")
	addrs, _ := gu.NS.Netlink().AddrList(lo, netlink.FAMILY_V4)
	if !strings.Contains(fmt.Sprint(addrs), fip+"/24") {
		t.Errorf("lo addresses %v; want %s/24 exactly as declared", addrs, fip)
	}
	if _, err := dialTCP(t, c, "10.0.0.4:80"); err == nil {
		t.Error("a subnet client reached the DIP although a /24 on lo captures the replies")
	}
}

func TestFirewall(t *testing.T) {
	g := &schema.Guest{VM: "vm0", OS: "linux",
		Listeners: []*schema.Listener{{Proto: "tcp", Port: 80}, {Proto: "tcp", Port: 81}, {Proto: "udp", Port: 53}, {Proto: "udp", Port: 54}},
		Firewall: &schema.Firewall{Enabled: true, DefaultInbound: "block", Rules: []*schema.FirewallRule{
			{Action: "allow", Proto: "tcp", LocalPort: 80},
			{Action: "allow", Proto: "udp", LocalAddress: "10.0.0.4", LocalPort: 53, RemoteAddress: "10.0.0.0/24"},
			{Action: "block", Proto: "any", LocalPort: 80, RemoteAddress: "10.0.0.51"},
		}}}
	c, _ := setupGuest(t, g)
	if _, err := dialTCP(t, c, "10.0.0.4:80"); err != nil {
		t.Errorf("allowed tcp/80: %v", err)
	}
	if _, err := dialTCP(t, c, "10.0.0.4:81"); err == nil {
		t.Error("tcp/81 passed a default-block firewall")
	}
	if _, _, err := udpExchange(t, c, "10.0.0.4:53"); err != nil {
		t.Errorf("allowed udp/53: %v", err)
	}
	if _, _, err := udpExchange(t, c, "10.0.0.4:54"); err == nil {
		t.Error("udp/54 passed a default-block firewall")
	}
}

func TestResponderHTTPAndBindError(t *testing.T) {
	c, _ := setupGuest(t, &schema.Guest{VM: "vm0", Listeners: web})
	var conn net.Conn
	if err := c.Do(func() (err error) { conn, err = net.DialTimeout("tcp4", "10.0.0.4:80", time.Second); return }); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(conn, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	b, _ := bufio.NewReader(conn).ReadString(0)
	if !strings.HasPrefix(b, "HTTP/1.1 200 OK\r\n") || !strings.Contains(b, "vm=vm0 proto=tcp local=10.0.0.4:80") {
		t.Errorf("HTTP probe answer = %q", b)
	}

	// A listener on an address the guest does not have fails clearly.
	l := labtest.NewLab(t)
	v, _ := l.NewNS("vm")
	p, _ := NewPlan("vmx", &schema.Guest{Listeners: []*schema.Listener{{Proto: "tcp", Address: "203.0.113.7", Port: 80}}}, dip)
	peer, _ := l.NewNS("peer")
	if err := peer.AddVeth("x", nil, v, p.NIC, nil); err != nil {
		t.Fatal(err)
	}
	if err := peer.Up("x"); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	_, err := Configure(context.Background(), v, p, Options{Responder: []string{self, ResponderCommand}, LogDir: l.Dir()})
	if err == nil || !strings.Contains(err.Error(), "203.0.113.7:80") || !strings.Contains(err.Error(), "assign requested address") {
		t.Errorf("Configure = %v; want the bind error with the address", err)
	}
}
