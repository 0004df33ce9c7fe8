package suite

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/lbcheck/lbcheck/conformance/capture"
	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/schema"
)

// Namespace runs code inside a network namespace (netlab.NS satisfies it).
type Namespace interface {
	Do(f func() error) error
}

// Env is one running deployment: the topology, the started target and the
// observation ports. Cases that share a deployment share one Env.
type Env struct {
	// Name identifies the deployment (fixture name or user file).
	Name       string
	Deployment *schema.Deployment
	Config     *contract.Config

	ClientIP netip.Addr
	ClientNS Namespace
	Client   *capture.Port // client eth0
	Mux      *capture.Port // mux eth0
	VMPorts  map[string]*capture.Port
	VMSpaces map[string]Namespace

	// Alive returns nil while every target process runs.
	Alive func() error
	// Restart stops and starts the target again (fresh flow state).
	Restart func(ctx context.Context) error
	// Close stops the target and removes the topology.
	Close func() error
}

// Ports returns every observation port: client, mux, then VMs by name.
func (e *Env) Ports() []*capture.Port {
	ports := []*capture.Port{e.Client, e.Mux}
	for _, name := range e.vmNames() {
		ports = append(ports, e.VMPorts[name])
	}
	return ports
}

func (e *Env) vmNames() []string {
	names := make([]string, 0, len(e.VMPorts))
	for n := range e.VMPorts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// InVM runs f inside the named VM's namespace.
func (e *Env) InVM(vm string, f func() error) error {
	ns, ok := e.VMSpaces[vm]
	if !ok {
		return fmt.Errorf("no VM %q", vm)
	}
	return ns.Do(f)
}

// Provider sets up Envs. The runner asks for one per deployment.
type Provider interface {
	Setup(ctx context.Context, s Setup) (*Env, error)
}

// Setup is one deployment a Provider sets up.
type Setup struct {
	Name       string
	Deployment *schema.Deployment
	// Minute is how long one minute of its idle timeouts lasts for the
	// target (0: a real minute; Case.Minute).
	Minute time.Duration
	// BeforeStart, when set, runs once the topology is built and its
	// ports are open, before the target starts (Case.BeforeStart).
	BeforeStart func(b Before) error
}

// Before is what Case.BeforeStart may do: run code inside a VM's
// namespace.
type Before interface {
	InVM(vm string, f func() error) error
}
