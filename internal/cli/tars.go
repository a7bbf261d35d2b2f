package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/outpost-edge/outpost/tars/gen"
)

// newTarsCommand groups the developer tools of the TARS framework. Their
// logic lives in the framework module, so a service's go:generate can run
// the same code without this binary.
func newTarsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tars",
		Short: "Developer tools for TARS services: code generation from .tars files",
	}
	cmd.AddCommand(frameworkTool("gen", "Generate Go code from .tars IDL files",
		`Compile .tars files into Go: one package per IDL module, with structs,
enums, constants, a server interface, a typed client and the dispatch glue.
The same generator runs standalone as
  go run github.com/outpost-edge/outpost/tars/cmd/tars2outpost
so a service's go:generate needs nothing else. Run with -h for its flags.`,
		"  outpost tars gen -out ./gen -module-prefix example.com/echo/gen Echo.tars",
		gen.Main))
	return cmd
}

// frameworkTool wraps a tool whose entry point is Main(name, args, stdout,
// stderr) int: the tool parses its own flags, as it does standalone.
func frameworkTool(use, short, long, example string, main func(string, []string, io.Writer, io.Writer) int) *cobra.Command {
	return &cobra.Command{
		Use:                use + " [flags] args...",
		Short:              short,
		Long:               long,
		Example:            example,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := main(cmd.CommandPath(), args, cmd.OutOrStdout(), cmd.ErrOrStderr()); code != 0 {
				return exitCode(code)
			}
			return nil
		},
	}
}

// exitCode is an error that carries a tool's exit status; the tool has
// already explained itself on stderr.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
