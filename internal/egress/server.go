package egress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
)

// Server is the HTTP CONNECT endpoint of the API server's egress selector.
type Server struct {
	Nodes  *Nodes
	Router *Router
	Log    *slog.Logger
	// DialTimeout bounds one dial, the tunnel's included (default 15s).
	DialTimeout time.Duration
}

// ServeHTTP answers `CONNECT host:port`: 200 and then the bytes of a
// connection to that address, or an error status whose reason phrase
// says what failed (the API server quotes the status line in its error,
// so kubectl users read it).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT is served here", http.StatusMethodNotAllowed)
		return
	}
	addr := r.Host
	if err := validTarget(addr); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	timeout := s.DialTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	if err := s.Nodes.WaitSynced(ctx, 5*time.Second); err != nil {
		s.fail(w, http.StatusServiceUnavailable, fmt.Errorf("egress to %s: %w", addr, err))
		return
	}
	start := time.Now()
	node, route, isNode := s.Nodes.Lookup(addr)
	var (
		conn net.Conn
		err  error
	)
	if isNode {
		conn, err = s.Router.DialNode(ctx, node, route, addr)
	} else {
		// Not a node address: a webhook, an aggregated API server or a
		// pod on a cloud node, which the cloud reaches itself.
		conn, err = s.direct().DialNode(ctx, "", addr)
	}
	log := s.Log.With("addr", addr, "node", node, "took", time.Since(start).Round(time.Microsecond))
	if err != nil {
		log.Info("egress dial failed", "err", err)
		if isNode && !strings.Contains(err.Error(), node) {
			err = fmt.Errorf("node %s: %w", node, err)
		}
		s.fail(w, http.StatusBadGateway, err)
		return
	}
	log.Debug("egress connection")
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		conn.Close()
		return
	}
	_ = client.SetDeadline(time.Time{})
	if _, err := io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		client.Close()
		conn.Close()
		return
	}
	pipe.Relay(pipe.Buffered(client, brw.Reader), conn)
}

func (s *Server) direct() NodeDialer {
	if s.Router != nil && s.Router.Direct != nil {
		return s.Router.Direct
	}
	return Direct{}
}

// fail answers with status and err as the reason phrase. The connection is
// hijacked to write the status line, since net/http only writes standard
// reason phrases.
func (s *Server) fail(w http.ResponseWriter, status int, err error) {
	reason := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, err.Error())
	if len(reason) > 1024 {
		reason = reason[:1024]
	}
	conn, _, herr := http.NewResponseController(w).Hijack()
	if herr != nil {
		http.Error(w, reason, status)
		return
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status, reason)
}

// validTarget accepts host:port with a numeric port in 1..65535.
func validTarget(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("CONNECT target %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || host == "" {
		return fmt.Errorf("CONNECT target %q: want host:port", addr)
	}
	return nil
}

// Serve answers CONNECT requests on ln until ctx ends. With tlsConfig set,
// connections are TLS (mutual TLS when it requires client certificates).
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		TLSConfig:         tlsConfig,
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	var err error
	if tlsConfig != nil {
		// CONNECT is an HTTP/1.1 affair for the API server.
		tlsConfig.NextProtos = []string{"http/1.1"}
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenUnix listens on a unix socket only this user may use (the API
// server in this process), replacing a stale one.
func ListenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("egress socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
