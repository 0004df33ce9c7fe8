// Package probe runs Azure-style health probes from the host agent: TCP
// (connect succeeds) and HTTP/HTTPS (GET requestPath answers 200 within
// min(interval, 30 s)), every interval, against a DIP:port: an IPv4 DIP
// from 168.63.129.16 where that address is local, an IPv6 DIP from a
// link-local address of the VM's link (Azure: "IPv6 probes use a
// link-local address as their source"). A member changes state after
// probeThreshold consecutive results that disagree with its current state.
package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/lbcheck/lbcheck/refimpl/ruleset"
	"github.com/lbcheck/lbcheck/schema"
)

// maxHTTPWait is Azure's cap on how long an HTTP probe waits for its 200.
const maxHTTPWait = 30 * time.Second

// Tracker applies a probe threshold. A target starts up (so traffic flows
// before the first failures are counted) and flips after threshold
// consecutive results of the other kind.
type Tracker struct {
	up        bool
	streak    int
	threshold int
}

// NewTracker returns a Tracker that starts up.
func NewTracker(threshold int) Tracker { return Tracker{up: true, threshold: max(threshold, 1)} }

// Observe records one probe result and returns the state after it and
// whether it changed.
func (t *Tracker) Observe(ok bool) (up, changed bool) {
	if ok == t.up {
		t.streak = 0
		return t.up, false
	}
	t.streak++
	if t.streak >= t.threshold {
		t.up, t.streak = ok, 0
		return t.up, true
	}
	return t.up, false
}

// Result is the state of one probe target after a probe.
type Result struct {
	Probe   int    // index into the rule set's Probes
	Key     string // ruleset.Probe.Key
	Up      bool
	Changed bool
	Err     error // why this probe failed (nil when it succeeded)
}

// Prober probes targets from a source address per family.
type Prober struct {
	// Source is the local address probes of IPv4 DIPs come from; invalid
	// means the kernel's choice.
	Source netip.Addr
	// Source6 is the same for IPv6 DIPs: a link-local address with its
	// zone (LinkLocalSource), as Azure's.
	Source6 netip.Addr
}

// Check probes p once and returns nil when it is up.
func (pr Prober) Check(ctx context.Context, p ruleset.Probe) error {
	wait := p.Interval
	d := net.Dialer{Timeout: wait}
	if p.DIP.Is6() {
		pr.Source = pr.Source6 // a copy: this probe's source
	}
	if pr.Source.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: pr.Source.AsSlice(), Zone: pr.Source.Zone()}
	}
	addr := net.JoinHostPort(p.DIP.String(), strconv.Itoa(p.Port))
	switch p.Protocol {
	case "Tcp":
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	case "Http", "Https":
		wait = min(wait, maxHTTPWait)
		tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // Azure does not validate probe certificates
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: wait,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		path := p.Path
		if path == "" {
			path = "/"
		}
		scheme := "http"
		if p.Protocol == schema.ProbeHttps {
			scheme = "https"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+addr+path, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d, want 200", resp.StatusCode)
		}
		return nil
	}
	return fmt.Errorf("unsupported probe protocol %q (want Tcp, Http or Https)", p.Protocol)
}

// Run probes every target (indexes into probes) right away and then every
// target's interval, calling report after each probe (from several
// goroutines), until ctx is done. It returns once every probe goroutine
// has stopped.
func (pr Prober) Run(ctx context.Context, probes []ruleset.Probe, targets []int, report func(Result)) {
	var wg sync.WaitGroup
	for _, i := range targets {
		p := probes[i]
		wg.Go(func() {
			tr := NewTracker(p.Threshold)
			tick := time.NewTicker(p.Interval)
			defer tick.Stop()
			for {
				err := pr.Check(ctx, p)
				if ctx.Err() != nil {
					return
				}
				up, changed := tr.Observe(err == nil)
				report(Result{Probe: i, Key: p.Key, Up: up, Changed: changed, Err: err})
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	wg.Wait()
}

// LocalSource returns addr if it can be bound in the current network
// namespace, else the invalid Addr (probes then use the kernel's choice).
func LocalSource(addr netip.Addr) netip.Addr {
	c, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		return netip.Addr{}
	}
	c.Close()
	return addr
}

// LinkLocalSource returns an IPv6 link-local address of the named
// interface in the current network namespace, with the interface as its
// zone, if it has one that can be bound (the kernel gives every interface
// with IPv6 enabled one), else the invalid Addr.
func LinkLocalSource(iface string) netip.Addr {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return netip.Addr{}
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is6() && ip.IsLinkLocalUnicast() {
			if src := LocalSource(ip.WithZone(iface)); src.IsValid() {
				return src
			}
		}
	}
	return netip.Addr{}
}
