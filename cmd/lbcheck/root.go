package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lbcheck/lbcheck/internal/safetext"
)

// Exit codes shared by every command (DESIGN.md).
const (
	exitOK       = 0 // nothing to report at or above the threshold
	exitFindings = 1 // lint findings or failed conformance cases
	exitUsage    = 2 // usage error, unreadable input, or setup error
)

// errFindings tells Main to exit 1 without printing anything more: the
// command already printed its findings or results.
var errFindings = errors.New("findings reported")

// usageError wraps errors caused by how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error; Main prints it with a hint to --help.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// newRootCmd assembles the command tree. Output goes to stdout/stderr so that
// tests can capture it.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "lbcheck",
		Short: "Check load balancers with Floating IP / Direct Server Return (Azure semantics)",
		Long: `lbcheck checks Azure Load Balancer deployments that use Floating IP (Direct
Server Return): it lints rule sets and guest-OS declarations, proves behaviour
with real packets in Linux network namespaces, and ships a reference forwarder.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       version(),
	}
	root.SetVersionTemplate("lbcheck {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	root.AddCommand(
		newVersionCmd(),
		newLintCmd(),
		newRulesCmd(),
		newReportCmd(),
		newForwardCmd(),
		newConformCmd(),
		newGuestCmd(),
		newSchemaCmd(),
	)
	return root
}

// Main runs lbcheck with args and returns the process exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	var uerr usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "lbcheck: %s\nRun '%s --help' for usage.\n", safetext.Lines(err.Error()), cmd.CommandPath())
		return exitUsage
	default:
		// Errors quote file names and inputs: escaped, so they cannot drive
		// the terminal or a CI log.
		fmt.Fprintf(stderr, "lbcheck: %s\n", safetext.Lines(err.Error()))
		return exitUsage
	}
}
