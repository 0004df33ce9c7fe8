package suite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/conformance/target"
	"github.com/lbcheck/lbcheck/conformance/topo"
	"github.com/lbcheck/lbcheck/internal/safefile"
)

// Lab is the Provider that builds real topologies in network namespaces
// (conformance/topo) and starts the target in them (conformance/target).
type Lab struct {
	Target *target.Manifest
	// LogDir, when set, keeps each deployment's run directory (config.json,
	// the roles' logs) as LogDir/NN-<deployment>; otherwise it is a
	// temporary directory removed with the topology, and errors say how to
	// keep it.
	LogDir string

	setups atomic.Int32
}

// Setup builds the topology for d, opens the observation ports (client,
// mux, every VM NIC) and starts the target. On error nothing is left behind.
func (l *Lab) Setup(ctx context.Context, s Setup) (env *Env, err error) {
	name, d := s.Name, s.Deployment
	opts := topo.Options{Minute: s.Minute}
	if l.LogDir != "" {
		opts.Dir = filepath.Join(l.LogDir, fmt.Sprintf("%02d-%s", l.setups.Add(1), safefile.Name(name)))
	}
	tp, err := topo.Build(d, opts)
	if err != nil {
		return nil, err
	}
	kept := func(err error) error {
		if l.LogDir == "" {
			return fmt.Errorf("%w\n(the run directory above is removed with the topology: lbcheck conform --report DIR keeps it under DIR/logs)", err)
		}
		return err
	}
	var ports []*capture.Port
	var running *target.Running
	defer func() {
		if err != nil {
			for _, p := range ports {
				p.Close()
			}
			if running != nil {
				_ = running.Stop()
			}
			_ = tp.Close()
		}
	}()
	open := func(point string, ns *netlab.NS, iface string) (*capture.Port, error) {
		var p *capture.Port
		err := ns.Do(func() error {
			var err error
			p, err = capture.Open(point, iface)
			return err
		})
		if err == nil {
			ports = append(ports, p)
		}
		return p, err
	}
	if len(tp.Clients) == 0 {
		return nil, errors.New("topology has no client")
	}
	client := tp.Clients[0]
	env = &Env{
		Name: name, Deployment: d, Config: tp.Config,
		ClientIP: client.Addr, ClientNS: client.NS,
		VMPorts: map[string]*capture.Port{}, VMSpaces: map[string]Namespace{},
	}
	if env.Client, err = open("client", client.NS, client.Iface); err != nil {
		return nil, err
	}
	if env.Mux, err = open("mux", tp.Mux.NS, tp.Mux.Iface); err != nil {
		return nil, err
	}
	for _, h := range tp.Hosts {
		if env.VMPorts[h.VM.Name], err = open(h.VM.Name, h.VM.NS, h.VM.Iface); err != nil {
			return nil, err
		}
		env.VMSpaces[h.VM.Name] = h.VM.NS
	}
	if s.BeforeStart != nil {
		if err = s.BeforeStart(env); err != nil {
			return nil, fmt.Errorf("preparing the VMs before the target starts: %w", err)
		}
	}
	if running, err = target.StartAll(ctx, l.Target, tp); err != nil {
		return nil, &TargetError{Err: kept(err)}
	}
	env.Alive = func() error { return running.Alive() }
	env.Restart = func(ctx context.Context) error {
		_ = running.Stop() // a crashed role may be why we restart: its error is known
		r, err := target.StartAll(ctx, l.Target, tp)
		if err != nil {
			running = &target.Running{Target: l.Target} // stopped, its error known: Close has nothing to report
			return &TargetError{Err: kept(err)}
		}
		running = r
		return nil
	}
	env.Close = func() error {
		var errs []error
		for _, p := range ports {
			errs = append(errs, p.Close())
		}
		stopErr := running.Stop()
		errs = append(errs, tp.Close())
		if k := tp.Lab.Killed(); len(k) > 0 {
			stopErr = errors.Join(stopErr, strayError(k))
		}
		switch err := errors.Join(errs...); {
		case err == nil && stopErr != nil:
			return &TargetError{Err: stopErr} // the target's fault alone
		case stopErr != nil:
			return errors.Join(err, fmt.Errorf("stopping the target: %w", stopErr))
		default:
			return err
		}
	}
	return env, nil
}

// strayError is the target's fault for processes still running in the
// topology when it was removed: the target was stopped before (the guests'
// responders are lbcheck's own goroutines, not processes), so the target left
// them.
func strayError(k []netlab.Proc) error {
	procs := make([]string, len(k))
	for i, p := range k {
		procs[i] = p.String()
	}
	return fmt.Errorf("left processes running in the topology, killed with SIGKILL: %s (a target must stop every process it starts when its roles get SIGTERM)", strings.Join(procs, ", "))
}
