package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/outpost-edge/outpost/internal/datadir"
	"github.com/outpost-edge/outpost/internal/pki"
)

// ControlPlane is a running embedded control plane.
type ControlPlane struct {
	paths Paths
	url   string
	rest  *rest.Config
	lock  *datadir.Lock

	// Each component runs under its own context so that Stop can shut them
	// down in dependency order.
	stopCM, stopScheduler, stopAPIServer, stopDatastore context.CancelFunc
	cmDone, schedulerDone, apiServerDone                chan struct{}
	datastoreDone                                       func()

	errOnce sync.Once
	err     chan error
}

// Start brings the control plane up and returns once the API server is ready.
// It fails at once if another server uses cfg.DataDir.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (_ *ControlPlane, rerr error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	p := PathsFor(cfg.DataDir)
	lock, err := datadir.Acquire(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{paths: p, lock: lock, err: make(chan error, 1)}
	defer func() {
		if rerr != nil {
			cp.Stop()
		}
	}()

	if err := redirectComponentLogs(p.KubernetesLog()); err != nil {
		return nil, err
	}
	sans, ips := cfg.servingNames()
	if err := ensureCerts(p, sans, ips); err != nil {
		return nil, err
	}
	cp.url = "https://" + net.JoinHostPort(cfg.clientHost(), strconv.Itoa(cfg.Port))
	if err := cp.writeKubeconfigs(); err != nil {
		return nil, err
	}

	dsCtx, stopDS := context.WithCancel(context.WithoutCancel(ctx))
	cp.stopDatastore = stopDS
	etcd, waitDS, err := startDatastore(dsCtx, cfg, p)
	if err != nil {
		return nil, err
	}
	cp.datastoreDone = waitDS

	apiCtx, stopAPI := context.WithCancel(context.WithoutCancel(ctx))
	cp.stopAPIServer, cp.apiServerDone = stopAPI, make(chan struct{})
	go cp.run(apiCtx, "kube-apiserver", cp.apiServerDone, func(ctx context.Context) error {
		return runAPIServer(ctx, apiServerArgs(cfg, p, etcd))
	})
	log.Info("waiting for the API server", "url", cp.url)
	if err := cp.waitReady(ctx); err != nil {
		return nil, err
	}

	leaderElect := cfg.DatastoreEndpoint != ""
	cmCtx, stopCM := context.WithCancel(context.WithoutCancel(ctx))
	cp.stopCM, cp.cmDone = stopCM, make(chan struct{})
	go cp.run(cmCtx, "kube-controller-manager", cp.cmDone, func(ctx context.Context) error {
		return runControllerManager(ctx, controllerManagerArgs(cfg, p, leaderElect))
	})
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	cp.stopScheduler, cp.schedulerDone = stopSched, make(chan struct{})
	go cp.run(schedCtx, "kube-scheduler", cp.schedulerDone, func(ctx context.Context) error {
		return runScheduler(ctx, schedulerArgs(cfg, p, leaderElect))
	})
	return cp, nil
}

// run runs a component under ctx, reporting an end that ctx did not ask
// for through Err. (Upstream components return odd errors when stopped,
// such as the scheduler's "finished without leader elect".)
func (cp *ControlPlane) run(ctx context.Context, name string, done chan struct{}, fn func(context.Context) error) {
	defer close(done)
	err := fn(ctx)
	if ctx.Err() != nil {
		return
	}
	if err == nil {
		err = errors.New("stopped")
	}
	cp.errOnce.Do(func() { cp.err <- fmt.Errorf("%s: %w", name, err) })
}

// Err reports the first component that stopped on its own.
func (cp *ControlPlane) Err() <-chan error { return cp.err }

// RestConfig is an admin client configuration for the API server.
func (cp *ControlPlane) RestConfig() *rest.Config { return rest.CopyConfig(cp.rest) }

// URL is the API server's address.
func (cp *ControlPlane) URL() string { return cp.url }

// Paths tells where the control plane keeps its files.
func (cp *ControlPlane) Paths() Paths { return cp.paths }

func (cp *ControlPlane) writeKubeconfigs() error {
	p := cp.paths
	if err := pki.WriteKubeconfig(p.AdminKubeconfig(), cp.url, p.Cert(certCA), p.Cert(certAdmin), p.Key(certAdmin), true); err != nil {
		return err
	}
	for _, c := range []string{certControllerMgr, certScheduler} {
		if err := pki.WriteKubeconfig(p.Kubeconfig(c), cp.url, p.Cert(certCA), p.Cert(c), p.Key(c), false); err != nil {
			return err
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", p.AdminKubeconfig())
	if err != nil {
		return err
	}
	cp.rest = cfg
	return nil
}

// waitReady polls /readyz until the API server answers ok.
func (cp *ControlPlane) waitReady(ctx context.Context) error {
	cfg := cp.RestConfig()
	cfg.Timeout = 2 * time.Second
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-cp.err:
			return err
		case <-tick.C:
		}
	}
}

// Stop shuts the control plane down: the controller manager and the
// scheduler first, so they do not react to the API server going away, then
// the API server, then the datastore, then the data directory lock. Each step is bounded so that a
// component that hangs cannot hold up the process.
//
// With an external datastore the scheduler runs leader-elected, and the
// upstream scheduler releases its lease and exits the process (status 0) as
// soon as its context ends; so it is stopped after the controller manager
// has released its own lease, and the remaining steps then fall to the
// kernel (the lock) and to etcd, which needs no shutdown of ours.
func (cp *ControlPlane) Stop() {
	stopWithin := func(cancel context.CancelFunc, done <-chan struct{}, d time.Duration) bool {
		if cancel == nil {
			return true
		}
		cancel()
		select {
		case <-done:
			return true
		case <-time.After(d):
			return false
		}
	}
	cmStopped := stopWithin(cp.stopCM, cp.cmDone, 5*time.Second)
	schedStopped := stopWithin(cp.stopScheduler, cp.schedulerDone, 2*time.Second)
	// A controller manager still starting up does not stop on request, and
	// kills the process (klog.Fatal) if the API server goes away under it.
	// The process is ending anyway, so leave the API server and kine to it:
	// SQLite's write-ahead log keeps the datastore consistent.
	if cmStopped && schedStopped {
		stopWithin(cp.stopAPIServer, cp.apiServerDone, 5*time.Second)
		if cp.stopDatastore != nil {
			cp.stopDatastore()
			if cp.datastoreDone != nil {
				waitFor(cp.datastoreDone, 3*time.Second)
			}
		}
	}
	if cp.lock != nil {
		cp.lock.Release()
	}
}

func waitFor(fn func(), d time.Duration) {
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// complete fills in defaults.
func (c *Config) complete() error {
	if c.DataDir == "" {
		return errors.New("a data directory is required")
	}
	if c.BindAddress == nil {
		c.BindAddress = net.IPv4zero
	}
	if c.Port == 0 {
		port, err := freePort(c.BindAddress)
		if err != nil {
			return err
		}
		c.Port = port
	}
	if c.ServiceCIDR == "" {
		c.ServiceCIDR = "10.43.0.0/16"
	}
	if _, err := netip.ParsePrefix(c.ServiceCIDR); err != nil {
		return fmt.Errorf("service CIDR: %w", err)
	}
	if c.AdvertiseAddress == nil {
		if c.BindAddress.IsUnspecified() || c.BindAddress.IsLoopback() {
			// The API server publishes this address in the "kubernetes"
			// Service's endpoints, where a loopback address is invalid.
			ip, err := utilnet.ChooseHostInterface()
			if err != nil {
				return fmt.Errorf("no address to advertise the API server on (%v): set --advertise-address", err)
			}
			c.AdvertiseAddress = ip
		} else {
			c.AdvertiseAddress = c.BindAddress
		}
	}
	return nil
}

// clientHost is the host that local clients use to reach the API server.
func (c *Config) clientHost() string {
	if c.BindAddress.IsUnspecified() {
		return "127.0.0.1"
	}
	return c.BindAddress.String()
}

// servingNames are the DNS names and IPs of the serving certificate.
func (c *Config) servingNames() ([]string, []net.IP) {
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if host, err := os.Hostname(); err == nil {
		dns = append(dns, host)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, firstServiceIP(c.ServiceCIDR)}
	for _, ip := range []net.IP{c.BindAddress, c.AdvertiseAddress} {
		if ip != nil && !ip.IsUnspecified() {
			ips = append(ips, ip)
		}
	}
	for _, san := range c.ExtraSANs {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, san)
		}
	}
	return dns, ips
}

// firstServiceIP is the cluster IP of the "kubernetes" Service.
func firstServiceIP(cidr string) net.IP {
	prefix := netip.MustParsePrefix(cidr)
	return net.IP(prefix.Masked().Addr().Next().AsSlice())
}

func freePort(ip net.IP) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
