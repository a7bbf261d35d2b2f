package client

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/balance"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Call states: a call is completed exactly once, by whoever moves it out
// of callPending. The reader moves it to callClaimed while it decodes the
// reply into the caller's ResponsePacket, so that a timeout racing with
// the reply waits for the decode instead of returning while it runs.
const (
	callPending int32 = iota
	callClaimed
	callDone
)

// call is one request in flight.
type call struct {
	client *Client
	req    *protocol.RequestPacket
	resp   *protocol.ResponsePacket
	oneway bool

	state      atomic.Int32
	sent       atomic.Bool          // written whole to a connection
	conn       atomic.Pointer[conn] // where it is registered
	attempts   int                  // dispatches so far; touched by one goroutine at a time
	inlineConn *conn                // the connection whose reply it reads itself (readFor)
	mode       balance.Mode         // routing, from the context
	code       uint64
	retry      *retryState // set for attempts of an idempotent call

	done  chan struct{}                         // closed when complete (sync calls and futures)
	cb    func(*protocol.ResponsePacket, error) // asynchronous callback
	err   error
	armMu sync.Mutex  // held while timer and stop are set
	timer *time.Timer // asynchronous calls' deadline
	stop  func() bool // stops watching the caller's context
}

// complete finishes the call with err if it is still pending.
func (c *call) complete(err error) bool {
	if !c.state.CompareAndSwap(callPending, callDone) {
		return false
	}
	c.err = err
	c.record(false)
	c.finish()
	return true
}

// record notes the call's outcome in its endpoint's health (shielding):
// a reply shows the endpoint alive, a timeout or a connection failure
// counts against it.
func (c *call) record(replied bool) {
	o := &c.client.opts
	cn := c.conn.Load()
	if cn == nil {
		return
	}
	e := cn.ep
	if c.retry != nil {
		c.retry.last = e
	}
	if o.shield.Disabled {
		return
	}
	now := time.Now().UnixNano()
	switch {
	case replied:
		e.health.succeeded(&o.shield, now)
	case endpointFailure(c.err):
		if e.health.failed(&o.shield, now) {
			c.client.log.Warn("tars client: endpoint shielded after failures", "obj", c.client.obj,
				"endpoint", e.ep.String(), "retry", o.shield.RetryInterval)
		}
	}
}

// deliver decodes a reply into the call's response and finishes it, unless
// the call has already completed (timed out).
func (c *call) deliver(body []byte, tup bool) {
	if !c.state.CompareAndSwap(callPending, callClaimed) {
		return
	}
	if err := decodeResponse(c.resp, body, tup); err != nil {
		c.err = &servant.Error{Code: protocol.ClientDecodeErr, Message: "decode response: " + err.Error(), Err: err}
	}
	c.state.Store(callDone)
	c.record(true)
	c.finish()
}

func (c *call) finish() {
	c.client.inflight.Add(-1)
	if c.cb != nil {
		c.armMu.Lock()
		if c.timer != nil {
			c.timer.Stop()
		}
		if c.stop != nil {
			c.stop()
		}
		c.armMu.Unlock()
		if c.err != nil || c.oneway {
			c.cb(nil, c.err)
		} else {
			c.cb(c.resp, nil)
		}
		return
	}
	close(c.done)
}

// abandon completes the call with err (a timeout or cancellation) and
// takes it off its connection.
func (c *call) abandon(err error) bool {
	if !c.complete(err) {
		return false
	}
	if cn := c.conn.Load(); cn != nil && cn.pending.remove(c.req.RequestID) != nil &&
		cn.pending.len() == 0 && cn.isDraining() {
		cn.close(errReconnect)
	}
	return true
}

// timers recycles the deadline timers of synchronous calls.
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// wait blocks until the call completes, ctx ends or the deadline passes.
func (c *call) wait(ctx context.Context, deadline time.Time) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	var timeout <-chan time.Time
	if d, ok := ctx.Deadline(); !ok || deadline.Before(d) {
		t := timers.Get().(*time.Timer)
		t.Reset(time.Until(deadline))
		defer func() {
			t.Stop() // since Go 1.23 no stale value can be received after Stop
			timers.Put(t)
		}()
		timeout = t.C
	}
	select {
	case <-c.done:
		return c.err
	case <-timeout:
		if c.abandon(timeoutError(c.req, context.DeadlineExceeded)) {
			return c.err
		}
	case <-ctx.Done():
		if c.abandon(ctxError(ctx, c.req)) {
			return c.err
		}
	}
	<-c.done // the reply won the race
	return c.err
}

func timeoutError(req *protocol.RequestPacket, cause error) error {
	return &servant.Error{Code: protocol.InvokeTimeout,
		Message: "call " + req.ServantName + "." + req.FuncName + " timed out", Err: cause}
}

func ctxError(ctx context.Context, req *protocol.RequestPacket) error {
	if err := ctx.Err(); err == context.DeadlineExceeded {
		return timeoutError(req, err)
	}
	return ctx.Err()
}
