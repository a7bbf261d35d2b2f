package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"time"

	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

// The user-facing endpoint, an HTTPS proxy:
//
//   - CONNECT <node>:<port> (or <pod IP>:<port>, <node IP>:<port>) opens a
//     TCP stream to that port on the node: `outpost ssh`, and any client
//     that speaks HTTP CONNECT over TLS, e.g. as an ssh ProxyCommand;
//   - GET http://<pod IP or node>:<port>/path (absolute-form requests, as
//     sent to an HTTP proxy) are forwarded to that address on the edge.
//
// Every request is authenticated and authorized (authn.go), checked against
// the server's port policy, and audited.

type targetKey struct{}

type target struct{ user, node, addr string }

func (s *Server) proxyHandler(a *authenticator) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = pr.In.URL
			pr.Out.Header.Del("Proxy-Authorization")
			pr.Out.Header.Del("Proxy-Connection")
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				t, _ := ctx.Value(targetKey{}).(target)
				return s.dialAs(ctx, t.user, "http", t.node, t.addr)
			},
			MaxIdleConnsPerHost: 16,
			IdleConnTimeout:     90 * time.Second,
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, err.Error(), dialStatus(err))
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var hostport string
		switch {
		case r.Method == http.MethodConnect:
			hostport = r.Host
		case r.URL.IsAbs() && r.URL.Scheme == "http":
			hostport = r.URL.Host
			if r.URL.Port() == "" {
				hostport = net.JoinHostPort(r.URL.Hostname(), "80")
			}
		default:
			http.Error(w, "this is the Outpost tunnel proxy: CONNECT <node>:<port>, or send absolute http:// URLs of node and pod addresses", http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		u, err := a.authenticate(ctx, r)
		if err != nil {
			w.Header().Set("Proxy-Authenticate", `Bearer realm="outpost"`)
			http.Error(w, err.Error(), http.StatusProxyAuthRequired)
			return
		}
		host, portStr, err := net.SplitHostPort(hostport)
		port, perr := strconv.Atoi(portStr)
		if err != nil || perr != nil || host == "" {
			http.Error(w, fmt.Sprintf("bad target %q: want host:port", hostport), http.StatusBadRequest)
			return
		}
		if !s.portAllowed(port) {
			s.log.Info("tunnel stream refused", "user", u.Name, "target", hostport, "err", "port not allowed by the server")
			http.Error(w, fmt.Sprintf("port %d is not allowed by the server's tunnel policy (allowed: %v)", port, s.cfg.AllowedPorts), http.StatusForbidden)
			return
		}
		node, addr, err := s.res.target(host, portStr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		verb := "create"
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			verb = "get"
		}
		if err := a.authorize(ctx, u, node, verb); err != nil {
			s.log.Info("tunnel stream refused", "user", u.Name, "node", node, "addr", addr, "err", err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		if r.Method != http.MethodConnect {
			s.log.Info("tunnel http request", "user", u.Name, "node", node, "addr", addr, "method", r.Method, "path", r.URL.Path)
			rp.ServeHTTP(w, r.WithContext(context.WithValue(ctx, targetKey{}, target{u.Name, node, addr})))
			return
		}
		up, err := s.dialAs(ctx, u.Name, "connect", node, addr)
		if err != nil {
			http.Error(w, err.Error(), dialStatus(err))
			return
		}
		hijackAndRelay(w, up)
	})
}

func (s *Server) portAllowed(port int) bool {
	return slices.Contains(s.cfg.AllowedPorts, port) || slices.Contains(s.cfg.AllowedPorts, 0)
}

// dialStatus maps a dial error to the HTTP status a proxy client sees.
func dialStatus(err error) int {
	var de *wire.DialError
	switch {
	case errors.As(err, &de) && de.Code == wire.Refused:
		return http.StatusForbidden
	case errors.Is(err, ErrNodeNotConnected):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}
