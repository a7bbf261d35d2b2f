package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/outpost-edge/outpost/internal/registry"
	"github.com/outpost-edge/outpost/internal/replica"
	"github.com/outpost-edge/outpost/internal/tunnel"
)

// ComponentsConfig configures the cloud-side components.
type ComponentsConfig struct {
	// MetricsAddress serves Prometheus /metrics ("0" disables it).
	MetricsAddress string
	// HealthAddress serves /healthz and /readyz ("0" disables it).
	HealthAddress string
	// LeaderElectionNamespace holds the lease that makes one server replica
	// the active one for leader-only components.
	LeaderElectionNamespace string
	// ServerID names this replica among the servers of one cluster.
	ServerID string
	// Tunnel is the cloud–edge tunnel server (created by Run before the
	// control plane, so the API server's egress can dial through it).
	Tunnel *tunnel.Server
	// RegistryAddress serves the TARS name service, host:port ("0"
	// disables it).
	RegistryAddress string
	// RegistryNamespace holds the Leases of processes registered with the
	// name service.
	RegistryNamespace string
	// RegistryCollectInterval is how often the leader deletes the Leases of
	// registrations that expired.
	RegistryCollectInterval time.Duration
}

// registryQPS is the name service's client-side budget of API requests:
// room for a heartbeat a second from each of 200 registered processes.
const registryQPS = 200

// leaderElectionID names the Lease that the server replicas compete for.
const leaderElectionID = "outpost-server"

// runComponents runs Outpost's cloud-side controllers in one
// controller-runtime manager. The same manager runs whether the control
// plane is embedded or attached, which is what keeps both modes equal.
// Later components register themselves here.
func runComponents(ctx context.Context, restCfg *rest.Config, cfg ComponentsConfig, log *slog.Logger) error {
	ctrl.SetLogger(logr.FromSlogHandler(log.Handler()))
	if cfg.LeaderElectionNamespace == "" {
		cfg.LeaderElectionNamespace = "kube-system"
	}
	restCfg = rest.CopyConfig(restCfg)
	restCfg.UserAgent = "outpost-server"
	mgr, err := ctrl.NewManager(restCfg, manager.Options{
		Metrics:                       metricsserver.Options{BindAddress: cfg.MetricsAddress},
		HealthProbeBindAddress:        cfg.HealthAddress,
		LeaderElection:                true,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       cfg.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       ptr(5 * time.Second),
	})
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	heartbeat := &replica.Heartbeat{Client: client, ID: cfg.ServerID, Log: log}
	if err := mgr.Add(everyReplica(heartbeat.Run)); err != nil {
		return err
	}
	if err := addRegistry(mgr, restCfg, cfg, log); err != nil {
		return err
	}
	if err := addTunnel(mgr, client, cfg); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// addRegistry runs the TARS name service on every replica: each serves
// from its own informers. Collecting expired registrations needs only one,
// the leader.
func addRegistry(mgr manager.Manager, restCfg *rest.Config, cfg ComponentsConfig, log *slog.Logger) error {
	if cfg.RegistryAddress == "" || cfg.RegistryAddress == "0" {
		return nil
	}
	// Its own client: every registration heartbeat is a write, and
	// client-go's default budget (5 QPS) would queue them 200 ms apart.
	// The API server's priority and fairness still protects it.
	restCfg = rest.CopyConfig(restCfg)
	restCfg.QPS, restCfg.Burst = registryQPS, 2*registryQPS
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	reg := registry.New(client, registry.Options{
		Namespace: cfg.RegistryNamespace, CollectInterval: cfg.RegistryCollectInterval, Log: log})
	for _, r := range []manager.Runnable{
		everyReplica(reg.Run),
		everyReplica(func(ctx context.Context) error { return reg.Serve(ctx, cfg.RegistryAddress) }),
		manager.RunnableFunc(reg.Collect),
	} {
		if err := mgr.Add(r); err != nil {
			return err
		}
	}
	return mgr.AddReadyzCheck("tars-registry", func(*http.Request) error { return reg.Ready() })
}

func ptr[T any](v T) *T { return &v }

// everyReplica is a component that runs on every replica, not only on the
// elected leader.
type everyReplica func(context.Context) error

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }
func (everyReplica) NeedLeaderElection() bool          { return false }
