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

// SendQueue batches the frames of one connection. Append may be called from
// any goroutine; Run is the connection's writer goroutine.
type SendQueue struct {
	w          io.Writer
	maxPending int

	// OnWritten, if set before Run, is called with the token of every
	// frame once it has been written whole.
	OnWritten func(token any)

	mu       sync.Mutex
	pending  []byte
	marks    []Mark
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
	return &SendQueue{w: w, maxPending: maxPending, wake: make(chan struct{}, 1)}
}

// Append queues one encoded frame (copied). token, if not nil, is reported
// to OnWritten once the frame is written, or by Take if it never is.
func (q *SendQueue) Append(frame []byte, token any) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if len(q.pending) > 0 && len(q.pending)+len(frame) > q.maxPending {
		q.mu.Unlock()
		return ErrQueueFull
	}
	first := len(q.pending) == 0
	q.pending = append(q.pending, frame...)
	if token != nil {
		q.marks = append(q.marks, Mark{End: len(q.pending), Token: token})
	}
	q.mu.Unlock()
	if first {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Take removes and returns the tokens of the frames queued but not yet
// handed to the writer, and stops the queue from accepting more: a client
// uses it to move a connection's unsent calls elsewhere when the server
// asks it to reconnect. Frames being written are unaffected.
func (q *SendQueue) Take() []Mark {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	marks := q.marks
	q.pending, q.marks = nil, nil
	return marks
}

// Close stops the queue: Append fails from now on and Run returns once the
// batch it is writing, if any, is done. err is what Run returns (nil for a
// clean stop).
func (q *SendQueue) Close(err error) {
	q.mu.Lock()
	if !q.closed {
		q.closed, q.closeErr = true, err
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Pending returns the number of bytes waiting to be written.
func (q *SendQueue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// Run writes pending frames until Close or a write error, which it
// returns. Frames not written when it returns are dropped (their tokens
// never reach OnWritten).
func (q *SendQueue) Run() error {
	var batch []byte
	var marks []Mark
	for {
		q.mu.Lock()
		for len(q.pending) == 0 && !q.closed {
			q.mu.Unlock()
			<-q.wake
			// Let the producers that are ready run first, so that their
			// frames join this write; with none ready this costs little.
			runtime.Gosched()
			q.mu.Lock()
		}
		if len(q.pending) == 0 || (q.closed && q.closeErr != nil) {
			// Closed: a clean Close still flushes what is pending, an
			// error close abandons it.
			q.pending, q.marks = nil, nil
			err := q.closeErr
			q.mu.Unlock()
			return err
		}
		batch, q.pending = q.pending, batch[:0]
		marks, q.marks = q.marks, marks[:0]
		q.mu.Unlock()

		n, err := q.w.Write(batch)
		if q.OnWritten != nil {
			for _, m := range marks {
				if m.End <= n {
					q.OnWritten(m.Token)
				}
			}
		}
		if err != nil {
			q.mu.Lock()
			q.closed, q.pending, q.marks = true, nil, nil
			if q.closeErr != nil {
				err = q.closeErr
			}
			q.mu.Unlock()
			return err
		}
		if cap(batch) > 1<<20 {
			batch = nil // do not pin a buffer grown by one large frame
		}
		clear(marks) // drop token references
	}
}
