// Package agent is the edge side of the tunnel, run by `outpost agent`: it
// joins with a bootstrap token, keeps its node certificate under its data
// directory (renewing it at two thirds of its life), dials out to a server
// replica over mutual TLS, and serves the streams the cloud opens, dialling
// only what its allowlist allows. When the connection drops it reconnects,
// to the next server address, with jittered exponential backoff; it never
// exits on a flaky link (SuperEdge's tunnel-edge exited after two missed
// heartbeats and was restarted by kubelet in a loop, #414).
package agent

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

// Config of the agent's tunnel client.
type Config struct {
	// Servers are the replicas' agent-facing addresses (host:port), tried
	// in turn; a DNS name with several addresses works too.
	Servers []string
	// Token is the bootstrap token, needed only until a certificate is
	// stored.
	Token string
	// CAHash pins the tunnel CA for the first join (sha256:<hex>).
	CAHash string
	// Node is the node's name.
	Node string
	// DataDir keeps the credentials, under tunnel/.
	DataDir string
	// Allow is the allowlist (see Allowlist); default 22 and 10250.
	Allow []string
	// MinBackoff and MaxBackoff bound the reconnect delay (default 500ms
	// and 30s).
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds dialling a local address (default 5s).
	DialTimeout time.Duration
	// KeepAlive is the interval of yamux pings (default 15s).
	KeepAlive time.Duration
	// OnConnect, when set, is called with the server address after each
	// successful connection (tests, readiness).
	OnConnect func(server string)
}

// Agent is the tunnel client.
type Agent struct {
	cfg   Config
	allow Allowlist
	log   *slog.Logger
}

// New checks cfg.
func New(cfg Config, log *slog.Logger) (*Agent, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("tunnel: no server address")
	}
	if cfg.Node == "" {
		return nil, errors.New("tunnel: no node name")
	}
	if cfg.Allow == nil {
		cfg.Allow = []string{"22", "10250"}
	}
	allow, err := ParseAllowlist(cfg.Allow)
	if err != nil {
		return nil, err
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	return &Agent{cfg: cfg, allow: allow, log: log.With("component", "tunnel-agent", "node", cfg.Node)}, nil
}

// Run keeps the tunnel up until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	delay := a.cfg.MinBackoff
	for i := 0; ; i++ {
		server := a.cfg.Servers[i%len(a.cfg.Servers)]
		start := time.Now()
		err := a.once(ctx, server)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > 30*time.Second {
			delay = a.cfg.MinBackoff // it was up for a while: a fresh failure
		}
		// Full jitter over [delay/2, delay): agents cut off together do
		// not come back together.
		wait := delay/2 + rand.N(delay/2+1)
		level := slog.LevelWarn
		if errors.Is(err, ErrJoin) {
			level = slog.LevelError // needs an operator: a new token
		}
		a.log.Log(ctx, level, "tunnel down; reconnecting", "server", server, "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		delay = min(2*delay, a.cfg.MaxBackoff)
	}
}

// once gets credentials and runs one connection to server until it ends.
func (a *Agent) once(ctx context.Context, server string) error {
	c, err := a.load()
	if err != nil {
		return err
	}
	if c == nil {
		if c, err = a.join(ctx, server, nil); err != nil {
			return err
		}
		a.log.Info("joined: node certificate stored", "server", server, "notAfter", c.cert.Leaf.NotAfter)
	} else if c.needsRenewal(time.Now()) {
		if nc, err := a.join(ctx, server, c); err != nil {
			a.log.Warn("renewing the node certificate", "server", server, "err", err)
		} else {
			c = nc
			a.log.Info("node certificate renewed", "notAfter", c.cert.Leaf.NotAfter)
		}
	}
	err = a.connect(ctx, server, c)
	if errors.Is(err, errRevoked) {
		a.forget()
		if a.cfg.Token == "" {
			return fmt.Errorf("%w: %w (and no --tunnel-token to join again)", ErrJoin, err)
		}
	}
	return err
}

// Join joins with the first server if no certificate is stored yet; a
// refusal wraps ErrJoin and carries the server's reason.
func (a *Agent) Join(ctx context.Context) error {
	c, err := a.load()
	if err != nil || c != nil {
		return err
	}
	_, err = a.join(ctx, a.cfg.Servers[0], nil)
	return err
}

var errRevoked = errors.New("node certificate refused")

func (a *Agent) connect(ctx context.Context, server string, c *creds) error {
	d := tls.Dialer{
		NetDialer: &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		Config: &tls.Config{
			MinVersion:            tls.VersionTLS13,
			Certificates:          []tls.Certificate{c.cert},
			InsecureSkipVerify:    true, // verifyServer checks chain and role
			VerifyPeerCertificate: a.verifyServer(c.ca),
			NextProtos:            []string{"http/1.1"},
		},
	}
	conn, err := d.DialContext(ctx, "tcp", server)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + wire.ConnectPath + " HTTP/1.1\r\nHost: " + server + "\r\nConnection: Upgrade\r\nUpgrade: " +
		wire.UpgradeProtocol + "\r\n" + wire.HeaderNode + ": " + a.cfg.Node + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		conn.Close()
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%w: %s", errRevoked, msg)
		}
		return fmt.Errorf("server %s: %s: %s", server, resp.Status, msg)
	}
	_ = conn.SetDeadline(time.Time{})
	mux, err := yamux.Server(pipe.CoalesceFrames(pipe.Buffered(conn, br)), pipe.YamuxConfig(a.cfg.KeepAlive))
	if err != nil {
		conn.Close()
		return err
	}
	defer mux.Close()
	stop := context.AfterFunc(ctx, func() { mux.Close() })
	defer stop()
	a.log.Info("tunnel connected", "server", server)
	if a.cfg.OnConnect != nil {
		a.cfg.OnConnect(server)
	}
	for {
		st, err := mux.AcceptStream()
		if err != nil {
			return fmt.Errorf("tunnel to %s closed: %w", server, err)
		}
		go a.serve(st)
	}
}

// serve answers one dial request and relays the stream.
func (a *Agent) serve(st *yamux.Stream) {
	_ = st.SetDeadline(time.Now().Add(a.cfg.DialTimeout + 5*time.Second))
	addr, err := wire.ReadRequest(st)
	if err != nil {
		a.log.Warn("bad dial request", "err", err)
		st.Close()
		return
	}
	if !a.allow.Allows(addr) {
		a.log.Info("tunnel dial refused by the allowlist", "addr", addr)
		_ = wire.WriteReply(st, wire.Refused, addr+" is not in the agent's allowlist")
		st.Close()
		return
	}
	c, err := net.DialTimeout("tcp", addr, a.cfg.DialTimeout)
	if err != nil {
		_ = wire.WriteReply(st, wire.DialFailed, err.Error())
		st.Close()
		return
	}
	if err := wire.WriteReply(st, wire.OK, ""); err != nil {
		c.Close()
		st.Close()
		return
	}
	_ = st.SetDeadline(time.Time{})
	pipe.Relay(pipe.Stream{Stream: st}, c)
}
