package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Adapter is one listening endpoint of a Server and the servants it
// serves. Its methods are safe for concurrent use.
type Adapter struct {
	srv     *Server
	ep      endpoint.Endpoint // with the port actually bound
	ln      net.Listener
	opts    adapterOptions
	pool    *pool
	rescuer *rescuer

	servants atomic.Pointer[map[string]Handler] // copy on write

	mu       sync.Mutex
	conns    map[*conn]struct{}
	started  bool
	stopped  bool
	draining bool
	done     chan struct{} // closed when the accept loop has returned

	accepted      atomic.Int64
	overloads     atomic.Int64
	queueTimeouts atomic.Int64
}

func newAdapter(s *Server, ep endpoint.Endpoint, ln net.Listener, opts []AdapterOption) *Adapter {
	o := adapterOptions{
		maxInFlight:  DefaultMaxInFlight,
		queueCap:     DefaultQueueCap,
		queueTimeout: DefaultQueueTimeout,
		idleTimeout:  time.Duration(ep.Timeout) * time.Millisecond,
		maxPacketLen: protocol.DefaultMaxPacketLen,
	}
	if o.idleTimeout <= 0 {
		o.idleTimeout = DefaultIdleTimeout
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxInFlight <= 0 {
		o.maxInFlight = DefaultMaxInFlight
	}
	if o.queueCap == 0 {
		o.queueCap = DefaultQueueCap
	}
	if o.maxPacketLen <= 0 {
		o.maxPacketLen = protocol.DefaultMaxPacketLen
	}
	if o.name == "" {
		o.name = ep.String()
	}
	a := &Adapter{srv: s, ep: ep, ln: ln, opts: o, conns: map[*conn]struct{}{}, done: make(chan struct{})}
	a.pool = newPool(o.maxInFlight, o.queueCap, func(r *request) { r.conn.run(r) })
	a.rescuer = newRescuer(a)
	a.servants.Store(&map[string]Handler{})
	return a
}

// Handle serves the servant object obj (e.g. "App.Server.Obj") with d on
// this adapter, through the server's interceptors. A later Handle for the
// same name replaces the earlier one.
func (a *Adapter) Handle(obj string, d servant.Dispatcher) {
	h := chain(d.Dispatch, a.srv.opts.interceptors)
	a.mu.Lock()
	defer a.mu.Unlock()
	old := *a.servants.Load()
	m := make(map[string]Handler, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[obj] = h
	a.servants.Store(&m)
}

func (a *Adapter) handler(obj string) Handler { return (*a.servants.Load())[obj] }

// Servants returns the names of the servant objects served.
func (a *Adapter) Servants() []string {
	m := *a.servants.Load()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names
}

// Addr returns the listening address.
func (a *Adapter) Addr() net.Addr { return a.ln.Addr() }

// Endpoint returns the adapter's endpoint, with the port actually bound
// (useful after listening on port 0).
func (a *Adapter) Endpoint() endpoint.Endpoint { return a.ep }

// Name returns the adapter's name.
func (a *Adapter) Name() string { return a.opts.name }

// start launches the accept loop and the idle sweeper, once.
func (a *Adapter) start() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started || a.stopped {
		return
	}
	a.started = true
	go a.acceptLoop()
	go a.sweep()
	go a.rescuer.run(a.srv.done)
}

func (a *Adapter) acceptLoop() {
	defer close(a.done)
	var delay time.Duration
	for {
		nc, err := a.ln.Accept()
		if err != nil {
			if a.isStopped() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			a.srv.log.Error("tars server: accept", "adapter", a.opts.name, "err", err, "retry", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		a.accepted.Add(1)
		c := newConn(a, nc)
		if !a.addConn(c) {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

func (a *Adapter) isStopped() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopped
}

func (a *Adapter) addConn(c *conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped || (a.opts.maxConns > 0 && len(a.conns) >= a.opts.maxConns) {
		if !a.stopped {
			a.srv.log.Warn("tars server: too many connections", "adapter", a.opts.name, "max", a.opts.maxConns)
		}
		return false
	}
	a.conns[c] = struct{}{}
	return true
}

func (a *Adapter) removeConn(c *conn) {
	a.mu.Lock()
	delete(a.conns, c)
	a.mu.Unlock()
}

func (a *Adapter) connList() []*conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := make([]*conn, 0, len(a.conns))
	for c := range a.conns {
		list = append(list, c)
	}
	return list
}

// sweep closes idle connections, and during a graceful shutdown the
// drained ones, until the adapter has stopped and has no connections.
func (a *Adapter) sweep() {
	period := min(max(min(a.opts.idleTimeout, a.srv.opts.drainIdle)/4, 10*time.Millisecond), time.Second)
	t := time.NewTicker(period)
	defer t.Stop()
	for range t.C {
		a.mu.Lock()
		stopped, draining, n := a.stopped, a.draining, len(a.conns)
		a.mu.Unlock()
		if stopped && n == 0 {
			return
		}
		limit := a.opts.idleTimeout
		if draining {
			limit = min(limit, a.srv.opts.drainIdle)
		}
		now := time.Now()
		for _, c := range a.connList() {
			if c.idle(now, limit) {
				c.close(nil)
			}
		}
	}
}

// stopAccepting closes the listener, and with drain asks every connection
// to reconnect elsewhere.
func (a *Adapter) stopAccepting(drain bool) {
	a.mu.Lock()
	a.stopped, a.draining = true, drain
	started := a.started
	a.mu.Unlock()
	a.ln.Close()
	if !started {
		close(a.done)
	}
	<-a.done
	if drain {
		for _, c := range a.connList() {
			c.pushReconnect()
		}
	}
}

// closeAll closes every connection now.
func (a *Adapter) closeAll() {
	for _, c := range a.connList() {
		c.close(nil)
	}
}

// connCount returns the number of open connections.
func (a *Adapter) connCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.conns)
}

// listen opens the listener for ep.
func listen(ep endpoint.Endpoint, cfg *tls.Config) (net.Listener, endpoint.Endpoint, error) {
	switch ep.Proto {
	case endpoint.TCP:
	case endpoint.SSL:
		if cfg == nil {
			return nil, ep, fmt.Errorf("tars server: %s: ssl endpoint without a TLS configuration (use server.TLS)", ep)
		}
	default:
		return nil, ep, fmt.Errorf("tars server: %s: transport %s not supported", ep, ep.Proto)
	}
	ln, err := net.Listen("tcp", ep.Address())
	if err != nil {
		return nil, ep, fmt.Errorf("tars server: listen %s: %w", ep, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		ep.Port = tcp.Port
	}
	if ep.Host == "*" || ep.Host == "" {
		ep.Host = "0.0.0.0"
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
		if ep.Proto == endpoint.TCP {
			ep.Proto = endpoint.SSL
		}
	}
	return ln, ep, nil
}

// status describes the adapter for tars.viewstatus.
func (a *Adapter) status() string {
	running, queued := a.pool.load()
	return fmt.Sprintf("adapter %s: endpoint %q servants %v conns %d accepted %d running %d queued %d "+
		"max-in-flight %d queue-cap %d overloads %d queue-timeouts %d",
		a.opts.name, a.ep.String(), a.Servants(), a.connCount(), a.accepted.Load(), running, queued,
		a.opts.maxInFlight, max0(a.opts.queueCap), a.overloads.Load(), a.queueTimeouts.Load())
}

// connections describes the open connections for tars.connection.
func (a *Adapter) connections() []string {
	var lines []string
	now := time.Now()
	for _, c := range a.connList() {
		lines = append(lines, "adapter "+a.opts.name+" remote "+c.remote.String()+
			" age "+now.Sub(c.created).Truncate(time.Millisecond).String()+
			" requests "+strconv.FormatInt(c.requests.Load(), 10)+
			" in-flight "+strconv.Itoa(int(c.inflight.Load()))+
			" idle "+now.Sub(time.Unix(0, c.lastRecv.Load())).Truncate(time.Millisecond).String())
	}
	return lines
}
