package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/balance"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/internal/transport"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// ErrClosed is wrapped by the errors of calls made after Close (or cut
// short by it).
var ErrClosed = errors.New("tars client: closed")

// maxAttempts bounds how often a call that was never written is sent
// again after its connection failed.
const maxAttempts = 3

// Client calls one servant object. It is safe for concurrent use.
type Client struct {
	obj     string
	opts    options
	log     *slog.Logger
	set     atomic.Pointer[epSet] // the endpoints calls go to now
	handler Handler               // the interceptor chain around roundTrip

	mu        sync.Mutex                  // serialises SetEndpoints and Close
	retired   map[*endpointState]struct{} // removed endpoints still draining
	stopWatch func()                      // ends the resolver's updates

	nextID   atomic.Int32
	inflight atomic.Int64
	closed   atomic.Bool
	ctx      context.Context // cancelled by Close: aborts dials
	cancel   context.CancelFunc
}

var _ servant.Invoker = (*Client)(nil)

// New returns a client for a proxy string: "Obj@tcp -h host -p port[:...]"
// (direct endpoints), or a bare object name when a Resolver is given.
// Connections are opened on first use.
func New(proxy string, opts ...Option) (*Client, error) {
	p, err := endpoint.ParseProxy(proxy)
	if err != nil {
		return nil, err
	}
	o := options{timeout: DefaultTimeout, dialTimeout: DefaultDialTimeout, connsPerEP: 1, shield: DefaultShield,
		maxPacketLen: protocol.DefaultMaxPacketLen}
	for _, opt := range opts {
		opt(&o)
	}
	if o.resolver == nil {
		if len(p.Endpoints) == 0 {
			return nil, fmt.Errorf("tars client: %q has no endpoints and no resolver was given", proxy)
		}
		o.resolver = StaticResolver(p.Endpoints)
	}
	o.connsPerEP = max(o.connsPerEP, 1)
	if o.timeout <= 0 {
		o.timeout = DefaultTimeout
	}
	if o.dialTimeout <= 0 {
		o.dialTimeout = DefaultDialTimeout
	}
	if o.maxPacketLen <= 0 {
		o.maxPacketLen = protocol.DefaultMaxPacketLen
	}
	c := &Client{obj: p.Object, opts: o, log: o.logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(c.ctx, o.dialTimeout)
	defer cancel()
	eps, err := o.resolver.Resolve(ctx, p.Object)
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("tars client: resolve %s: %w", p.Object, err)
	}
	c.set.Store(&epSet{table: balance.New(nil)})
	c.SetEndpoints(eps)
	c.handler = chain(c.roundTrip, o.interceptors)
	if w, ok := o.resolver.(Watcher); ok {
		stop := w.Watch(p.Object, c.SetEndpoints)
		c.mu.Lock()
		c.stopWatch = stop
		c.mu.Unlock()
	}
	go c.watch()
	return c, nil
}

// watch makes sure idle connections are read (see read.go) until Close.
func (c *Client) watch() {
	t := time.NewTicker(watchIdle)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			for _, e := range c.allStates() {
				e.mu.Lock()
				for cn := range e.conns {
					cn.watch(now)
				}
				e.mu.Unlock()
			}
		}
	}
}

// Object returns the servant object name.
func (c *Client) Object() string { return c.obj }

// Endpoints returns the endpoints calls are spread over.
func (c *Client) Endpoints() []endpoint.Endpoint {
	return append([]endpoint.Endpoint(nil), c.set.Load().list...)
}

// Invoke sends req and waits for its reply (for a oneway request, until it
// is written). It fills in req's ServantName, RequestID and Timeout (the
// time left before the call's deadline, in ms); a reply with a non-zero Ret
// is returned with a nil error. Invoke implements servant.Invoker.
func (c *Client) Invoke(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	if idempotent(ctx) {
		return c.invokeRetrying(ctx, req)
	}
	resp := new(protocol.ResponsePacket)
	if err := c.handler(ctx, req, resp); err != nil {
		return nil, err
	}
	if req.PacketType == protocol.PacketOneway {
		return nil, nil
	}
	return resp, nil
}

// InvokeAsync sends req and returns at once; done is called exactly once
// with the reply or the error (for a oneway request, with a nil reply once
// it is written). req must not be changed until then. done runs on a
// connection goroutine or a timer and must not block.
//
// Without interceptors no goroutine is started for the call. Interceptors
// are written as blocking functions, so with interceptors the chain runs
// on a goroutine of its own.
func (c *Client) InvokeAsync(ctx context.Context, req *protocol.RequestPacket, done func(*protocol.ResponsePacket, error)) {
	if len(c.opts.interceptors) > 0 || idempotent(ctx) {
		go func() { done(c.Invoke(ctx, req)) }()
		return
	}
	cl := c.newCall(req, new(protocol.ResponsePacket))
	cl.cb = done
	c.startAsync(ctx, cl)
}

// Future is the result of an asynchronous call started with Go.
type Future struct {
	done chan struct{}
	resp *protocol.ResponsePacket
	err  error
}

// Done is closed when the call has completed.
func (f *Future) Done() <-chan struct{} { return f.done }

// Wait waits for the call and returns its reply or error, as Invoke does.
func (f *Future) Wait() (*protocol.ResponsePacket, error) {
	<-f.done
	return f.resp, f.err
}

// Go starts a call and returns its Future.
func (c *Client) Go(ctx context.Context, req *protocol.RequestPacket) *Future {
	f := &Future{done: make(chan struct{})}
	c.InvokeAsync(ctx, req, func(resp *protocol.ResponsePacket, err error) {
		f.resp, f.err = resp, err
		close(f.done)
	})
	return f
}

// Close closes every connection; calls in flight fail with ErrClosed.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.cancel()
	c.mu.Lock()
	stop := c.stopWatch
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	err := &servant.Error{Code: protocol.ProxyConnectErr, Message: "client closed", Err: ErrClosed}
	for _, e := range c.allStates() {
		e.closeAll(err)
	}
	return nil
}

func (c *Client) newCall(req *protocol.RequestPacket, resp *protocol.ResponsePacket) *call {
	c.inflight.Add(1)
	req.ServantName = c.obj
	id := c.nextID.Add(1)
	for id == 0 { // 0 is the server's push
		id = c.nextID.Add(1)
	}
	req.RequestID = id
	return &call{client: c, req: req, resp: resp, oneway: req.PacketType == protocol.PacketOneway}
}

// route takes the call's routing from its context: the hash (package
// balance) and, for a retried idempotent call, the endpoint to avoid.
func (cl *call) route(ctx context.Context) {
	cl.mode, cl.code = balance.FromContext(ctx)
	if r, ok := ctx.Value(retryKey{}).(*retryState); ok {
		cl.retry = r
	}
}

// deadline returns the call's deadline and sets req.Timeout to the time
// left, or reports that none is left.
func (c *Client) deadline(ctx context.Context, req *protocol.RequestPacket) (time.Time, bool) {
	timeout := c.opts.timeout
	if req.Timeout > 0 {
		timeout = time.Duration(req.Timeout) * time.Millisecond
	}
	now := time.Now()
	deadline := now.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	left := deadline.Sub(now)
	if left <= 0 {
		return deadline, false
	}
	req.Timeout = int32(min((left+time.Millisecond-1)/time.Millisecond, 1<<31-1))
	return deadline, true
}

// roundTrip is the innermost Handler: a synchronous call.
func (c *Client) roundTrip(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
	cl := c.newCall(req, resp)
	cl.done = make(chan struct{})
	cl.route(ctx)
	if err := c.admit(ctx, cl); err != nil {
		cl.complete(err)
		return err
	}
	deadline, ok := c.deadline(ctx, req)
	if !ok {
		err := ctxError(ctx, req)
		if ctx.Err() == nil {
			err = timeoutError(req, context.DeadlineExceeded)
		}
		cl.complete(err)
		return err
	}
	if err := c.dispatch(cl, true); err != nil {
		cl.complete(err)
		return cl.err
	}
	if cn := cl.inlineConn; cn != nil {
		return cn.readFor(ctx, cl, deadline)
	}
	return cl.wait(ctx, deadline)
}

// startAsync arms the deadline of an asynchronous call and sends it.
func (c *Client) startAsync(ctx context.Context, cl *call) {
	cl.route(ctx)
	if err := c.admit(ctx, cl); err != nil {
		cl.complete(err)
		return
	}
	deadline, ok := c.deadline(ctx, cl.req)
	if !ok {
		cl.complete(timeoutError(cl.req, context.DeadlineExceeded))
		return
	}
	cl.armMu.Lock()
	if d, has := ctx.Deadline(); !has || deadline.Before(d) {
		cl.timer = time.AfterFunc(time.Until(deadline), func() {
			cl.abandon(timeoutError(cl.req, context.DeadlineExceeded))
		})
	}
	if ctx.Done() != nil {
		cl.stop = context.AfterFunc(ctx, func() { cl.abandon(ctxError(ctx, cl.req)) })
	}
	cl.armMu.Unlock()
	if cl.state.Load() != callPending {
		return // expired while being armed
	}
	if err := c.dispatch(cl, false); err != nil {
		cl.complete(err)
	}
}

// admit checks that the call may start.
func (c *Client) admit(ctx context.Context, cl *call) error {
	if c.closed.Load() {
		return &servant.Error{Code: protocol.ProxyConnectErr, Message: "client closed", Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return ctxError(ctx, cl.req)
	}
	if m := c.opts.maxInFlight; m > 0 && c.inflight.Load() > int64(m) {
		return &servant.Error{Code: protocol.SendRequestErr, Message: fmt.Sprintf("too many calls in flight (max %d)", m)}
	}
	return nil
}

// dispatch picks a connection for the call and queues its frame there. A
// nil error means the call is in the hands of a connection. With inline, a
// synchronous call alone on its connection gets the read role
// (cl.inlineConn) to read its own reply; otherwise the connection's
// background reader is started if need be.
func (c *Client) dispatch(cl *call, inline bool) error {
	f, err := transport.Encode(cl.req, c.opts.maxPacketLen)
	if err != nil {
		return err
	}
	defer f.Release()
	var lastErr error
	for cl.attempts < maxAttempts {
		cl.attempts++
		cn, err := c.pick(cl)
		if err != nil {
			return err
		}
		cl.conn.Store(cn)
		if !cn.pending.add(cl) {
			continue // closed meanwhile
		}
		// Write directly when this is the only call on the connection.
		alone := cn.pending.len() == 1
		err = cn.q.Append(f.Bytes(), cl, alone)
		if err == nil {
			// cn.inline is set with the reader under cn.mu once dialled:
			// read it only after acquireRead has taken that lock.
			if inline && alone && cn.acquireRead() {
				if cn.inline {
					cl.inlineConn = cn
				} else {
					cn.releaseRead() // hands the read role to the background reader
				}
			} else {
				cn.ensureReader()
			}
			return nil
		}
		if cn.pending.remove(cl.req.RequestID) == nil {
			return nil // the connection failed and settles the call
		}
		if errors.Is(err, transport.ErrQueueFull) {
			return &servant.Error{Code: protocol.SendRequestErr, Message: "send queue of " + cn.ep.ep.String() + " full", Err: err}
		}
		lastErr = err
	}
	return &servant.Error{Code: protocol.ProxyConnectErr, Message: "no connection accepted the call", Err: lastErr}
}

// redispatch sends again a call its connection never wrote.
func (c *Client) redispatch(cl *call, cause error) {
	if cl.state.Load() != callPending {
		return
	}
	if c.closed.Load() {
		cl.complete(&servant.Error{Code: protocol.ProxyConnectErr, Message: "client closed", Err: ErrClosed})
		return
	}
	if cl.attempts >= maxAttempts {
		cl.complete(lostError(cl.conn.Load().ep.ep, cause))
		return
	}
	if err := c.dispatch(cl, false); err != nil {
		cl.complete(err)
	}
}
