package transport

import (
	"errors"
	"io"
	"runtime"
	"sync"
)

// ErrClosed is returned by Append once the queue is closed.
var ErrClosed = errors.New("transport: connection closed")

// ErrQueueFull is returned by Append when more than the queue's limit of
// bytes is waiting to be written: the peer is not reading.
var ErrQueueFull = errors.New("transport: send queue full")

// Mark records where a frame ends in the pending bytes, and the token
// given with it (a client's call), so that the queue can report which
// frames reached the connection and hand back those that did not.
type Mark struct {
	End   int
	Token any
}

// SendQueue batches the frames of one connection.
//
// One goroutine at a time holds the write role. Normally the connection's
// writer goroutine (Run) takes it when frames arrive and writes everything
// pending in one Write; under load it first lets the other producers that
// are ready run, so that writes carry many frames. But a hand-off between
// goroutines costs a thread wake-up on an idle CPU, which dominates the
// latency of a lone call; so a producer that knows it is alone on the
// connection (direct) and finds nobody writing writes its frame itself. If
// others appended meanwhile, it passes the role to Run afterwards, so that
// no producer writes for others more than once.
type SendQueue struct {
	w          io.Writer
	maxPending int

	// OnWritten, if set before use, is called with the token of every
	// frame once it has been written whole.
	OnWritten func(token any)
	// OnError, if set before use, is called once, with the first write
	// error; the queue is closed by then.
	OnError func(error)

	mu       sync.Mutex
	idle     sync.Cond // signalled when the write role is released
	pending  []byte
	spare    []byte
	frames   int // frames in pending
	marks    []Mark
	spareMk  []Mark
	writing  bool // some goroutine holds the write role
	handoff  bool // the role is passed to Run
	closed   bool
	closeErr error

	wake chan struct{}
}

// NewSendQueue returns a queue writing to w. maxPending bounds the bytes
// waiting to be written (not counting the batch being written); <= 0 means
// 64 MiB.
func NewSendQueue(w io.Writer, maxPending int) *SendQueue {
	if maxPending <= 0 {
		maxPending = 64 << 20
	}
	q := &SendQueue{w: w, maxPending: maxPending, wake: make(chan struct{}, 1)}
	q.idle.L = &q.mu
	return q
}

// Append queues one encoded frame (copied); with direct, and no write in
// progress, it writes it before returning. token, if not nil, is passed to
// OnWritten once the frame is written, or returned by Take if it never is.
func (q *SendQueue) Append(frame []byte, token any, direct bool) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if len(q.pending) > 0 && len(q.pending)+len(frame) > q.maxPending {
		q.mu.Unlock()
		return ErrQueueFull
	}
	q.pending = append(q.pending, frame...)
	q.frames++
	if token != nil {
		q.marks = append(q.marks, Mark{End: len(q.pending), Token: token})
	}
	if q.writing {
		q.mu.Unlock() // the writer will take it
		return nil
	}
	q.writing = true
	if !direct {
		q.handoff = true
		q.mu.Unlock()
		q.signal()
		return nil
	}
	q.writeLocked()
	if len(q.pending) > 0 && !q.closed {
		q.handoff = true
		q.mu.Unlock()
		q.signal()
		return nil
	}
	q.release()
	q.mu.Unlock()
	return nil
}

// writeLocked writes everything pending, with q.mu held on entry and on
// return (it is released during the write). The caller holds the role.
func (q *SendQueue) writeLocked() {
	batch, marks := q.pending, q.marks
	q.pending, q.marks = q.spare[:0], q.spareMk[:0]
	q.frames = 0
	q.mu.Unlock()

	n, err := q.w.Write(batch)
	if q.OnWritten != nil {
		for _, m := range marks {
			if m.End <= n {
				q.OnWritten(m.Token)
			}
		}
	}
	clear(marks) // drop token references
	if cap(batch) > 1<<20 {
		batch = nil // do not pin a buffer grown by one large frame
	}

	q.mu.Lock()
	q.spare, q.spareMk = batch[:0], marks[:0]
	if err != nil && !q.closed {
		q.closed, q.closeErr = true, err
		q.pending, q.marks, q.frames = nil, nil, 0
		q.signal() // Run returns the error
		if q.OnError != nil {
			q.mu.Unlock()
			q.OnError(err)
			q.mu.Lock()
		}
	}
}

// Hold takes the write role until Release, for a connection that cannot
// be written yet (a client's, while it dials): frames queue up meanwhile.
func (q *SendQueue) Hold() {
	q.mu.Lock()
	for q.writing {
		q.idle.Wait()
	}
	q.writing = true
	q.mu.Unlock()
}

// Release gives back the role taken by Hold, passing what queued up
// meanwhile to Run.
func (q *SendQueue) Release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) > 0 && !q.closed {
		q.handoff = true
		q.signal()
		return
	}
	q.release()
}

// release gives up the write role (q.mu held).
func (q *SendQueue) release() {
	q.writing = false
	q.idle.Broadcast()
}

func (q *SendQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Take removes and returns the tokens of the frames queued but not yet
// handed to a write, and stops the queue from accepting more: a client uses
// it to move a connection's unsent calls elsewhere when the server asks it
// to reconnect. A write in progress is unaffected.
func (q *SendQueue) Take() []Mark {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	marks := q.marks
	q.pending, q.marks, q.frames = nil, nil, 0
	q.signal()
	return marks
}

// Close stops the queue: Append fails from now on. With err nil what is
// pending is still written; otherwise it is dropped. Run returns err once
// no write is in progress any more.
func (q *SendQueue) Close(err error) {
	q.mu.Lock()
	if !q.closed {
		q.closed, q.closeErr = true, err
		if err != nil {
			q.pending, q.marks, q.frames = nil, nil, 0
		}
	}
	q.mu.Unlock()
	q.signal()
}

// Pending returns the number of bytes waiting to be written.
func (q *SendQueue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// Run is the connection's writer goroutine: it takes over the write role
// from producers whose write left frames behind, and flushes after a clean
// Close. It returns, with the close or write error, once the queue is
// closed and no write is in progress, so that afterwards the outcome of
// every frame is known.
func (q *SendQueue) Run() error {
	lastFrames := 0
	for {
		<-q.wake
		q.mu.Lock()
		if q.closed && !q.handoff && q.closeErr == nil && len(q.pending) > 0 {
			// A clean Close with frames left: flush them as the writer.
			for q.writing {
				q.idle.Wait()
			}
			q.writing, q.handoff = true, true
		}
		for q.handoff {
			if len(q.pending) == 0 || (q.closed && q.closeErr != nil) {
				q.handoff = false
				q.release()
				break
			}
			if lastFrames > 1 && !q.closed {
				// Under load (the last write carried several frames), let
				// the producers that are ready run first so that their
				// frames join this write. With one call at a time this
				// would only move the writer to another CPU.
				q.mu.Unlock()
				runtime.Gosched()
				q.mu.Lock()
			}
			lastFrames = q.frames
			q.writeLocked()
		}
		if q.closed {
			for q.writing {
				q.idle.Wait()
			}
			err := q.closeErr
			q.pending, q.marks, q.frames = nil, nil, 0
			q.mu.Unlock()
			return err
		}
		q.mu.Unlock()
	}
}
