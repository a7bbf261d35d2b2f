package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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
	res  *[]byte // pooled buffer lent to resp.Buffer for the results

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

// resultBufs recycles the buffers a dispatcher encodes results into. The
// dispatcher appends to resp.Buffer[:0], so lending it a pooled buffer
// saves a payload-sized allocation per call; the reply is encoded into its
// frame before conn.reply returns, after which the runtime takes the buffer
// back (interceptors must not keep resp.Buffer past their return).
var resultBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledResult bounds the buffers kept in resultBufs.
const maxPooledResult = 64 << 10

func (r *request) takeResultBuf() {
	r.res = resultBufs.Get().(*[]byte)
	r.resp.Buffer = (*r.res)[:0]
}

// releaseResultBuf takes the lent buffer back once the reply is encoded.
// resp.Buffer is reused only if it still is the lent array: a handler may
// have replaced it with a slice of its own (shared, say), which must not be
// recycled. If the results outgrew the lent buffer, the pool gets a bigger
// one for next time, so steady state allocates nothing.
func (r *request) releaseResultBuf() {
	p := r.res
	if p == nil {
		return
	}
	r.res = nil
	b := r.resp.Buffer
	r.resp.Buffer = nil
	switch {
	case cap(*p) > 0 && unsafe.SliceData(b) == unsafe.SliceData(*p):
		*p = b[:0]
	case len(b) > cap(*p) && len(b) <= maxPooledResult:
		*p = make([]byte, 0, len(b))
	}
	resultBufs.Put(p)
}
