package registry

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/servant"
)

// PushDesc is the sResultDesc of a change pushed to a watcher; the push's
// sBuffer is a queryf.ObjectChange written as a bare struct.
const PushDesc = "outpost.registry.change"

// maxWatchItems bounds the objects one connection watches.
const maxWatchItems = 1024

// watch serves the Watch interface: each connection that calls watch is
// subscribed to its items, and every change the Source reports for one of
// them is pushed to it (TARS server push, request id 0) with a version, so
// that a client can drop a snapshot older than what it has. Versions are
// wall-clock nanoseconds taken before the state is read (and increasing
// within a replica), so that snapshots from different replicas of a
// stateless registry compare too.
//
// Source.Subscribe's callback must not block, so it only marks the object
// dirty; one goroutine computes and sends the pushes. Changes of one
// object in a burst collapse into one push carrying the latest state.
type watch struct {
	src   Source
	rules Rules
	log   *slog.Logger

	version atomic.Int64 // last version handed out

	mu        sync.Mutex
	subs      map[servant.PushConn]*subscription
	byObj     map[string]map[*subscription]struct{}
	dirty     map[string]struct{}
	wake      chan struct{}
	cancel    func()
	closeOnce sync.Once
	stop      chan struct{}
	done      chan struct{}
}

// subscription is one connection's watched items.
type subscription struct {
	conn   servant.PushConn
	caller string // its IDC group
	items  []queryf.WatchItem
}

func newWatch(src Source, rules Rules, log *slog.Logger) *watch {
	w := &watch{src: src, rules: rules, log: log,
		subs: map[servant.PushConn]*subscription{}, byObj: map[string]map[*subscription]struct{}{},
		dirty: map[string]struct{}{}, wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	w.cancel = src.Subscribe(w.changed)
	go w.run()
	return w
}

// close stops pushing.
func (w *watch) close() {
	w.closeOnce.Do(func() {
		w.cancel()
		close(w.stop)
	})
	<-w.done
}

// changed is the Source's callback.
func (w *watch) changed(obj string) {
	w.mu.Lock()
	if _, ok := w.byObj[obj]; ok {
		w.dirty[obj] = struct{}{}
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watch) run() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case <-w.wake:
		}
		w.mu.Lock()
		dirty := w.dirty
		w.dirty = map[string]struct{}{}
		type target struct {
			sub  *subscription
			item queryf.WatchItem
		}
		var targets []target
		for obj := range dirty {
			for s := range w.byObj[obj] {
				for _, it := range s.items {
					if it.Id == obj {
						targets = append(targets, target{s, it})
					}
				}
			}
		}
		w.mu.Unlock()
		for _, t := range targets {
			ch := w.snapshot(t.item, t.sub.caller)
			if err := push(t.sub.conn, &ch); err != nil {
				w.log.Debug("tars registry: push failed", "obj", t.item.Id, "err", err)
			}
		}
	}
}

// snapshot is the current state of one item as its caller sees it.
func (w *watch) snapshot(it queryf.WatchItem, callerGroup string) queryf.ObjectChange {
	v := w.nextVersion() // before reading: the state is at least this new
	insts := w.src.Instances(it.Id)
	var a, in []Instance
	if it.SetId != "" {
		a, in = w.rules.sameSet(insts, it.SetId, callerGroup)
	} else {
		a, in = w.rules.sameGroup(insts, callerGroup)
	}
	return queryf.ObjectChange{Id: it.Id, Version: v, ActiveEp: toWire(a), InactiveEp: toWire(in)}
}

// nextVersion returns a version above every one before, normally the
// current time in nanoseconds.
func (w *watch) nextVersion() int64 {
	for {
		last := w.version.Load()
		v := max(time.Now().UnixNano(), last+1)
		if w.version.CompareAndSwap(last, v) {
			return v
		}
	}
}

// push sends one change.
func push(c servant.PushConn, ch *queryf.ObjectChange) error {
	wr := codec.NewWriter(nil)
	if err := ch.WriteFields(wr); err != nil {
		return err
	}
	return c.Push(&protocol.ResponsePacket{Version: protocol.VersionTars, ResultDesc: PushDesc, Buffer: wr.Bytes()})
}

// DecodeChange decodes the sBuffer of a change push.
func DecodeChange(buf []byte) (queryf.ObjectChange, error) {
	var ch queryf.ObjectChange
	r := codec.NewReader(buf)
	if err := ch.ReadFields(r); err != nil {
		return queryf.ObjectChange{}, fmt.Errorf("registry change push: %w", err)
	}
	return ch, nil
}

// Watch subscribes the caller's connection to items (replacing what it
// watched before) and returns their state.
func (w *watch) Watch(ctx context.Context, items []queryf.WatchItem) (int32, []queryf.ObjectChange, error) {
	if len(items) > maxWatchItems {
		return 0, nil, badRequest(fmt.Errorf("%d items (max %d)", len(items), maxWatchItems))
	}
	for _, it := range items {
		if err := checkObject(it.Id); err != nil {
			return 0, nil, badRequest(err)
		}
	}
	cur := servant.CurrentFromContext(ctx)
	if cur == nil || cur.Conn == nil {
		return 0, nil, &servant.Error{Code: protocol.ServerUnknownErr, Message: "watch needs a connection that takes pushes"}
	}
	caller := w.src.GroupOf(callerIP(ctx))
	s := &subscription{conn: cur.Conn, caller: caller, items: items}
	// Subscribe before reading the state, so that no change falls between.
	w.mu.Lock()
	old, had := w.subs[cur.Conn]
	if had {
		w.unindex(old)
	}
	w.subs[cur.Conn] = s
	for _, it := range items {
		m := w.byObj[it.Id]
		if m == nil {
			m = map[*subscription]struct{}{}
			w.byObj[it.Id] = m
		}
		m[s] = struct{}{}
	}
	w.mu.Unlock()
	if !had {
		go w.forget(cur.Conn)
	}
	out := make([]queryf.ObjectChange, len(items))
	for i, it := range items {
		out[i] = w.snapshot(it, caller)
	}
	return 0, out, nil
}

// forget drops a connection's subscription when it closes.
func (w *watch) forget(c servant.PushConn) {
	select {
	case <-c.Done():
	case <-w.stop:
		return
	}
	w.mu.Lock()
	if s, ok := w.subs[c]; ok {
		w.unindex(s)
		delete(w.subs, c)
	}
	w.mu.Unlock()
}

func (w *watch) unindex(s *subscription) {
	for _, it := range s.items {
		if m := w.byObj[it.Id]; m != nil {
			delete(m, s)
			if len(m) == 0 {
				delete(w.byObj, it.Id)
			}
		}
	}
}

// watchers returns how many connections watch (for tests and metrics).
func (w *watch) watchers() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.subs)
}
