package tunnel

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/outpost-edge/outpost/internal/tunnel/pipe"
	"github.com/outpost-edge/outpost/internal/tunnel/wire"
)

var noDeadline time.Time

// agentHandler serves the agent-facing listener.
func (s *Server) agentHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(wire.JoinPath, s.handleJoin)
	mux.HandleFunc(wire.ConnectPath, s.handleConnect)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			s.handlePeerConnect(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// handleConnect turns an agent's request into a tunnel session.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	node, cert := s.nodeFromTLS(r)
	if cert == nil {
		http.Error(w, "connect needs a node certificate: join first with a bootstrap token", http.StatusUnauthorized)
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), wire.UpgradeProtocol) {
		http.Error(w, "want Upgrade: "+wire.UpgradeProtocol, http.StatusUpgradeRequired)
		return
	}
	if _, err := s.certs.check(r.Context(), node, cert); err != nil {
		s.log.Warn("tunnel connection refused", "node", node, "remote", r.RemoteAddr, "err", err)
		code := http.StatusForbidden
		if !errors.Is(err, ErrCertRevoked) {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), code)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = conn.SetDeadline(noDeadline)
	if _, err := brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + wire.UpgradeProtocol + "\r\n\r\n"); err == nil {
		err = brw.Flush()
	}
	if err != nil {
		conn.Close()
		return
	}
	// The agent sends nothing before it has read the 101, so nothing can be
	// buffered; should it, yamux would still see it.
	mux, err := yamux.Client(pipe.CoalesceFrames(pipe.Buffered(conn, brw.Reader)), s.yamuxConfig())
	if err != nil {
		conn.Close()
		return
	}
	ss := &session{node: node, serial: serialOf(cert), remote: r.RemoteAddr, since: time.Now(), mux: mux}
	s.addSession(ss)
	<-mux.CloseChan()
	s.removeSession(ss)
}

func (s *Server) addSession(ss *session) {
	s.mu.Lock()
	old := s.sessions[ss.node]
	s.sessions[ss.node] = ss
	s.mu.Unlock()
	if old != nil {
		// The agent reconnected before its old connection was found dead.
		_ = old.mux.Close()
	}
	metricSessions.Set(float64(s.count()))
	s.log.Info("tunnel node connected", "node", ss.node, "remote", ss.remote, "serial", ss.serial)
	ctx, cancel := s.apiContext()
	defer cancel()
	if err := s.owners.claim(ctx, ss.node); err != nil {
		s.log.Warn("recording tunnel ownership", "node", ss.node, "err", err)
	}
}

func (s *Server) removeSession(ss *session) {
	s.mu.Lock()
	current := s.sessions[ss.node] == ss
	if current {
		delete(s.sessions, ss.node)
	}
	s.mu.Unlock()
	metricSessions.Set(float64(s.count()))
	s.log.Info("tunnel node disconnected", "node", ss.node, "remote", ss.remote, "connectedFor", time.Since(ss.since).Round(time.Second))
	if !current {
		return
	}
	ctx, cancel := s.apiContext()
	defer cancel()
	if err := s.owners.release(ctx, ss.node); err != nil {
		s.log.Warn("releasing tunnel ownership", "node", ss.node, "err", err)
	}
}

func (s *Server) count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// dropSession closes node's session when its certificate is no longer the
// recorded one (serial "" drops it whatever its certificate).
func (s *Server) dropSession(node, keepSerial string) {
	s.mu.RLock()
	ss := s.sessions[node]
	s.mu.RUnlock()
	if ss != nil && (keepSerial == "" || ss.serial != keepSerial) {
		s.log.Info("tunnel certificate revoked: closing the session", "node", node, "serial", ss.serial)
		_ = ss.mux.Close()
	}
}

// handlePeerConnect serves a dial forwarded by another replica.
func (s *Server) handlePeerConnect(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || !hasOrg(r.TLS.VerifiedChains[0][0], PeerOrganization) {
		http.Error(w, "CONNECT on this port is for replicas; users use the proxy port", http.StatusForbidden)
		return
	}
	node, addr := r.Header.Get(wire.HeaderNode), r.Host
	who := r.Header.Get(wire.HeaderUser)
	ss := s.session(node)
	if ss == nil {
		http.Error(w, fmt.Sprintf("node %s is not connected to this replica", node), http.StatusNotFound)
		return
	}
	ctx := r.Context()
	start := time.Now()
	up, err := ss.dial(ctx, addr)
	attrs := []any{"user", who, "node", node, "addr", addr, "via", "replica", "from", r.RemoteAddr, "took", time.Since(start).Round(time.Microsecond)}
	if err != nil {
		s.log.Info("tunnel stream refused", append(attrs, "err", err)...)
		var de *wire.DialError
		if errors.As(err, &de) {
			w.Header().Set(headerDialCode, strconv.Itoa(int(de.Code)))
			http.Error(w, de.Message, http.StatusBadGateway)
			return
		}
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	s.log.Info("tunnel stream", attrs...)
	hijackAndRelay(w, up)
}

// hijackAndRelay answers 200 to a CONNECT and relays bytes both ways.
func hijackAndRelay(w http.ResponseWriter, up net.Conn) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = conn.SetDeadline(noDeadline)
	if _, err := brw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n"); err == nil {
		err = brw.Flush()
	}
	if err != nil {
		conn.Close()
		up.Close()
		return
	}
	pipe.Relay(pipe.Buffered(conn, brw.Reader), up)
}
