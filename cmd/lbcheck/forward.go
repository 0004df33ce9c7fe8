package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/conformance/contract"
	"github.com/lbcheck/lbcheck/conformance/netlab"
	"github.com/lbcheck/lbcheck/refimpl/agent"
)

type forwardOptions struct {
	role, config, iface, vmIface string
	hostIndex                    int
	counters                     string
	countersEvery                time.Duration
}

func newForwardCmd() *cobra.Command {
	var o forwardOptions
	envIndex := os.Getenv(contract.EnvHostIndex)
	hostIndex, indexErr := 0, error(nil)
	if envIndex != "" {
		hostIndex, indexErr = strconv.Atoi(envIndex)
	}
	cmd := &cobra.Command{
		Use:   "forward --role mux|host",
		Short: "Run the reference forwarder's mux or host agent inside a network namespace",
		Long: `forward runs one role of the reference forwarder (Azure Load Balancer
semantics: Maglev hashing at the mux, UDP encapsulation to the host agent,
DNAT or port-only rewrite for Floating IP at the host, Direct Server Return
of replies, health probes from 168.63.129.16).

It follows the target contract of 'lbcheck conform': it runs in the network
namespace it is started in, reads the target config (LBCHECK_CONFIG or
--config), prints "ready" on stdout once its sockets are bound, and stops on
SIGTERM or SIGINT, printing its counters as JSON on stderr. Flags default to
the LBCHECK_* environment variables the conformance runner sets. Needs root
(AF_PACKET and raw sockets).`,
		Example: `  # the mux, inside the mux namespace
  nsenter --net=/run/lbcheck/netns/lbc1f3a-k2x9-mux lbcheck forward --role mux --config run/target.json --iface eth0

  # host agent 0, writing its counters every second
  nsenter --net=/run/lbcheck/netns/lbc1f3a-k2x9-h0 lbcheck forward --role host --config run/target.json \
      --iface eth0 --vm-iface vm0 --host-index 0 --counters run/h0.json

  # as the conformance runner starts it (everything from the environment)
  LBCHECK_ROLE=mux LBCHECK_CONFIG=run/target.json LBCHECK_IFACE=eth0 lbcheck forward`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if indexErr != nil && !cmd.Flags().Changed("host-index") {
				return usagef("%s=%q is not a number: set it to the host's index in the target config", contract.EnvHostIndex, envIndex)
			}
			return runForward(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.role, "role", os.Getenv(contract.EnvRole), "role to run: mux or host (env "+contract.EnvRole+")")
	f.StringVar(&o.config, "config", "", "target config JSON written by the conformance runner (default: env "+contract.EnvConfig+")")
	f.StringVar(&o.iface, "iface", os.Getenv(contract.EnvIface), "fabric-facing interface (env "+contract.EnvIface+"; default: from the config)")
	f.StringVar(&o.vmIface, "vm-iface", os.Getenv(contract.EnvVMIface), "host role: interface towards the VM (env "+contract.EnvVMIface+"; default: from the config)")
	f.IntVar(&o.hostIndex, "host-index", hostIndex, "host role: index into the config's hosts (env "+contract.EnvHostIndex+")")
	f.StringVar(&o.counters, "counters", "", "write the counters as JSON to this file every --counters-interval and at exit")
	f.DurationVar(&o.countersEvery, "counters-interval", time.Second, "how often --counters is rewritten")
	return cmd
}

func runForward(cmd *cobra.Command, o forwardOptions) error {
	if o.role != contract.RoleMux && o.role != contract.RoleHost {
		return usagef("--role must be %s or %s (or set %s), got %q", contract.RoleMux, contract.RoleHost, contract.EnvRole, o.role)
	}
	cfg, err := contract.Load(o.config)
	if err != nil {
		return usagef("%v", err)
	}
	missing, err := netlab.MissingOf("CAP_NET_RAW")
	if err != nil {
		return fmt.Errorf("checking capabilities: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("forward needs %s for its AF_PACKET and raw IPv4 sockets: run it as root inside the role's network namespace", strings.Join(missing, ", "))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return agent.Serve(ctx, agent.ServeOptions{
		Options: agent.Options{Config: cfg, Iface: o.iface, VMIface: o.vmIface, HostIndex: o.hostIndex},
		Role:    o.role, Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(),
		CountersFile: o.counters, CountersEvery: o.countersEvery,
	})
}
