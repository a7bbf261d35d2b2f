package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/controlplane"
	"github.com/outpost-edge/outpost/internal/egress"
	"github.com/outpost-edge/outpost/internal/tunnel"
)

// EgressConfig configures the API server's egress proxy (package egress).
type EgressConfig struct {
	// Disabled leaves the embedded API server to dial nodes itself.
	Disabled bool
}

// prepareEgress, before the embedded control plane starts, opens the
// egress proxy's unix socket and writes the EgressSelectorConfiguration
// the API server is started with. The socket exists before the API server
// so that its first dial finds it; requests wait there until the proxy
// runs (runEgress).
func prepareEgress(cfg *Config) (net.Listener, error) {
	if cfg.Egress.Disabled || cfg.Kubeconfig != "" {
		return nil, nil
	}
	p := controlplane.PathsFor(cfg.ControlPlane.DataDir)
	ln, err := egress.ListenUnix(p.EgressSocket())
	if err != nil {
		return nil, err
	}
	yaml, err := egress.SelectorConfiguration(egress.UDS(p.EgressSocket()))
	if err == nil {
		err = os.WriteFile(p.EgressSelectorConfig(), yaml, 0o600)
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("egress selector configuration: %w", err)
	}
	cfg.ControlPlane.EgressSelectorConfigFile = p.EgressSelectorConfig()
	return ln, nil
}

// runEgress serves the egress proxy on ln until ctx ends. Nodes are
// reached through router (its Tunnel, when the server runs one).
func runEgress(ctx context.Context, ln net.Listener, restCfg *rest.Config, router *egress.Router, log *slog.Logger) error {
	restCfg = rest.CopyConfig(restCfg)
	restCfg.UserAgent = "outpost-server/egress"
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	nodes, err := egress.NewNodes(client)
	if err != nil {
		return err
	}
	go nodes.Run(ctx)
	log = log.With("component", "egress")
	log.Info("API server egress proxy serving", "addr", ln.Addr().String(), "tunnel", router.Tunnel != nil)
	return (&egress.Server{Nodes: nodes, Router: router, Log: log}).Serve(ctx, ln, nil)
}

// egressRouter routes the API server's node traffic: through the tunnel
// when this server runs one (direct for nodes without an agent, see
// egress.Router), else directly.
func egressRouter(c ComponentsConfig) *egress.Router {
	r := &egress.Router{Direct: egress.Direct{}}
	if c.Tunnel != nil && c.Tunnel.Enabled() {
		r.Tunnel = c.Tunnel
		r.NotConnected = func(err error) bool { return errors.Is(err, tunnel.ErrNodeNotConnected) }
	}
	return r
}
