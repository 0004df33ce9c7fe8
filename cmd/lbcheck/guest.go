package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/internal/safefile"
	"github.com/lbcheck/lbcheck/schema/importer/snapshot"
)

// newGuestCmd groups the commands that describe guest operating systems.
func newGuestCmd() *cobra.Command {
	guest := &cobra.Command{
		Use:   "guest",
		Short: "Describe guest operating systems for lint",
	}
	guest.AddCommand(newGuestSnapshotCmd())
	return guest
}

func newGuestSnapshotCmd() *cobra.Command {
	var vm, output string
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Print this Linux host's network configuration as a guest declaration",
		Long: `Read the Linux host this command runs on (its network namespace): the
addresses of every interface, the rp_filter / arp_ignore / arp_announce,
ip_forward and tcp_timestamps sysctls, and the listening TCP and UDP sockets.
Print them as a guest declaration in YAML that 'lbcheck lint' reads next to
the load balancer files. Run it on each backend VM.`,
		Example: `  lbcheck guest snapshot --vm sql-vm0 -o sql-vm0.guest.yaml
  lbcheck lint lb.json sql-vm0.guest.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runtime.GOOS != "linux" {
				return fmt.Errorf("guest snapshot reads Linux hosts only; on Windows use Get-NetIPInterface | ConvertTo-Json and Get-NetIPAddress | ConvertTo-Json")
			}
			if vm == "" {
				host, err := os.Hostname()
				if err != nil {
					return usagef("cannot read the host name (%v): pass --vm NAME", err)
				}
				vm = host
			}
			g, err := snapshot.Read(vm)
			if err != nil {
				return err
			}
			render := func(w io.Writer) error { return snapshot.WriteYAML(w, g, time.Now()) }
			if output != "" && output != "-" {
				return safefile.Write(output, render)
			}
			if err := render(cmd.OutOrStdout()); err != nil {
				return fmt.Errorf("writing the snapshot: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&vm, "vm", "", "name of the Azure VM this host is (default: the host name)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the YAML to `FILE` instead of standard output")
	return cmd
}
