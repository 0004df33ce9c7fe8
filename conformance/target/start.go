package target

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/proc"
	"github.com/lbcheck/lbcheck/conformance/topo"
)

// Env returns the contract environment of a role in topology t; host is
// the host index (ignored for the mux).
func Env(t *topo.Topology, role string, host int) []string {
	env := []string{
		contract.EnvRole + "=" + role,
		contract.EnvConfig + "=" + t.ConfigPath,
	}
	if role == contract.RoleMux {
		return append(env, contract.EnvIface+"="+t.Mux.Iface)
	}
	h := t.Hosts[host]
	return append(env,
		contract.EnvIface+"="+h.Iface,
		contract.EnvVMIface+"="+h.VMIface,
		contract.EnvHostIndex+"="+strconv.Itoa(host),
	)
}

// Start starts one role of the target in its namespace of t (the mux
// namespace, or host number host) and waits for its ready line. Logs go to
// the run directory as <name>.stdout.log / .stderr.log, name being "mux" or
// "host-N", each capped at proc.DefaultLogLimit.
func (m *Manifest) Start(ctx context.Context, t *topo.Topology, role string, host int) (*proc.Process, error) {
	argv, err := m.Command(role)
	if err != nil {
		return nil, err
	}
	name, ns := "mux", t.Mux.NS
	if role == contract.RoleHost {
		if host < 0 || host >= len(t.Hosts) {
			return nil, fmt.Errorf("host index %d: topology has %d hosts", host, len(t.Hosts))
		}
		name, ns = "host-"+strconv.Itoa(host), t.Hosts[host].NS
	}
	p, err := proc.Start(ctx, proc.Spec{
		Name: name, Argv: argv, NS: ns, LogDir: t.Dir(),
		Env:          append(append([]string(nil), m.Env...), Env(t, role, host)...),
		ReadyTimeout: m.Timeouts.Ready, Grace: m.Timeouts.Stop,
	})
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", m.Name, err)
	}
	return p, nil
}

// Running is a target started in a topology: one mux and one host role per
// host.
type Running struct {
	Target *Manifest
	Mux    *proc.Process
	Hosts  []*proc.Process
}

// StartAll starts the mux and every host role in parallel and waits until
// all are ready. If any fails, the others are stopped and the error names
// the failing roles with their stderr.
func StartAll(ctx context.Context, m *Manifest, t *topo.Topology) (*Running, error) {
	r := &Running{Target: m, Hosts: make([]*proc.Process, len(t.Hosts))}
	errs := make([]error, len(t.Hosts)+1)
	var wg sync.WaitGroup
	wg.Go(func() { r.Mux, errs[0] = m.Start(ctx, t, contract.RoleMux, 0) })
	for i := range t.Hosts {
		wg.Go(func() { r.Hosts[i], errs[i+1] = m.Start(ctx, t, contract.RoleHost, i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		_ = r.Stop()
		return nil, err
	}
	return r, nil
}

func (r *Running) procs() []*proc.Process {
	var ps []*proc.Process
	if r.Mux != nil {
		ps = append(ps, r.Mux)
	}
	for _, h := range r.Hosts {
		if h != nil {
			ps = append(ps, h)
		}
	}
	return ps
}

// Alive returns nil while every role runs, else the unexpected exits (check
// it between cases: a crashed target fails the case with this reason).
func (r *Running) Alive() error {
	var errs []error
	for _, p := range r.procs() {
		errs = append(errs, p.Alive())
	}
	return errors.Join(errs...)
}

// Stop stops every role in parallel (SIGTERM, Timeouts.Stop, SIGKILL) and
// reaps them. The error reports roles that had crashed or ignored SIGTERM.
func (r *Running) Stop() error {
	ps := r.procs()
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { errs[i] = p.Stop() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
