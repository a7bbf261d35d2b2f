package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/outpost-edge/outpost/tars/gen"
	"github.com/outpost-edge/outpost/tars/tool/bench"
	"github.com/outpost-edge/outpost/tars/tool/call"
)

// newCallCommand is `outpost call`, like grpcurl for TARS servants.
func newCallCommand() *cobra.Command {
	return frameworkTool("call", "Call a function of a TARS servant with JSON arguments",
		`Invoke any function of any TARS servant from the command line. Arguments
are JSON, typed by the servant's .tars file; the result (the return value as
"tars_ret" and every out-parameter) prints as JSON. A failed call exits
non-zero and prints iRet and sResultDesc. Without a function name, the
servant's functions are listed. Run with -h for its flags.`,
		`  outpost call -idl Interop.tars -endpoint 'tcp -h 127.0.0.1 -p 10000' \
      Outpost.Interop.EchoObj echoPoint '{"v":{"x":1,"y":2}}'`,
		call.Main)
}

// newBenchCommand is `outpost bench`, a load generator in the manner of
// TarsBenchmark.
func newBenchCommand() *cobra.Command {
	return frameworkTool("bench", "Load-test a TARS servant and report QPS and latency percentiles",
		`Call one function of a TARS servant from many workers for a duration or a
number of calls, optionally at a fixed rate, with a live progress line and a
final report of QPS, result codes and latency (min, avg, p50, p90, p99,
p99.9, max); --json for machines. Run with -h for its flags.`,
		`  outpost bench -idl Interop.tars -endpoint 'tcp -h 127.0.0.1 -p 10000' \
      -c 100 -d 10s -payload 1024 Outpost.Interop.EchoObj echoBytes`,
		bench.Main)
}

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
