package transport

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/outpost-edge/outpost/tars/protocol"
)

// recorder is an io.Writer that records each Write, can fail, and can
// block until released.
type recorder struct {
	mu     sync.Mutex
	writes [][]byte
	fail   error
	block  chan struct{} // if set, Write waits on it
	in     chan struct{} // if set, Write signals entry
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.in != nil {
		r.in <- struct{}{}
	}
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func (r *recorder) all() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.writes...)
}

func run(q *SendQueue) chan error {
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	return done
}

// TestBatching: frames queued while the role is held leave in one write,
// and every token is reported written.
func TestBatching(t *testing.T) {
	rec := &recorder{}
	q := NewSendQueue(rec, 0)
	var written []any
	q.OnWritten = func(tok any) { written = append(written, tok) }
	done := run(q)
	q.Hold()
	for i := range 5 {
		if err := q.Append([]byte{byte(i)}, i, true); err != nil {
			t.Fatal(err)
		}
	}
	q.Release()
	q.Close(nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w := rec.all(); len(w) != 1 || !bytes.Equal(w[0], []byte{0, 1, 2, 3, 4}) {
		t.Fatalf("writes = %v", w)
	}
	if len(written) != 5 || written[4] != 4 {
		t.Fatalf("written tokens = %v", written)
	}
	if err := q.Append([]byte{9}, nil, true); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
}

// TestDirectWrite: a lone direct producer writes its frame itself, before
// Append returns; an indirect one leaves it to Run.
func TestDirectWrite(t *testing.T) {
	rec := &recorder{}
	q := NewSendQueue(rec, 0)
	if err := q.Append([]byte("a"), nil, true); err != nil {
		t.Fatal(err)
	}
	if w := rec.all(); len(w) != 1 || string(w[0]) != "a" {
		t.Fatalf("direct write = %q", w)
	}
	done := run(q)
	if err := q.Append([]byte("b"), nil, false); err != nil {
		t.Fatal(err)
	}
	q.Close(nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w := rec.all(); len(w) != 2 || string(w[1]) != "b" {
		t.Fatalf("writes = %q", w)
	}
}

// TestHandoff: frames appended during a producer's write are passed to Run
// and leave together.
func TestHandoff(t *testing.T) {
	rec := &recorder{block: make(chan struct{}), in: make(chan struct{}, 10)}
	q := NewSendQueue(rec, 0)
	done := run(q)
	first := make(chan error)
	go func() { first <- q.Append([]byte("1"), nil, true) }()
	<-rec.in // the producer is writing
	q.Append([]byte("2"), nil, true)
	q.Append([]byte("3"), nil, true)
	rec.block <- struct{}{}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	<-rec.in
	rec.block <- struct{}{}
	q.Close(nil)
	close(rec.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if w := rec.all(); len(w) != 2 || string(w[0]) != "1" || string(w[1]) != "23" {
		t.Fatalf("writes = %q", w)
	}
}

// TestTake: queued frames not yet written come back, and the queue stops.
func TestTake(t *testing.T) {
	q := NewSendQueue(&recorder{}, 0)
	done := run(q)
	q.Hold()
	q.Append([]byte("x"), "call-1", true)
	q.Append([]byte("y"), "call-2", true)
	marks := q.Take()
	if len(marks) != 2 || marks[0].Token != "call-1" || marks[1].Token != "call-2" {
		t.Fatalf("Take = %v", marks)
	}
	if err := q.Append([]byte("z"), nil, true); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Take = %v", err)
	}
	q.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestWriteError: the first write error closes the queue, reaches OnError
// once and is what Run returns; frames not written are not reported.
func TestWriteError(t *testing.T) {
	boom := errors.New("boom")
	rec := &recorder{fail: boom}
	q := NewSendQueue(rec, 0)
	var errs []error
	q.OnError = func(err error) { errs = append(errs, err) }
	var written int
	q.OnWritten = func(any) { written++ }
	done := run(q)
	if err := q.Append([]byte("a"), 1, true); err != nil {
		t.Fatal(err) // the frame was accepted; the write then failed
	}
	if err := q.Append([]byte("b"), 2, true); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after a failed write = %v", err)
	}
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("Run = %v", err)
	}
	if len(errs) != 1 || written != 0 {
		t.Fatalf("OnError calls %v, written %d", errs, written)
	}
}

func TestCloseWithErrorDrops(t *testing.T) {
	rec := &recorder{}
	q := NewSendQueue(rec, 0)
	done := run(q)
	q.Hold()
	q.Append([]byte("a"), nil, true)
	stop := errors.New("stop")
	q.Close(stop)
	q.Release()
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("Run = %v", err)
	}
	if w := rec.all(); len(w) != 0 {
		t.Fatalf("writes after an error close: %q", w)
	}
}

func TestQueueFull(t *testing.T) {
	q := NewSendQueue(&recorder{}, 4)
	q.Hold()
	if err := q.Append([]byte("abc"), nil, true); err != nil {
		t.Fatal(err)
	}
	if err := q.Append([]byte("de"), nil, true); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("over the limit = %v", err)
	}
	if q.Pending() != 3 {
		t.Fatalf("Pending = %d", q.Pending())
	}
}

func TestEncode(t *testing.T) {
	req := &protocol.RequestPacket{Version: 1, RequestID: 7, FuncName: "f", Buffer: make([]byte, 100)}
	f, err := Encode(req, 0)
	if err != nil {
		t.Fatal(err)
	}
	body, rest, ok, err := protocol.SplitFrame(f.Bytes(), 0)
	var back protocol.RequestPacket
	if !ok || err != nil || len(rest) != 0 || back.Decode(body) != nil || back.RequestID != 7 {
		t.Fatalf("frame = % x", f.Bytes())
	}
	f.Release()
	var fe *protocol.FrameLengthError
	if _, err := Encode(req, 50); !errors.As(err, &fe) {
		t.Fatalf("over max = %v", err)
	}
}
