package cli

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/devserver"
)

// newRegistryCommand is `outpost registry`: the TARS name service with
// the in-memory backend, for development without Kubernetes. `outpost
// server` serves the same objects from the Kubernetes API.
func newRegistryCommand(g *globalFlags) *cobra.Command {
	var listen, file string
	var groups, priority []string
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run a development TARS registry that keeps registrations in memory",
		Long: `Serve the TARS name service without Kubernetes: tars.tarsregistry.QueryObj
(what TARS clients' locator setting points at), WatchObj (pushes endpoint
changes to Outpost clients) and RegisterObj (servers register themselves,
heartbeat and deregister). Registrations live in memory, or in --file so
that they survive a restart; they expire after their TTL.`,
		Example: `  outpost registry --listen 'tcp -h 127.0.0.1 -p 17890'
  OUTPOST_LOCATOR='tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890' outpost call -idl Hello.tars Hello.HelloServer.GreeterObj greet '{"name":"x"}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			d, err := devserver.Start(devserver.Config{Endpoint: listen, File: file, Logger: log,
				Rules: registry.Rules{GroupPriority: priority}})
			if err != nil {
				return err
			}
			for _, gr := range groups {
				prefix, name, ok := strings.Cut(gr, "=")
				p, err := netip.ParsePrefix(prefix)
				if !ok || err != nil || name == "" {
					d.Close()
					return fmt.Errorf("--group %q: want CIDR=group", gr)
				}
				d.Store.SetGroup(p, name)
			}
			log.Info("registry serving", "locator", d.Locator())
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			d.Srv.Shutdown(sctx)
			d.Close()
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", fmt.Sprintf("tcp -h 127.0.0.1 -p %d", registry.DefaultPort), "TARS endpoint to serve on")
	cmd.Flags().StringVar(&file, "file", "", "keep registrations in this JSON file")
	cmd.Flags().StringSliceVar(&groups, "group", nil, "IDC group of callers: CIDR=group (repeatable)")
	cmd.Flags().StringSliceVar(&priority, "group-priority", nil, "groups to prefer, in order, when the caller's own group has no active instance")
	return cmd
}
