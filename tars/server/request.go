package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// request is one received request from decoding to reply. It is also the
// handler's context.Context, so that the packet, the reply, the
// servant.Current and the context cost one allocation together.
//
// The context is lazy: Value(servant.CurrentKey{}), Deadline and a live
// Err need nothing more, and only a handler that asks for Done, or for
// another value, gets a standard context.WithDeadline built under it (with
// its timer). Handlers that never block on ctx, the common case, pay for
// no timer.
type request struct {
	conn    *conn
	recv    time.Time
	handler Handler

	req  protocol.RequestPacket
	resp protocol.ResponsePacket
	cur  servant.Current

	deadline    time.Time
	hasDeadline bool

	mu       sync.Mutex
	std      atomic.Pointer[context.Context] // materialised context, or nil
	cancel   context.CancelFunc
	finished atomic.Bool // the handler has returned: the context is cancelled
}

var _ context.Context = (*request)(nil)

func (r *request) parent() context.Context { return r.conn.ctx }

// context returns the materialised standard context, building it first.
func (r *request) context() context.Context {
	if p := r.std.Load(); p != nil {
		return *p
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.std.Load(); p != nil {
		return *p
	}
	var ctx context.Context
	if r.hasDeadline {
		ctx, r.cancel = context.WithDeadline(r.parent(), r.deadline)
	} else {
		ctx, r.cancel = context.WithCancel(r.parent())
	}
	if r.finished.Load() {
		r.cancel()
	}
	r.std.Store(&ctx)
	return ctx
}

// Deadline returns receive time + iTimeout, when the request had one.
func (r *request) Deadline() (time.Time, bool) { return r.deadline, r.hasDeadline }

// Done materialises the context.
func (r *request) Done() <-chan struct{} { return r.context().Done() }

// Err reports expiry without materialising the context while it is live.
func (r *request) Err() error {
	if r.std.Load() == nil {
		expired := r.hasDeadline && !time.Now().Before(r.deadline)
		if !expired && !r.finished.Load() && r.parent().Err() == nil {
			return nil
		}
	}
	return r.context().Err()
}

// Value answers servant.CurrentKey{} itself and defers every other key to
// the materialised context, so that context.Cause and derived contexts see
// a standard context.
func (r *request) Value(key any) any {
	if _, ok := key.(servant.CurrentKey); ok {
		return &r.cur
	}
	return r.context().Value(key)
}

// finish cancels the context once the handler has returned, as net/http
// does, releasing its timer.
func (r *request) finish() {
	r.mu.Lock()
	r.finished.Store(true)
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
}
