package cli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/outpost-edge/outpost/internal/server"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
)

func newServerCommand(g *globalFlags) *cobra.Command {
	var (
		cfg                 server.Config
		bindAddr, advertise string
		egressOn            bool
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the cloud side: a Kubernetes control plane and Outpost's cloud components",
		Long: `Run the cloud side of Outpost.

By default this embeds a complete Kubernetes control plane (kube-apiserver,
kube-controller-manager and kube-scheduler) that keeps its state in SQLite
under --data-dir. On first start it creates a certificate authority and
writes <data-dir>/admin.kubeconfig for kubectl. For high availability, run
several servers on an external etcd cluster with --datastore-endpoint.

With --kubeconfig it starts no control plane and runs Outpost's components
against that existing cluster instead.`,
		Example: `  outpost server
  outpost server --data-dir /var/lib/outpost/server --https-listen-port 6443
  outpost server --datastore-endpoint https://10.0.0.1:2379,https://10.0.0.2:2379 \
      --datastore-cafile ca.crt --datastore-certfile client.crt --datastore-keyfile client.key
  outpost server --kubeconfig ~/.kube/config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			cp := &cfg.ControlPlane
			if cp.BindAddress, err = parseIP("--bind-address", bindAddr); err != nil {
				return err
			}
			if advertise != "" {
				if cp.AdvertiseAddress, err = parseIP("--advertise-address", advertise); err != nil {
					return err
				}
			}
			if cp.DataDir, err = filepath.Abs(cp.DataDir); err != nil {
				return err
			}
			cfg.Egress.Disabled = !egressOn
			cfg.Out = cmd.OutOrStdout()
			return server.Run(cmd.Context(), cfg, log)
		},
	}
	f := cmd.Flags()
	cp := &cfg.ControlPlane
	f.StringVar(&cp.DataDir, "data-dir", defaultDataDir("server"), "directory for the datastore, certificates, kubeconfigs and logs")
	f.StringVar(&bindAddr, "bind-address", "0.0.0.0", "address the API server listens on")
	f.IntVar(&cp.Port, "https-listen-port", 6443, "HTTPS port of the API server (0 picks a free port)")
	f.StringVar(&advertise, "advertise-address", "", "address that cluster members use to reach this server (default: the bind address, or the host's primary address)")
	f.StringVar(&cp.DatastoreEndpoint, "datastore-endpoint", "", "external datastore: etcd URLs (https://host:2379,...) or a kine DSN; default SQLite in --data-dir")
	f.StringVar(&cp.DatastoreCAFile, "datastore-cafile", "", "CA bundle that signed the datastore's certificate")
	f.StringVar(&cp.DatastoreCertFile, "datastore-certfile", "", "client certificate for the datastore")
	f.StringVar(&cp.DatastoreKeyFile, "datastore-keyfile", "", "client key for the datastore")
	f.StringVar(&cp.ServiceCIDR, "service-cidr", "10.43.0.0/16", "range of Service cluster IPs")
	f.StringSliceVar(&cp.ExtraSANs, "tls-san", nil, "extra host names or IPs for the API server certificate")
	f.StringArrayVar(&cp.APIServerArgs, "kube-apiserver-arg", nil, "extra kube-apiserver flag, e.g. --kube-apiserver-arg=--v=2 (repeatable)")
	f.StringArrayVar(&cp.ControllerManagerArgs, "kube-controller-manager-arg", nil, "extra kube-controller-manager flag (repeatable)")
	f.StringArrayVar(&cp.SchedulerArgs, "kube-scheduler-arg", nil, "extra kube-scheduler flag (repeatable)")
	f.BoolVar(&egressOn, "apiserver-egress", true, "send the embedded API server's traffic to nodes (kubelet logs, exec, port-forward) through Outpost's egress proxy, which uses the edge tunnel for edge nodes")
	f.StringVar(&cfg.Egress.Listen, "egress-listen", "", "with --kubeconfig: serve the API server egress proxy (HTTP CONNECT over mutual TLS) on this address; <data-dir>/egress then holds the cluster's egress-selector.yaml and certificates")
	f.StringVar(&cfg.Egress.URL, "egress-url", "", "URL the cluster's API servers use to reach --egress-listen (default https://<this host>:<port>)")
	f.StringSliceVar(&cfg.Egress.SANs, "egress-san", nil, "extra names or IPs of the egress proxy's serving certificate")
	f.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "attach to the cluster in this kubeconfig instead of embedding a control plane")
	addTunnelServerFlags(f, &cfg.Tunnel)
	f.StringVar(&cfg.Components.MetricsAddress, "metrics-bind-address", "127.0.0.1:9560", "address of Prometheus /metrics for Outpost's components (0 disables)")
	f.StringVar(&cfg.Components.RegistryAddress, "registry-bind-address", fmt.Sprintf(":%d", tarsregistry.DefaultPort),
		"address of the TARS name service (locator tars.tarsregistry.QueryObj@tcp -h <server> -p <port>; 0 disables it)")
	f.StringVar(&cfg.Components.RegistryNamespace, "registry-namespace", "kube-system", "namespace of the Leases that record processes registered with the TARS name service")
	f.DurationVar(&cfg.Components.RegistryCollectInterval, "registry-collect-interval", 15*time.Second, "how often expired registrations' Leases are deleted (they leave answers at expiry regardless)")
	f.StringVar(&cfg.Components.HealthAddress, "health-probe-bind-address", "127.0.0.1:9561", "address of /healthz and /readyz for Outpost's components (0 disables)")
	return cmd
}

func parseIP(flag, s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, fmt.Errorf("%s: %q is not an IP address", flag, s)
	}
	return ip, nil
}

// defaultDataDir follows the convention of system daemons when run as root
// and keeps to the user's home otherwise.
func defaultDataDir(side string) string {
	if os.Geteuid() == 0 {
		return filepath.Join("/var/lib/outpost", side)
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".outpost", side)
	}
	return filepath.Join(".outpost", side)
}
