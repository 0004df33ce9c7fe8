package main

import (
	"fmt"

	"github.com/lbcheck/lbcheck/conformance/guest"
	"github.com/spf13/cobra"
)

// newResponderCmd is the hidden `lbcheck internal-responder`: the listener
// process the conformance runner starts inside each VM namespace.
func newResponderCmd() *cobra.Command {
	return &cobra.Command{
		Use:                guest.ResponderCommand + " --vm NAME --listen tcp|udp:ADDR:PORT...",
		Short:              "Serve a guest's listeners inside a VM namespace (used by lbcheck conform)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := guest.ResponderMain(args, cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return fmt.Errorf("internal-responder failed (exit status %d)", code)
			}
			return nil
		},
	}
}
