package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/simkubelet"
)

func newAgentCommand(g *globalFlags) *cobra.Command {
	var (
		kubeconfig  string
		simulate    bool
		sim         simkubelet.Config
		labels      []string
		qps         float32
		proxy       edgeproxy.Config
		adminListen string
		cacheSize   string
		creds       []string
		noProxy     bool
		kubelet     kubeletFlags
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the edge side on a node (or simulate edge nodes)",
		Long: `Run the edge side of Outpost on a node.

The agent runs the edge API cache proxy: every Kubernetes client on the node
(kubelet, kube-proxy, CNI, pods) talks to the cloud API server through it,
at --proxy-listen. Requests keep their identity: a client certificate signed
by the cluster CA is forwarded as the same user (with the front-proxy
credential, or by presenting the client's own certificate when the agent
holds its key, e.g. the kubelet's), bearer tokens pass unchanged. Reads are
recorded, per identity, in a durable cache under --data-dir; when the cloud
cannot be reached, gets, lists and watches are answered from it, writes fail
at once with 503, and the node keeps working, also across a reboot.
Local clients trust <data-dir>/pki/proxy-ca.crt.

--simulate-kubelet registers simulated nodes instead: they keep their Leases
and Ready condition fresh and report the pods scheduled onto them as Running,
without running containers. Use it to try Outpost, in tests and for scale
tests; one process hosts hundreds of nodes. Simulated nodes carry the label
outpost.io/simulated=true. Each serves a kubelet API (node i on
--kubelet-port+i at --kubelet-address, its reported InternalIP), so that
kubectl logs, exec, attach and port-forward work on their pods: logs are
synthetic lines, exec runs built-in commands (echo, cat, hostname, env,
sleep, exit N), attach and port-forward echo. The API server's client
certificate must be signed by --kubelet-client-ca and allowed nodes/proxy. With --proxy-listen set too, the simulated nodes
reach the cloud through the agent's proxy, as real kubelets would.`,
		Example: `  outpost agent --kubeconfig /etc/outpost/cloud.kubeconfig --proxy-front-proxy-cert fp.crt --proxy-front-proxy-key fp.key
  outpost agent --kubeconfig kubelet.kubeconfig --proxy-client-credential /var/lib/kubelet/pki/kubelet-client-current.pem,/var/lib/kubelet/pki/kubelet-client-current.pem
  outpost agent --simulate-kubelet --nodes 3 --kubeconfig /var/lib/outpost/server/admin.kubeconfig
  outpost agent --simulate-kubelet --nodes 3 --kubeconfig admin.kubeconfig --proxy-listen 127.0.0.1:10261 --proxy-front-proxy-cert fp.crt --proxy-front-proxy-key fp.key
  outpost agent --simulate-kubelet --nodes 500 --node-name-prefix store --node-labels topology.kubernetes.io/zone=paris`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			if kubeconfig == "" {
				return errors.New("--kubeconfig is required: the cloud API server the agent proxies (or, with --simulate-kubelet, the one simulated nodes use)")
			}
			cloud, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return fmt.Errorf("--kubeconfig: %w", err)
			}
			if sim.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			if simulate {
				if sim.Kubelet, err = kubelet.config(cloud); err != nil {
					return err
				}
			}
			// Without the proxy flags, simulated nodes talk to the cloud
			// directly, as before.
			runProxy := !simulate || cmd.Flags().Changed("proxy-listen")
			if noProxy {
				runProxy = false
			}
			if !runProxy {
				if !simulate {
					return errors.New("nothing to run: --no-proxy without --simulate-kubelet")
				}
				return runSimulator(cmd.Context(), cloud, sim, qps, log, nil)
			}

			proxy.Cloud = cloud
			if proxy.DataDir, err = filepath.Abs(proxy.DataDir); err != nil {
				return err
			}
			if proxy.CacheMaxBytes, err = parseSize(cacheSize); err != nil {
				return fmt.Errorf("--cache-max-size: %w", err)
			}
			for _, c := range creds {
				cert, key, ok := strings.Cut(c, ",")
				if !ok || cert == "" || key == "" {
					return fmt.Errorf("--proxy-client-credential: want CERT,KEY, got %q", c)
				}
				proxy.ClientCredentials = append(proxy.ClientCredentials, [2]string{cert, key})
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			proxy.Registerer = reg
			p, err := edgeproxy.New(proxy, log)
			if err != nil {
				return err
			}
			grp, ctx := errgroup.WithContext(cmd.Context())
			ready := make(chan net.Addr, 1)
			grp.Go(func() error { return p.Run(ctx, func(a net.Addr) { ready <- a }) })
			if adminListen != "" && adminListen != "0" {
				grp.Go(func() error { return p.ServeAdmin(ctx, adminListen, reg) })
			}
			if simulate {
				grp.Go(func() error {
					var addr net.Addr
					select {
					case addr = <-ready:
					case <-ctx.Done():
						return nil
					}
					local := rest.CopyConfig(cloud)
					local.Host = "https://" + addr.String()
					local.TLSClientConfig.CAFile, local.TLSClientConfig.CAData = "", p.CAPEM()
					local.TLSClientConfig.ServerName = ""
					return runSimulator(ctx, local, sim, qps, log, nil)
				})
			}
			return grp.Wait()
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cloud API server, with the agent's own credentials")
	f.StringVar(&proxy.DataDir, "data-dir", defaultDataDir("agent"), "directory for the edge cache and the agent's certificates")
	f.StringVar(&proxy.Listen, "proxy-listen", "127.0.0.1:10261", "HTTPS address of the edge API proxy")
	f.StringVar(&adminListen, "proxy-admin-listen", "127.0.0.1:10267", "plain HTTP address of /healthz, /readyz and /metrics (0 disables)")
	f.StringVar(&proxy.FrontProxyCertFile, "proxy-front-proxy-cert", "", "client certificate the API server trusts for request-header authentication (its requestheader CA and allowed names)")
	f.StringVar(&proxy.FrontProxyKeyFile, "proxy-front-proxy-key", "", "key of --proxy-front-proxy-cert")
	f.StringArrayVar(&creds, "proxy-client-credential", nil, "CERT,KEY of a client certificate (e.g. the kubelet's) the proxy presents for clients that present the same certificate (repeatable)")
	f.StringVar(&proxy.ClientCAFile, "proxy-client-ca", "", "CA that signs client certificates (default: the CA of --kubeconfig)")
	f.StringVar(&proxy.ServingCertFile, "proxy-serving-cert", "", "serving certificate of the proxy (default: issued by the agent's own CA)")
	f.StringVar(&proxy.ServingKeyFile, "proxy-serving-key", "", "key of --proxy-serving-cert")
	f.StringSliceVar(&proxy.ServingSANs, "proxy-san", nil, "names and IPs of the proxy's serving certificate (default localhost, 127.0.0.1, ::1 and the listen address)")
	f.StringVar(&cacheSize, "cache-max-size", "512Mi", "cap on the edge cache's data; least recently used collections are evicted beyond it (0: no cap)")
	f.DurationVar(&proxy.CacheTTL, "cache-ttl", 7*24*time.Hour, "forget cached collections unused for this long")
	f.IntVar(&proxy.WatchLogLimit, "cache-watch-log", 1000, "changes kept per collection to resume watches from the cache")
	f.DurationVar(&proxy.ProbeInterval, "proxy-probe-interval", time.Second, "how often the cloud's /readyz is probed")
	f.DurationVar(&proxy.ProbeTimeout, "proxy-probe-timeout", 2*time.Second, "how long a probe may take before it counts as failed")
	f.BoolVar(&noProxy, "no-proxy", false, "with --simulate-kubelet: talk to the cloud directly even if proxy flags are set")
	f.BoolVar(&simulate, "simulate-kubelet", false, "simulate kubelets instead of running the edge agent")
	f.IntVar(&sim.Count, "nodes", 1, "number of simulated nodes")
	f.StringVar(&sim.NamePrefix, "node-name-prefix", "sim-node", "simulated nodes are named <prefix>-0, <prefix>-1, ...")
	f.StringSliceVar(&labels, "node-labels", nil, "labels for the simulated nodes, key=value (repeatable or comma-separated)")
	f.Float32Var(&qps, "kube-api-qps", 100, "API requests per second allowed to the simulator")
	f.StringVar(&kubelet.address, "kubelet-address", "127.0.0.1", "with --simulate-kubelet: address of the simulated kubelet API, reported as the nodes' InternalIP")
	f.IntVar(&kubelet.port, "kubelet-port", 10250, "with --simulate-kubelet: kubelet API port of the first node (node i uses port+i; 0 picks free ports; -1 turns the kubelet API off)")
	f.StringVar(&kubelet.clientCA, "kubelet-client-ca", "", "with --simulate-kubelet: CA of the API server's kubelet client certificate (default: the CA of --kubeconfig)")
	addTunnelAgent(cmd, g)
	return cmd
}

// kubeletFlags configure the simulated kubelet API.
type kubeletFlags struct {
	address, clientCA string
	port              int
}

func (k kubeletFlags) config(cloud *rest.Config) (*simkubelet.KubeletConfig, error) {
	if k.port < 0 {
		return nil, nil
	}
	addr, err := netip.ParseAddr(k.address)
	if err != nil {
		return nil, fmt.Errorf("--kubelet-address: %w", err)
	}
	var pem []byte
	switch {
	case k.clientCA != "":
		pem, err = os.ReadFile(k.clientCA)
	case len(cloud.TLSClientConfig.CAData) > 0:
		pem = cloud.TLSClientConfig.CAData
	case cloud.TLSClientConfig.CAFile != "":
		pem, err = os.ReadFile(cloud.TLSClientConfig.CAFile)
	default:
		err = errors.New("--kubeconfig has no CA; name the API server's kubelet client CA with --kubelet-client-ca (or --kubelet-port=-1)")
	}
	if err != nil {
		return nil, fmt.Errorf("kubelet client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("kubelet client CA: no PEM certificate")
	}
	return &simkubelet.KubeletConfig{Address: addr, Port: k.port, ClientCAs: pool}, nil
}

func runSimulator(ctx context.Context, restCfg *rest.Config, sim simkubelet.Config, qps float32, log *slog.Logger, ready chan<- struct{}) error {
	restCfg = rest.CopyConfig(restCfg)
	restCfg.QPS, restCfg.Burst = qps, int(2*qps)
	restCfg.UserAgent = "outpost-simulated-kubelet"
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return err
	}
	return simkubelet.Run(ctx, client, sim, log, ready)
}

func parseSize(s string) (int64, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	if q.Value() == 0 {
		return -1, nil // no cap
	}
	return q.Value(), nil
}

func parseLabels(pairs []string) (map[string]string, error) {
	labels := map[string]string{}
	for _, kv := range pairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--node-labels: want key=value, got %q", kv)
		}
		labels[k] = v
	}
	return labels, nil
}
