// Package cli is the `outpost` command line: it maps flags onto each
// component's Config and calls its Run. No logic of its own lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/outpost-edge/outpost/internal/version"
)

// Main runs the command line and returns the process exit code.
func Main(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	ctx, stop := signalContext()
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		var code exitCode
		if errors.As(err, &code) {
			return int(code)
		}
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	return 0
}

type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "outpost",
		Short: "Outpost runs microservices on fleets of edge sites from one cloud",
		Long: `Outpost is an edge computing platform built on Kubernetes.

The cloud side ("outpost server") is a Kubernetes control plane, embedded or
an existing cluster you attach to, plus Outpost's edge components. Each edge
node runs "outpost agent", which keeps the node working while the link to the
cloud is down. Services speak the TARS RPC protocol through Outpost's Go
framework.

Start here:
  outpost server                      run the cloud side on this machine
  outpost agent --simulate-kubelet    add simulated edge nodes to try it out
  outpost call / outpost bench        call and load-test TARS services
  outpost tars gen                    generate Go code from .tars files
  outpost version                     show what this binary is`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(newServerCommand(g), newAgentCommand(g), newCallCommand(), newBenchCommand(), newTarsCommand(), newRegistryCommand(g), newTokenCommand(), newSSHCommand(), newVersionCommand())
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of Outpost and of the Kubernetes it embeds",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.String())
		},
	}
}

// logger builds the process logger from the global flags.
func (g *globalFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format: want text or json, got %q", g.logFormat)
	}
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one
// exits at once, for when a clean shutdown hangs.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		fmt.Fprintln(os.Stderr, "second signal: exiting now")
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
