package client

import (
	"context"
	"errors"
	"os"
	"runtime"
	"time"
)

// One goroutine at a time holds a connection's read role.
//
// A synchronous call that is alone on its connection takes the role and
// reads its own reply (readFor), the way a plain request/response loop
// does: on a small machine every hand-off between goroutines costs a
// thread wake-up on an idle CPU, and that, not the work, dominates the
// latency of a lone call. Otherwise the connection's background reader
// (readBackground) reads and hands replies to their callers; it is started
// when calls wait for it and stops when none do, so that the next lone call
// reads for itself again. While a connection is idle with nobody reading,
// the client's watcher starts the background reader after watchIdle, so
// that a server closing the connection or pushing "_reconnect_" is noticed
// before the next call.

// watchIdle is how long a connection may go unread while idle, and the
// watcher's period.
const watchIdle = 20 * time.Millisecond

// coarseAfter: an inline read whose deadline is further away than this is
// interrupted by the watcher (at most watchIdle late) rather than by a
// timer of its own, which would cost about as much as the rest of the call.
const coarseAfter = time.Second

// aLongTimeAgo is a read deadline that interrupts a read at once.
var aLongTimeAgo = time.Unix(1, 0)

// acquireRead takes the read role if nobody holds it.
func (cn *conn) acquireRead() bool {
	if cn.readingHint.Load() {
		return false // the common case under load, without the lock
	}
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.reading || cn.fr == nil || cn.closing {
		return false
	}
	cn.reading = true
	cn.readingHint.Store(true)
	return true
}

// releaseRead gives the role up, passing it to the background reader if
// calls are waiting for replies.
func (cn *conn) releaseRead() {
	cn.mu.Lock()
	cn.reading = false
	cn.readingHint.Store(false)
	cn.lastRead = time.Now()
	cn.mu.Unlock()
	if cn.pending.len() > 0 {
		cn.ensureReader()
	}
}

// ensureReader starts the background reader unless someone reads.
func (cn *conn) ensureReader() {
	if cn.acquireRead() {
		go cn.readBackground()
	}
}

// watch starts the background reader on a connection left unread while
// idle for watchIdle, and interrupts an inline read past its deadline.
func (cn *conn) watch(now time.Time) {
	if d := cn.inlineDeadline.Load(); d != 0 && now.UnixNano() >= d {
		cn.kick()
	}
	cn.mu.Lock()
	ctx := cn.inlineCtx
	cn.mu.Unlock()
	if ctx != nil && ctx.Err() != nil {
		cn.kick()
	}
	cn.mu.Lock()
	idle := !cn.reading && cn.fr != nil && !cn.closing && now.Sub(cn.lastRead) >= watchIdle
	cn.mu.Unlock()
	if idle {
		cn.ensureReader()
	}
}

// readFrame reads one frame and hands it to its call (or handles a push).
// It reports whether a call got its reply.
func (cn *conn) readFrame() (delivered bool, err error) {
	body, err := cn.fr.Next()
	if err != nil {
		return false, err
	}
	id, tup, err := peekID(body)
	if err != nil {
		return false, err
	}
	if id == 0 {
		cn.push(body)
		return false, nil
	}
	if c := cn.pending.remove(id); c != nil {
		c.deliver(body, tup)
		return true, nil
	}
	return false, nil
}

// interrupted reports whether a read error is the deadline set by kick,
// and clears that deadline.
func (cn *conn) interrupted(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	if cn.kicked.Swap(false) {
		cn.nc.SetReadDeadline(time.Time{})
	}
	return true
}

// setInlineCtx records the context of the inline read in progress, which
// the watcher checks for cancellation (at most watchIdle late: cheaper
// than a context.AfterFunc per call).
func (cn *conn) setInlineCtx(ctx context.Context) {
	cn.mu.Lock()
	cn.inlineCtx = ctx
	cn.mu.Unlock()
}

// kick interrupts the read in progress.
func (cn *conn) kick() {
	cn.kicked.Store(true)
	cn.nc.SetReadDeadline(aLongTimeAgo)
}

// readBackground reads until no call waits, or the connection fails.
func (cn *conn) readBackground() {
	for {
		delivered, err := cn.readFrame()
		if err != nil {
			if cn.interrupted(err) {
				continue // a kick meant for an inline reader
			}
			cn.close(err)
			cn.releaseRead()
			return
		}
		if cn.pending.len() == 0 {
			if cn.isDraining() {
				cn.close(errReconnect)
				cn.releaseRead()
				return
			}
			// A client that takes pushes keeps reading, so that a push is
			// handled when it arrives rather than when the watcher next
			// finds the connection unread.
			if cn.client.opts.onPush == nil {
				cn.releaseRead()
				return
			}
		}
		if delivered && cn.br.Buffered() == 0 {
			// Run the caller just woken on this CPU now, before the next
			// read: otherwise the thread the runtime wakes for it may
			// take it to another CPU, after its own wake-up.
			runtime.Gosched()
		}
	}
}

// readFor reads, with the role held, until cl has its reply, its deadline
// passes or ctx ends; then it passes the role on and returns cl's result.
func (cn *conn) readFor(ctx context.Context, cl *call, deadline time.Time) error {
	timed := time.Until(deadline) < coarseAfter
	if timed {
		cn.kickTimer.Reset(time.Until(deadline))
	} else {
		cn.inlineDeadline.Store(deadline.UnixNano())
	}
	if ctx.Done() != nil {
		cn.setInlineCtx(ctx) // the watcher interrupts the read if ctx is cancelled
	}
	for cl.state.Load() != callDone {
		_, err := cn.readFrame()
		if err == nil {
			continue
		}
		if !cn.interrupted(err) {
			cn.close(err)
			break
		}
		if !time.Now().Before(deadline) {
			cl.abandon(timeoutError(cl.req, context.DeadlineExceeded))
			break
		}
		if ctx.Err() != nil {
			cl.abandon(ctxError(ctx, cl.req))
			break
		}
		// A kick from an earlier call: read on.
	}
	if timed {
		cn.kickTimer.Stop()
	} else {
		cn.inlineDeadline.Store(0)
	}
	if ctx.Done() != nil {
		cn.setInlineCtx(nil)
	}
	if cn.kicked.Swap(false) {
		cn.nc.SetReadDeadline(time.Time{})
	}
	if cn.pending.len() == 0 && cn.isDraining() {
		cn.close(errReconnect)
	}
	cn.releaseRead()
	// The call may have moved to another connection if this one failed
	// before it was written.
	return cl.wait(ctx, deadline)
}
