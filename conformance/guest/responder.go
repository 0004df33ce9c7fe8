package guest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/signal"
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

// ResponderMain is the hidden command `lbcheck internal-responder --vm NAME
// --listen tcp:ADDR:PORT ...`: it binds every listener, prints "ready" on
// stdout and serves until SIGTERM or SIGINT. It returns the exit status.
func ResponderMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("internal-responder", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vm := fs.String("vm", "", "VM name reported in ident lines")
	var ls []Listener
	fs.Func("listen", "proto:addr:port to serve (repeatable)", func(s string) error {
		proto, ap, ok := strings.Cut(s, ":")
		a, err := netip.ParseAddrPort(ap)
		if !ok || err != nil || (proto != "tcp" && proto != "udp") {
			return fmt.Errorf("want tcp:ADDR:PORT or udp:ADDR:PORT, got %q", s)
		}
		ls = append(ls, Listener{Proto: proto, Addr: a})
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := Serve(ctx, *vm, ls, func() { fmt.Fprintln(stdout, "ready") })
	if err != nil {
		fmt.Fprintf(stderr, "responder %s: %v\n", *vm, err)
		return 1
	}
	return 0
}

// Serve binds the listeners (in the caller's namespace), calls ready, and
// answers until ctx ends.
func Serve(ctx context.Context, vm string, ls []Listener, ready func()) error {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	for _, l := range ls {
		switch l.Proto {
		case "tcp":
			ln, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(l.Addr))
			if err != nil {
				return fmt.Errorf("listener %s: %w", l, err)
			}
			closers = append(closers, ln)
			wg.Go(func() { serveTCP(vm, ln) })
		case "udp":
			c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(l.Addr))
			if err != nil {
				return fmt.Errorf("listener %s: %w", l, err)
			}
			closers = append(closers, c)
			pc := ipv4.NewPacketConn(c)
			if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
				return fmt.Errorf("listener %s: %w", l, err)
			}
			wg.Go(func() { serveUDP(vm, uint16(l.Addr.Port()), pc) })
		}
	}
	ready()
	<-ctx.Done()
	for _, c := range closers {
		c.Close()
	}
	closers = nil
	wg.Wait()
	return nil
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
