package guest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/netlab/labtest"
	"github.com/lbcheck/lbcheck/schema"
	"github.com/vishvananda/netlink"
)

const (
	clientAddr = "10.0.0.50"
	fip        = "10.0.0.100"
)

// newVM builds a client namespace and a VM namespace joined by one veth,
// and plans g for the VM. The client owns the VM's gateway address
// (10.0.0.1) so replies come straight back, and routes the frontend IP to
// the DIP.
func newVM(t *testing.T, g *schema.Guest) (client, vm *netlab.NS, p *Plan) {
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
	must(t, c.AddVeth("eth0", nil, v, p.NIC, nil))
	must(t, c.AddAddr("eth0", netip.MustParsePrefix(clientAddr+"/24")))
	must(t, c.AddAddr("eth0", netip.MustParsePrefix("10.0.0.1/32")))
	must(t, c.Up("eth0"))
	must(t, c.AddRoute(netlab.Route{Dst: netip.MustParsePrefix(fip + "/32"), Via: dip[0], Dev: "eth0"}))
	return c, v, p
}

// setupGuest configures g in the VM namespace of newVM.
func setupGuest(t *testing.T, g *schema.Guest) (client *netlab.NS, gu *Guest) {
	t.Helper()
	c, v, p := newVM(t, g)
	gu, err := Configure(v, p)
	must(t, err)
	must(t, c.WaitUp(2*time.Second, "eth0"))
	t.Cleanup(func() {
		if err := gu.Close(); err != nil {
			t.Errorf("stopping responder: %v", err)
		}
	})
	return c, gu
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
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

// TestResponder: the responder, running in this process, answers from
// inside the VM namespace: each TCP line, an HTTP probe, UDP datagrams from
// their destination address. Close ends an idle connection at once and
// frees the ports: binding them again succeeds.
func TestResponder(t *testing.T) {
	c, gu := setupGuest(t, linux(32))

	conn := dial(t, c, "10.0.0.4:80")
	fmt.Fprintf(conn, "one\ntwo\nthree")
	conn.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	ident := fmt.Sprintf("vm=vm0 proto=tcp local=10.0.0.4:80 remote=%s", conn.LocalAddr())
	if want := fmt.Sprintf("one\n%s\ntwo\n%s\nthree\n%s\n", ident, ident, ident); string(b) != want {
		t.Errorf("TCP lines answered %q, want %q", b, want)
	}

	conn = dial(t, c, fip+":80")
	fmt.Fprintf(conn, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	b, _ = io.ReadAll(conn)
	if !strings.HasPrefix(string(b), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(b), "\r\n\r\nvm=vm0 proto=tcp local="+fip+":80 remote="+conn.LocalAddr().String()+"\n") {
		t.Errorf("HTTP probe answered %q", b)
	}

	for _, dst := range []string{"10.0.0.4:53", fip + ":53"} {
		from, id, err := udpExchange(t, c, dst)
		if err != nil || from.String() != dst || id.Local.String() != dst || id.Proto != "udp" || id.Remote.Addr().String() != clientAddr {
			t.Errorf("UDP to %s: reply from %s, ident %+v, %v; want both %s", dst, from, id, err, dst)
		}
	}

	idle := dial(t, c, "10.0.0.4:80")
	start := time.Now()
	if err := gu.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > IdleTimeout/10 {
		t.Errorf("Close took %v with an idle connection open", d)
	}
	if n, err := idle.Read(make([]byte, 1)); err == nil {
		t.Errorf("the idle connection still reads (%d bytes) after Close", n)
	}
	if err := gu.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	var again *Responder
	if err := gu.NS.Do(func() (err error) { again, err = Listen("vm0", gu.Plan.Listeners); return }); err != nil {
		t.Fatalf("binding the listeners again after Close: %v", err)
	}
	again.Serve()
	defer again.Close()
	if id, err := dialTCP(t, c, "10.0.0.4:80"); err != nil || id.VM != "vm0" {
		t.Errorf("the new responder answered %+v, %v", id, err)
	}
}

// dial connects to dst from the client, with a deadline for the exchange.
func dial(t *testing.T, c *netlab.NS, dst string) net.Conn {
	t.Helper()
	var conn net.Conn
	must(t, c.Do(func() (err error) {
		d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientAddr)}}
		conn, err = d.Dial("tcp4", dst)
		return
	}))
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	return conn
}

// TestResponderBindError: a listener the kernel refuses fails Configure
// with the guest, the listener and what to change, and closes what was
// already bound.
func TestResponderBindError(t *testing.T) {
	for _, tc := range []struct {
		name string
		ls   []*schema.Listener
		want []string
	}{
		{"address not on the guest", []*schema.Listener{{Proto: "tcp", Address: "203.0.113.7", Port: 80}},
			[]string{"guest vm0: listener tcp:203.0.113.7:80", "assign requested address", "declare it on one, or listen on 0.0.0.0"}},
		{"address in use", []*schema.Listener{{Proto: "udp", Port: 53}, {Proto: "tcp", Port: 80}, {Proto: "tcp", Address: "10.0.0.4", Port: 80}},
			[]string{"guest vm0: listener tcp:10.0.0.4:80", "address already in use", "declare each listener once"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, v, p := newVM(t, &schema.Guest{VM: "vm0", Listeners: tc.ls})
			_, err := Configure(v, p)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Configure = %v; want %q", err, w)
				}
			}
			// What bound before the failing listener is closed again.
			ok := p.Listeners[:len(p.Listeners)-1]
			must(t, v.Do(func() error {
				r, err := Listen("vm0", ok)
				if err == nil {
					err = r.Close()
				}
				return err
			}))
		})
	}
}
