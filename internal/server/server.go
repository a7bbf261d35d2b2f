// Package server runs `outpost server`: the cloud side of Outpost. It either
// embeds a Kubernetes control plane or attaches to an existing cluster, then
// runs Outpost's cloud-side components against that API server.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/controlplane"
	"github.com/outpost-edge/outpost/internal/replica"
	"github.com/outpost-edge/outpost/internal/tunnel"
)

// Config of `outpost server`.
type Config struct {
	// Kubeconfig, when set, attaches to that cluster instead of embedding a
	// control plane.
	Kubeconfig string
	// ControlPlane configures the embedded control plane.
	ControlPlane controlplane.Config
	// Components configures Outpost's cloud-side components.
	Components ComponentsConfig
	// Egress configures the API server's egress proxy.
	Egress EgressConfig
	// Tunnel configures the cloud–edge tunnel server.
	Tunnel tunnel.Config
	// Out receives the short "how to use it" banner.
	Out io.Writer
}

// Run runs the server until ctx is cancelled or a component fails.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	var (
		restCfg *rest.Config
		cpErr   <-chan error
		err     error
	)
	if cfg.Components.ServerID, err = replica.LoadOrCreateID(cfg.ControlPlane.DataDir); err != nil {
		return err
	}
	cfg.Tunnel.ServerID = cfg.Components.ServerID
	cfg.Components.Tunnel = tunnel.New(cfg.Tunnel, log)
	if cfg.Kubeconfig != "" {
		if restCfg, err = attach(ctx, cfg.Kubeconfig, log); err != nil {
			return err
		}
		egressLn, egressTLS, err := prepareAttachEgress(&cfg, log)
		if err != nil {
			return err
		}
		if egressLn != nil {
			defer startEgress(ctx, egressLn, egressTLS, restCfg, cfg.Components, log)()
		}
		if cfg.Out != nil {
			fmt.Fprintf(cfg.Out, "\nOutpost is running, attached to the cluster at %s (kubeconfig %s).\n\n", restCfg.Host, cfg.Kubeconfig)
		}
	} else {
		start := time.Now()
		egressLn, err := prepareEgress(&cfg)
		if err != nil {
			return err
		}
		cp, err := controlplane.Start(ctx, cfg.ControlPlane, log)
		if err != nil {
			if egressLn != nil {
				egressLn.Close()
			}
			return err
		}
		defer func() {
			log.Info("stopping the control plane")
			cp.Stop()
			log.Info("stopped")
		}()
		restCfg, cpErr = cp.RestConfig(), cp.Err()
		if egressLn != nil {
			defer startEgress(ctx, egressLn, nil, restCfg, cfg.Components, log)()
		}
		kubeconfig := cp.Paths().AdminKubeconfig()
		log.Info("control plane ready", "url", cp.URL(), "took", time.Since(start).Round(time.Millisecond),
			"kubeconfig", kubeconfig, "componentLogs", cp.Paths().KubernetesLog())
		if cfg.Out != nil {
			fmt.Fprintf(cfg.Out, "\nOutpost is running. Use it with kubectl:\n\n"+
				"    export KUBECONFIG=%s\n    kubectl get nodes\n\n"+
				"Add simulated edge nodes:  outpost agent --simulate-kubelet --nodes 3 --kubeconfig %s\n"+
				"Stop the server with Ctrl-C; its state stays in %s.\n\n",
				kubeconfig, kubeconfig, cfg.ControlPlane.DataDir)
		}
	}

	compCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	compErr := make(chan error, 1)
	go func() { compErr <- runComponents(compCtx, restCfg, cfg.Components, log) }()

	select {
	case <-ctx.Done():
		cancel()
		<-compErr
		return nil
	case err := <-cpErr:
		cancel()
		<-compErr
		return err
	case err := <-compErr:
		if err == nil {
			err = errors.New("cloud components stopped")
		}
		return err
	}
}

// attach loads kubeconfig and waits until its API server answers, so that a
// cluster that is still starting does not fail the server.
func attach(ctx context.Context, kubeconfig string, log *slog.Logger) (*rest.Config, error) {
	restCfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(restCfg)
	if err != nil {
		return nil, err
	}
	for delay := 200 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		v, err := dc.ServerVersion()
		if err == nil {
			log.Info("attached to an existing cluster", "url", restCfg.Host, "version", v.GitVersion)
			return restCfg, nil
		}
		var netErr net.Error
		if !errors.As(err, &netErr) {
			log.Warn("cluster not reachable yet", "url", restCfg.Host, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("attach to %s: %w", restCfg.Host, err)
		case <-time.After(delay):
		}
	}
}
