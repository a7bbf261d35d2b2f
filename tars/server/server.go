package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("tars server: closed")

// Server serves TARS servants on one or more adapters.
type Server struct {
	opts  options
	log   *slog.Logger
	level *slog.LevelVar

	baseCtx    context.Context // parent of every request context
	cancelBase context.CancelFunc
	started    time.Time

	mu       sync.Mutex
	adapters []*Adapter
	serving  bool
	closing  bool
	done     chan struct{} // closed when Shutdown or Close has finished
	onStop   []func(context.Context)
}

// OnShutdown adds f to run when Shutdown or Close starts, before the
// server stops accepting and drains: deregistering from the name service
// there keeps new traffic from arriving while the server drains (TarsGo
// #279 kept heart-beating through shutdown). Shutdown passes its context;
// Close a context bounded by the graceful timeout.
func (s *Server) OnShutdown(f func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onStop = append(s.onStop, f)
}

// runOnShutdown runs the OnShutdown functions once.
func (s *Server) runOnShutdown(ctx context.Context) {
	s.mu.Lock()
	fs := s.onStop
	s.onStop = nil
	s.mu.Unlock()
	for _, f := range fs {
		f(ctx)
	}
}

// New returns a Server; add adapters with Listen, then call Serve.
func New(opts ...Option) *Server {
	o := options{graceful: DefaultGracefulTimeout, drainIdle: 2 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{opts: o, level: o.level, started: time.Now(), done: make(chan struct{})}
	if s.level == nil {
		s.level = new(slog.LevelVar)
	}
	s.log = o.logger
	if s.log == nil {
		s.log = slog.New(levelHandler{slog.Default().Handler(), s.level})
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	return s
}

// levelHandler filters a handler by a level variable.
type levelHandler struct {
	slog.Handler
	level *slog.LevelVar
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.Handler.Enabled(ctx, l)
}

func (h levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(attrs), h.level}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(name), h.level}
}

// Listen opens an adapter on a TARS endpoint ("tcp -h 127.0.0.1 -p 10000
// -t 60000"; port 0 picks a free port, "ssl" needs the TLS option). The
// adapter accepts connections once Serve runs (at once if it already
// does).
func (s *Server) Listen(ep string, opts ...AdapterOption) (*Adapter, error) {
	e, err := endpoint.Parse(ep)
	if err != nil {
		return nil, err
	}
	var o adapterOptions
	for _, opt := range opts {
		opt(&o)
	}
	ln, bound, err := listen(e, o.tls)
	if err != nil {
		return nil, err
	}
	return s.add(newAdapter(s, bound, ln, opts))
}

// ListenOn opens an adapter on an existing listener, such as one inherited
// from a parent process. The endpoint is derived from the listener's
// address.
func (s *Server) ListenOn(ln net.Listener, opts ...AdapterOption) (*Adapter, error) {
	ep := endpoint.Endpoint{Proto: endpoint.TCP, Host: "0.0.0.0", Weight: -1}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		ep.Host, ep.Port = tcp.IP.String(), tcp.Port
	}
	var o adapterOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.tls != nil {
		ep.Proto = endpoint.SSL
	}
	return s.add(newAdapter(s, ep, ln, opts))
}

func (s *Server) add(a *Adapter) (*Adapter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		a.ln.Close()
		return nil, ErrServerClosed
	}
	s.adapters = append(s.adapters, a)
	if s.serving {
		a.start()
	}
	return a, nil
}

// Adapters returns the server's adapters.
func (s *Server) Adapters() []*Adapter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Adapter(nil), s.adapters...)
}

// Serve accepts connections on every adapter until Shutdown or Close has
// finished, and returns ErrServerClosed.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.done
		return ErrServerClosed
	}
	s.serving = true
	for _, a := range s.adapters {
		a.start()
	}
	s.mu.Unlock()
	<-s.done
	return ErrServerClosed
}

// beginClose marks the server closing and returns its adapters, or false
// if it was already closing.
func (s *Server) beginClose() ([]*Adapter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, false
	}
	s.closing = true
	return append([]*Adapter(nil), s.adapters...), true
}

// Shutdown stops the server gracefully: it stops accepting, asks every
// client to reconnect elsewhere (the "_reconnect_" push), waits for
// in-flight requests to finish and connections to close, and closes what
// is left when ctx ends (returning ctx's error). A second call waits for
// the first.
func (s *Server) Shutdown(ctx context.Context) error {
	adapters, first := s.beginClose()
	if !first {
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.log.Info("tars server: shutting down", "adapters", len(adapters))
	s.runOnShutdown(ctx)
	for _, a := range adapters {
		a.stopAccepting(true)
	}
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var err error
wait:
	for {
		n := 0
		for _, a := range adapters {
			n += a.connCount()
		}
		if n == 0 {
			break
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			err = ctx.Err()
			s.log.Warn("tars server: shutdown deadline reached, closing connections", "conns", n)
			break wait
		}
	}
	s.finish(adapters)
	return err
}

// Close stops the server at once: listeners and connections are closed
// and handler contexts cancelled.
func (s *Server) Close() error {
	adapters, first := s.beginClose()
	if !first {
		<-s.done
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.graceful)
	s.runOnShutdown(ctx)
	cancel()
	for _, a := range adapters {
		a.stopAccepting(false)
	}
	s.finish(adapters)
	return nil
}

func (s *Server) finish(adapters []*Adapter) {
	for _, a := range adapters {
		a.closeAll()
	}
	s.cancelBase()
	close(s.done)
}

// Done is closed when the server has shut down.
func (s *Server) Done() <-chan struct{} { return s.done }
