package server

import (
	"context"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// addTunnel runs the cloud–edge tunnel on every replica: agents connect to
// any of them and each serves requests for every node, forwarding to the
// replica that holds the node's connection.
func addTunnel(mgr manager.Manager, client kubernetes.Interface, cfg ComponentsConfig) error {
	if cfg.Tunnel == nil || !cfg.Tunnel.Enabled() {
		return nil
	}
	return mgr.Add(everyReplica(func(ctx context.Context) error { return cfg.Tunnel.Run(ctx, client) }))
}
