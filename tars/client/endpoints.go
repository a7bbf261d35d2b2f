package client

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

// endpointState is one endpoint and its connection slots.
type endpointState struct {
	client *Client
	ep     endpoint.Endpoint
	slots  []atomic.Pointer[conn]
	next   atomic.Uint32

	mu        sync.Mutex
	conns     map[*conn]struct{} // every open connection, draining ones included
	failures  int                // consecutive failed dials
	backoffTo time.Time          // no new dials before this, while others are usable
	lastErr   error

	health health // call outcomes, for dead-node shielding
}

// Back-off after failed dials: 100 ms, doubling up to 5 s.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

func newEndpointState(c *Client, ep endpoint.Endpoint, conns int) *endpointState {
	e := &endpointState{client: c, ep: ep, slots: make([]atomic.Pointer[conn], conns)}
	e.health.init(time.Now())
	return e
}

// conn returns a usable connection, creating one in an empty slot.
func (e *endpointState) conn() *conn {
	i := 0
	if len(e.slots) > 1 {
		i = int(e.next.Add(1) % uint32(len(e.slots)))
	}
	slot := &e.slots[i]
	for {
		cn := slot.Load()
		if cn != nil && cn.usable() {
			return cn
		}
		fresh := newConnPending(e.client, e)
		if slot.CompareAndSwap(cn, fresh) {
			e.mu.Lock()
			if e.conns == nil {
				e.conns = map[*conn]struct{}{}
			}
			e.conns[fresh] = struct{}{}
			e.mu.Unlock()
			fresh.start()
			return fresh
		}
	}
}

// release empties cn's slot so that the next call opens a new connection.
func (e *endpointState) release(cn *conn) {
	for i := range e.slots {
		e.slots[i].CompareAndSwap(cn, nil)
	}
}

// forget drops a finalized connection.
func (e *endpointState) forget(cn *conn) {
	e.mu.Lock()
	delete(e.conns, cn)
	e.mu.Unlock()
}

// closeAll closes every connection.
func (e *endpointState) closeAll(err error) {
	e.mu.Lock()
	conns := make([]*conn, 0, len(e.conns))
	for cn := range e.conns {
		conns = append(conns, cn)
	}
	e.mu.Unlock()
	for _, cn := range conns {
		cn.close(err)
	}
}

func (e *endpointState) dialFailed(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures++
	d := min(minBackoff<<min(e.failures-1, 10), maxBackoff)
	e.backoffTo, e.lastErr = time.Now().Add(d), err
	e.client.log.Warn("tars client: connect failed", "obj", e.client.obj, "endpoint", e.ep.String(), "err", err, "backoff", d)
}

func (e *endpointState) dialed() {
	e.mu.Lock()
	e.failures, e.backoffTo, e.lastErr = 0, time.Time{}, nil
	e.mu.Unlock()
}

// backingOff reports whether the endpoint failed its last dial recently,
// and that failure.
func (e *endpointState) backingOff(now time.Time) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return now.Before(e.backoffTo), e.lastErr
}

// retire takes the endpoint out of service after it left the endpoint
// list: its connections drain (calls not yet written go elsewhere, calls
// written finish) and close.
func (e *endpointState) retire() {
	e.mu.Lock()
	conns := make([]*conn, 0, len(e.conns))
	for cn := range e.conns {
		conns = append(conns, cn)
	}
	e.mu.Unlock()
	for i := range e.slots {
		e.slots[i].Store(nil)
	}
	for _, cn := range conns {
		cn.drain()
	}
}

// idle reports whether the endpoint has no connection left.
func (e *endpointState) idle() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns) == 0
}
