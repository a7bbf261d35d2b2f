package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"k8s.io/client-go/kubernetes"
)

// Config of the tunnel server.
type Config struct {
	// Listen is the agent-facing TLS address: joins, agent connections and
	// forwarding between replicas ("0" disables the tunnel).
	Listen string
	// ProxyListen is the user-facing HTTPS address: HTTP CONNECT (ssh,
	// TCP) and HTTP proxying to node and pod addresses ("0" disables it).
	ProxyListen string
	// AdvertiseHost is the host other replicas use to reach this one;
	// default the first non-loopback address of the machine.
	AdvertiseHost string
	// ServerID names this replica (the replica Lease's ID).
	ServerID string
	// AllowedPorts are the ports users may reach on nodes through the proxy
	// endpoint (server-side policy; the agent has its own allowlist too).
	AllowedPorts []int
	// SANs are extra names for the serving certificate.
	SANs []string
	// DialTimeout bounds one dial through the tunnel (default 10s).
	DialTimeout time.Duration
	// KeepAlive is the interval of yamux pings on agent connections; a
	// connection that does not answer within it is closed (default 15s).
	KeepAlive time.Duration
}

// Server is the tunnel server of one replica.
type Server struct {
	cfg Config
	log *slog.Logger

	ready  chan struct{} // closed once Run has loaded the CA and clients
	client kubernetes.Interface
	ca     *sharedCA
	owners *owners
	certs  *certRecords
	res    *resolver
	peers  *peers

	mu       sync.RWMutex
	sessions map[string]*session // by node name

	tunnelAddr, proxyAddr net.Addr
	addrReady             chan struct{}
}

// ErrNodeNotConnected is returned (wrapped) by DialNode when no replica
// holds a tunnel from the node.
var ErrNodeNotConnected = errors.New("node has no tunnel connected")

// New creates the server; it does nothing until Run. DialNode may be called
// at once: it waits for Run to be ready (or for its context).
func New(cfg Config, log *slog.Logger) *Server {
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	if len(cfg.AllowedPorts) == 0 {
		cfg.AllowedPorts = []int{22}
	}
	return &Server{
		cfg: cfg, log: log.With("component", "tunnel"),
		ready: make(chan struct{}), addrReady: make(chan struct{}),
		sessions: map[string]*session{},
	}
}

// Enabled reports whether the tunnel is configured to run.
func (c Config) Enabled() bool { return c.Listen != "" && c.Listen != "0" }

// Enabled reports whether the server will run (Run does nothing otherwise).
func (s *Server) Enabled() bool { return s.cfg.Enabled() }

// DialNode connects to addr (host:port, as seen from the node, e.g.
// "127.0.0.1:22" or "10.0.0.5:10250") from the edge node named node, through
// its tunnel. It works on any replica: when another replica holds the node's
// connection, the dial is forwarded to it. The agent's allowlist applies; the
// server-side user policy (AllowedPorts, SubjectAccessReview) does not,
// since in-process callers (the API server's egress) are trusted. Errors:
// ErrNodeNotConnected (wrapped) when the node has no tunnel, a
// *wire.DialError when the agent refused or could not connect, or a
// context error. The returned connection is a stream of the tunnel: closing
// it closes the node-side connection; it supports deadlines.
func (s *Server) DialNode(ctx context.Context, node, addr string) (net.Conn, error) {
	return s.dialAs(ctx, "system:outpost:in-process", "dialnode", node, addr)
}

// dialAs dials and writes the audit line for one stream.
func (s *Server) dialAs(ctx context.Context, who, via, node, addr string) (net.Conn, error) {
	if !s.cfg.Enabled() {
		return nil, errors.New("the tunnel is disabled on this server (--tunnel-listen=0)")
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("tunnel to %s: server not started: %w", node, ctx.Err())
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	start := time.Now()
	conn, route, err := s.route(ctx, who, node, addr)
	attrs := []any{"user", who, "node", node, "addr", addr, "via", via, "route", route, "took", time.Since(start).Round(time.Microsecond)}
	if err != nil {
		metricStreams.WithLabelValues(via, "error").Inc()
		s.log.Info("tunnel stream refused", append(attrs, "err", err)...)
		return nil, err
	}
	metricStreams.WithLabelValues(via, "ok").Inc()
	s.log.Info("tunnel stream", attrs...)
	return conn, nil
}

// route dials through the local session, or forwards to the owner replica.
func (s *Server) route(ctx context.Context, who, node, addr string) (net.Conn, string, error) {
	if ss := s.session(node); ss != nil {
		c, err := ss.dial(ctx, addr)
		return c, "local", err
	}
	owner, peerAddr, err := s.owners.lookup(ctx, node)
	if err != nil {
		return nil, "none", err
	}
	if owner == s.cfg.ServerID {
		// Our Lease, but the session is gone (it just dropped, or this
		// replica restarted): the agent is reconnecting.
		return nil, "none", fmt.Errorf("%w: %s (reconnecting)", ErrNodeNotConnected, node)
	}
	c, err := s.peers.dial(ctx, peerAddr, who, node, addr)
	return c, "replica " + owner, err
}

func (s *Server) session(node string) *session {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[node]
}

// Connected lists the nodes connected to this replica.
func (s *Server) Connected() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.sessions))
	for n := range s.sessions {
		out = append(out, n)
	}
	return out
}

// Addrs returns the bound agent-facing and proxy addresses once listening.
func (s *Server) Addrs(ctx context.Context) (tunnel, proxy net.Addr, err error) {
	select {
	case <-s.addrReady:
		return s.tunnelAddr, s.proxyAddr, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// yamuxConfig: keepalives detect a dead link within two intervals, without
// an application heartbeat; see pipe.YamuxConfig.
func (s *Server) yamuxConfig() *yamux.Config { return pipe.YamuxConfig(s.cfg.KeepAlive) }

// tlsServerConfig serves the tunnel's certificate; client certificates are
// verified when given (agents after joining, peer replicas) and checked per
// request, since a joining agent has none yet.
func (s *Server) tlsServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    s.ca.pool(),
		NextProtos:   []string{"http/1.1"},
	}
}
