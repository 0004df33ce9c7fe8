package guest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
)

// The responder protocol. The responder serves every declared listener of a
// guest and tells the client which VM and which local address:port received
// the traffic:
//
//   - TCP: for each line the client sends (up to '\n', at most MaxLine
//     bytes; a final unterminated line counts at EOF) it writes the line back,
//     then an ident line. A connection idle for IdleTimeout is closed.
//     A request starting "GET " or "HEAD " with "HTTP/1." (a health probe) gets
//     "HTTP/1.1 200 OK" with the ident line as body, and the connection closes.
//   - UDP: each datagram is answered with one datagram: the payload (plus
//     '\n' if it had none), then the ident line. The reply's source is the
//     datagram's destination address, as a real server bound to 0.0.0.0 does.
//
// The ident line is "vm=<name> proto=<tcp|udp> local=<ip:port> remote=<ip:port>\n".
// ParseReply and ParseIdent read it back.
const (
	MaxLine     = 4096
	IdleTimeout = 30 * time.Second
)

// Ident says who answered: the VM, and the addresses the VM saw.
type Ident struct {
	VM     string
	Proto  string
	Local  netip.AddrPort // destination as received by the VM (DIP or frontend IP)
	Remote netip.AddrPort // source as received by the VM (the client, if preserved)
}

// String renders the ident line without the newline.
func (id Ident) String() string {
	return fmt.Sprintf("vm=%s proto=%s local=%s remote=%s", id.VM, id.Proto, id.Local, id.Remote)
}

// ParseIdent parses one ident line (with or without the newline).
func ParseIdent(line string) (Ident, error) {
	var id Ident
	fields := strings.Fields(line)
	if len(fields) != 4 {
		return id, fmt.Errorf("responder ident %q: want 4 fields vm= proto= local= remote=", line)
	}
	var err error
	for i, key := range []string{"vm", "proto", "local", "remote"} {
		v, ok := strings.CutPrefix(fields[i], key+"=")
		if !ok {
			return id, fmt.Errorf("responder ident %q: field %d is not %s=", line, i+1, key)
		}
		switch key {
		case "vm":
			id.VM = v
		case "proto":
			id.Proto = v
		case "local":
			id.Local, err = netip.ParseAddrPort(v)
		case "remote":
			id.Remote, err = netip.ParseAddrPort(v)
		}
		if err != nil {
			return id, fmt.Errorf("responder ident %q: %s: %v", line, key, err)
		}
	}
	return id, nil
}

// ParseReply splits a responder answer (a UDP datagram, or what a TCP
// client read after sending one line) into the echoed request and the ident.
func ParseReply(b []byte) (echo string, id Ident, err error) {
	s := strings.TrimSuffix(string(b), "\n")
	i := strings.LastIndexByte(s, '\n')
	if i < 0 {
		return "", id, fmt.Errorf("responder reply %q: want the echoed request and an ident line", b)
	}
	id, err = ParseIdent(s[i+1:])
	return s[:i], id, err
}

// Responder serves the listeners of one guest under the protocol above. Its
// sockets belong to the network namespace they were bound in, whichever
// thread serves them.
type Responder struct {
	vm  string
	tcp []*net.TCPListener
	udp []udpSocket

	mu      sync.Mutex
	serving bool
	closed  bool
	wg      sync.WaitGroup
}

// udpSocket is a bound UDP listener and its port (the ident's local port:
// the control message carries only the destination address).
type udpSocket struct {
	pc   *ipv4.PacketConn
	port uint16
}

// Listen binds every listener of VM vm in the network namespace of the
// calling thread: run it inside netlab.NS.Do to bind in a VM namespace.
// UDP sockets report each datagram's destination address, the source of
// its reply. Nothing is answered before Serve. On error, what was bound is
// closed and the error names the listener and what to change.
func Listen(vm string, ls []Listener) (*Responder, error) {
	r := &Responder{vm: vm}
	for _, l := range ls {
		if err := r.bind(l); err != nil {
			r.Close()
			return nil, fmt.Errorf("listener %s: %w%s", l, err, bindHint(err))
		}
	}
	return r, nil
}

func (r *Responder) bind(l Listener) error {
	switch l.Proto {
	case "tcp":
		ln, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(l.Addr))
		if err != nil {
			return err
		}
		r.tcp = append(r.tcp, ln)
	case "udp":
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(l.Addr))
		if err != nil {
			return err
		}
		pc := ipv4.NewPacketConn(c)
		if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
			c.Close()
			return err
		}
		r.udp = append(r.udp, udpSocket{pc, l.Addr.Port()})
	default:
		return fmt.Errorf("proto %q: want tcp or udp", l.Proto)
	}
	return nil
}

// bindHint says what to change in the guest declaration when the kernel
// refuses a listener's address.
func bindHint(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return " (no interface of the guest has this address: declare it on one, or listen on 0.0.0.0)"
	case errors.Is(err, syscall.EADDRINUSE):
		return " (another listener of the guest already has this port: declare each listener once)"
	}
	return ""
}

// Serve starts answering on every listener, in goroutines of the calling
// process, and returns at once. Calling it again, or after Close, does
// nothing.
func (r *Responder) Serve() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.serving || r.closed {
		return
	}
	r.serving = true
	for _, ln := range r.tcp {
		r.wg.Go(func() { serveTCP(r.vm, ln) })
	}
	for _, u := range r.udp {
		r.wg.Go(func() { serveUDP(r.vm, u.port, u.pc) })
	}
}

// Close stops accepting, closes every socket and open connection, and
// waits until the serving goroutines have returned, so the ports are free
// when it returns. It is idempotent.
func (r *Responder) Close() error {
	r.mu.Lock()
	first := !r.closed
	r.closed = true
	r.mu.Unlock()
	var errs []error
	if first {
		for _, ln := range r.tcp {
			errs = append(errs, ln.Close())
		}
		for _, u := range r.udp {
			errs = append(errs, u.pc.Close())
		}
	}
	r.wg.Wait()
	return errors.Join(errs...)
}

// serveTCP accepts until the listener is closed, then closes the open
// connections so that shutdown does not wait for idle clients.
func serveTCP(vm string, ln *net.TCPListener) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := map[*net.TCPConn]bool{}
	defer func() {
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		mu.Lock()
		open[c] = true
		mu.Unlock()
		wg.Go(func() {
			handleTCP(vm, c)
			mu.Lock()
			delete(open, c)
			mu.Unlock()
		})
	}
}

func handleTCP(vm string, c *net.TCPConn) {
	defer c.Close()
	id := Ident{VM: vm, Proto: "tcp", Local: c.LocalAddr().(*net.TCPAddr).AddrPort(), Remote: c.RemoteAddr().(*net.TCPAddr).AddrPort()}
	id.Local = netip.AddrPortFrom(id.Local.Addr().Unmap(), id.Local.Port())
	id.Remote = netip.AddrPortFrom(id.Remote.Addr().Unmap(), id.Remote.Port())
	r := bufio.NewReaderSize(io.LimitReader(c, 1<<20), MaxLine)
	first := true
	for {
		_ = c.SetReadDeadline(time.Now().Add(IdleTimeout))
		line, err := r.ReadSlice('\n')
		if len(line) == 0 && err != nil {
			return
		}
		text := strings.TrimRight(string(line), "\r\n")
		if first && isHTTP(text) {
			answerHTTP(c, r, id)
			return
		}
		first = false
		_ = c.SetWriteDeadline(time.Now().Add(IdleTimeout))
		if _, werr := fmt.Fprintf(c, "%s\n%s\n", text, id); werr != nil || err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func isHTTP(line string) bool {
	return (strings.HasPrefix(line, "GET ") || strings.HasPrefix(line, "HEAD ")) && strings.Contains(line, " HTTP/1.")
}

// answerHTTP reads the request headers and answers 200 with the ident.
func answerHTTP(c *net.TCPConn, r *bufio.Reader, id Ident) {
	for range 100 {
		h, err := r.ReadSlice('\n')
		if err != nil || strings.TrimSpace(string(h)) == "" {
			break
		}
	}
	body := id.String() + "\n"
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}

func serveUDP(vm string, port uint16, pc *ipv4.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, cm, src, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		ua, ok := src.(*net.UDPAddr)
		if !ok || cm == nil {
			continue
		}
		dst, _ := netip.AddrFromSlice(cm.Dst.To4())
		id := Ident{VM: vm, Proto: "udp", Local: netip.AddrPortFrom(dst, port), Remote: ua.AddrPort()}
		id.Remote = netip.AddrPortFrom(id.Remote.Addr().Unmap(), id.Remote.Port())
		payload := strings.TrimSuffix(string(buf[:n]), "\n")
		msg := payload + "\n" + id.String() + "\n"
		_, _ = pc.WriteTo([]byte(msg), &ipv4.ControlMessage{Src: cm.Dst}, src)
	}
}
