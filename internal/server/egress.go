package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/controlplane"
	"github.com/outpost-edge/outpost/internal/egress"
	"github.com/outpost-edge/outpost/internal/pki"
	"github.com/outpost-edge/outpost/internal/tunnel"
)

// EgressConfig configures the API server's egress proxy (package egress).
type EgressConfig struct {
	// Disabled leaves the embedded API server to dial nodes itself.
	Disabled bool
	// Listen, in attach mode, serves the proxy over mutual TLS on this TCP
	// address for the cluster's API servers (empty: not served).
	Listen string
	// URL is what the API servers dial (default https://<listen address>,
	// or this host's first address when listening on all of them).
	URL string
	// SANs are extra names and IPs of the proxy's serving certificate.
	SANs []string
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

// prepareAttachEgress, in attach mode, opens the mutual-TLS listener and
// writes, under <data-dir>/egress, what the cluster's API servers need to
// use it: a CA (created once and kept, so replicas can share the
// directory), their client certificate, and egress-selector.yaml.
func prepareAttachEgress(cfg *Config, log *slog.Logger) (net.Listener, *tls.Config, error) {
	e := cfg.Egress
	if e.Disabled || cfg.Kubeconfig == "" || e.Listen == "" || e.Listen == "0" {
		return nil, nil, nil
	}
	dir := filepath.Join(cfg.ControlPlane.DataDir, "egress")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	ca, err := pki.LoadOrCreateCA(dir, "egress-ca", "outpost-egress-ca")
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", e.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("--egress-listen: %w", err)
	}
	url := e.URL
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = firstHostAddress()
	}
	if url == "" {
		url = "https://" + net.JoinHostPort(host, port)
	}
	leaf := pki.Leaf{CommonName: "outpost-egress", Server: true, DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}
	for _, san := range append([]string{host}, e.SANs...) {
		if ip := net.ParseIP(san); ip != nil {
			leaf.IPs = append(leaf.IPs, ip)
		} else if san != "" {
			leaf.DNSNames = append(leaf.DNSNames, san)
		}
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	err = ca.Issue(leaf, p("server.crt"), p("server.key"))
	if err == nil {
		err = ca.Issue(pki.Leaf{CommonName: "kube-apiserver-egress-client", Client: true}, p("client.crt"), p("client.key"))
	}
	var yaml []byte
	if err == nil {
		yaml, err = egress.SelectorConfiguration(egress.MutualTLS(url, ca.CertFile, p("client.crt"), p("client.key")))
	}
	if err == nil {
		err = os.WriteFile(p("egress-selector.yaml"), yaml, 0o600)
	}
	var cert tls.Certificate
	if err == nil {
		cert, err = tls.LoadX509KeyPair(p("server.crt"), p("server.key"))
	}
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("egress proxy certificates: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	log.Info("API server egress proxy for an attached cluster: copy this directory to the API server hosts and start kube-apiserver with --egress-selector-config-file pointing at egress-selector.yaml in it (adjust its paths if the directory moves)",
		"dir", dir, "url", url)
	return ln, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// firstHostAddress is this host's first non-loopback IP (for URLs other
// hosts dial), or 127.0.0.1.
func firstHostAddress() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}

// startEgress runs the egress proxy on ln in the background; the returned
// function stops it and closes ln.
func startEgress(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, restCfg *rest.Config, c ComponentsConfig, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := runEgress(ctx, ln, tlsConfig, restCfg, egressRouter(c), log); err != nil {
			log.Error("API server egress proxy stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		ln.Close()
		<-done
	}
}

// runEgress serves the egress proxy on ln until ctx ends. Nodes are
// reached through router (its Tunnel, when the server runs one).
func runEgress(ctx context.Context, ln net.Listener, tlsConfig *tls.Config, restCfg *rest.Config, router *egress.Router, log *slog.Logger) error {
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
	return (&egress.Server{Nodes: nodes, Router: router, Log: log}).Serve(ctx, ln, tlsConfig)
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
