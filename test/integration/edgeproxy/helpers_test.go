// Package edgeproxy_test checks the edge API cache proxy against a real
// control plane, with a link between proxy and API server that the tests
// break on purpose (internal/edgeproxy/faultrelay).
package edgeproxy_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m)
}

// edge is a proxy in front of a server, through a relay the test controls.
type edge struct {
	t       testing.TB
	srv     *testenv.Server
	relay   *faultrelay.Relay
	proxy   *edgeproxy.Proxy
	addr    string
	dataDir string
	cfg     edgeproxy.Config
	reg     *prometheus.Registry
	cancel  context.CancelFunc
	done    chan error
}

type edgeOptions struct {
	dataDir string
	relay   *faultrelay.Relay // reuse (restart tests)
	tweak   func(*edgeproxy.Config)
	listen  string
}

// startEdge runs a proxy in this process, in front of srv through a new
// relay.
func startEdge(t testing.TB, srv *testenv.Server, opts edgeOptions) *edge {
	t.Helper()
	relay := opts.relay
	if relay == nil {
		var err error
		relay, err = faultrelay.Start(fmt.Sprintf("127.0.0.1:%d", srv.Port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(relay.Close)
	}
	if opts.dataDir == "" {
		opts.dataDir = t.TempDir()
	}
	if opts.listen == "" {
		opts.listen = "127.0.0.1:0"
	}
	cloud := srv.RestConfig(t)
	cloud.Host = "https://" + relay.Addr()
	pkiDir := filepath.Join(srv.DataDir, "pki")
	reg := prometheus.NewRegistry()
	cfg := edgeproxy.Config{
		Cloud:              cloud,
		Listen:             opts.listen,
		DataDir:            opts.dataDir,
		FrontProxyCertFile: filepath.Join(pkiDir, "front-proxy-client.crt"),
		FrontProxyKeyFile:  filepath.Join(pkiDir, "front-proxy-client.key"),
		ProbeInterval:      250 * time.Millisecond,
		ProbeTimeout:       time.Second,
		DialTimeout:        2 * time.Second,
		BookmarkInterval:   time.Second,
		Registerer:         reg,
	}
	if opts.tweak != nil {
		opts.tweak(&cfg)
	}
	e := &edge{t: t, srv: srv, relay: relay, dataDir: opts.dataDir, cfg: cfg, reg: reg}
	e.start()
	t.Cleanup(e.stop)
	return e
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testLogger() *slog.Logger {
	if os.Getenv("EDGEPROXY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return quiet
}

func (e *edge) start() {
	e.t.Helper()
	p, err := edgeproxy.New(e.cfg, testLogger())
	if err != nil {
		e.t.Fatal(err)
	}
	e.proxy = p
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	ready := make(chan net.Addr, 1)
	go func() { e.done <- p.Run(ctx, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		e.addr = a.String()
		// Restarts keep the port, so clients find the proxy again.
		e.cfg.Listen = e.addr
	case err := <-e.done:
		e.t.Fatalf("proxy exited: %v", err)
	}
}

// stop ends the proxy, as the agent stopping would.
func (e *edge) stop() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	<-e.done
	e.cancel = nil
}

// restart stops the proxy and starts a new one on the same data dir and
// address.
func (e *edge) restart() {
	e.t.Helper()
	e.stop()
	e.reg = prometheus.NewRegistry()
	e.cfg.Registerer = e.reg
	e.start()
}

// cut breaks the link and waits until the proxy notices.
func (e *edge) cut(how func(*faultrelay.Relay)) {
	e.t.Helper()
	how(e.relay)
	e.waitState(edgeproxy.Offline)
}

// restore mends the link and waits until the proxy notices.
func (e *edge) restore() {
	e.t.Helper()
	if err := e.relay.Pass(); err != nil {
		e.t.Fatal(err)
	}
	e.waitState(edgeproxy.Online)
}

func (e *edge) waitState(want edgeproxy.State) {
	e.t.Helper()
	testenv.Eventually(e.t, time.Minute, "proxy "+want.String(), func() error {
		if s := e.proxy.State(); s != want {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
}

// config is a client configuration that reaches the cloud through the
// proxy, with the credentials of base.
func (e *edge) config(base *rest.Config) *rest.Config {
	c := rest.CopyConfig(base)
	c.Host = "https://" + e.addr
	c.TLSClientConfig.CAData = e.proxy.CAPEM()
	c.TLSClientConfig.CAFile = ""
	c.TLSClientConfig.ServerName = ""
	c.QPS, c.Burst = 200, 400
	return c
}

func (e *edge) client(base *rest.Config) kubernetes.Interface {
	e.t.Helper()
	c, err := kubernetes.NewForConfig(e.config(base))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// metric sums the samples of a metric whose labels contain all of want.
func (e *edge) metric(name string, want map[string]string) float64 {
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range want {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				total += m.Counter.GetValue()
			case m.Gauge != nil:
				total += m.Gauge.GetValue()
			}
		}
	}
	return total
}

// identity issues a client certificate from the cluster CA, as the
// cluster would for a kubelet or another component.
func identity(t testing.TB, srv *testenv.Server, user string, groups ...string) *rest.Config {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(filepath.Join(srv.DataDir, "pki"), "ca", "outpost-ca")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name := strings.NewReplacer(":", "-", "/", "-").Replace(user)
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := ca.Issue(pki.Leaf{CommonName: user, Organization: groups, Client: true}, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	cfg := srv.RestConfig(t)
	cfg.TLSClientConfig.CertData, cfg.TLSClientConfig.KeyData = nil, nil
	cfg.TLSClientConfig.CertFile, cfg.TLSClientConfig.KeyFile = certFile, keyFile
	return cfg
}

// withJSON makes a typed client speak JSON (kubernetes.NewForConfig
// defaults to protobuf).
func withJSON(c *rest.Config) *rest.Config {
	c = rest.CopyConfig(c)
	c.ContentType = "application/json"
	c.AcceptContentTypes = "application/json"
	return c
}

func withProtobuf(c *rest.Config) *rest.Config {
	c = rest.CopyConfig(c)
	c.ContentType = "application/vnd.kubernetes.protobuf"
	c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	return c
}

var _ = url.Parse
