package client

import (
	"fmt"
	"time"

	"github.com/outpost-edge/outpost/tars/balance"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Watcher is a Resolver that also reports later changes of an object's
// endpoints (a registry-backed resolver). The client applies each update
// with SetEndpoints until it is closed.
type Watcher interface {
	Resolver
	// Watch calls update with every new endpoint list of obj until stop
	// is called. update may be called from any goroutine.
	Watch(obj string, update func([]endpoint.Endpoint)) (stop func())
}

// epSet is one version of the client's endpoint list. Calls load the
// current one without locking; SetEndpoints replaces it whole.
type epSet struct {
	states []*endpointState
	list   []endpoint.Endpoint
	table  *balance.Table
}

// SetEndpoints replaces the endpoints calls are spread over. Endpoints
// that stay (same transport, host and port) keep their connections and
// health; removed ones drain: their calls already written finish there,
// those not yet written go to the new endpoints. Calls in flight are
// never failed by an update. Duplicates are dropped.
func (c *Client) SetEndpoints(eps []endpoint.Endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return
	}
	old := c.set.Load()
	keep := make(map[string]*endpointState, len(old.states))
	for _, e := range old.states {
		keep[balance.Key(e.ep)] = e
	}
	ns := &epSet{}
	seen := make(map[string]bool, len(eps))
	for _, ep := range eps {
		k := balance.Key(ep)
		if seen[k] {
			continue
		}
		seen[k] = true
		e := keep[k]
		if e == nil {
			e = newEndpointState(c, ep, c.opts.connsPerEP)
		}
		delete(keep, k)
		ns.states = append(ns.states, e)
		ns.list = append(ns.list, ep)
	}
	ns.table = balance.New(ns.list)
	c.set.Store(ns)
	for _, e := range keep {
		if c.retired == nil {
			c.retired = map[*endpointState]struct{}{}
		}
		c.retired[e] = struct{}{}
		e.retire()
	}
	if len(keep) > 0 || len(ns.states) != len(old.states) {
		c.log.Debug("tars client: endpoints updated", "obj", c.obj, "endpoints", endpoint.FormatList(ns.list))
	}
}

// allStates returns the current endpoints and the retired ones still
// draining, dropping those that have finished. Connections a racing call
// opened on a retired endpoint are drained again here.
func (c *Client) allStates() []*endpointState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]*endpointState(nil), c.set.Load().states...)
	for e := range c.retired {
		if e.idle() {
			delete(c.retired, e)
			continue
		}
		out = append(out, e)
	}
	return out
}

// pick chooses the connection for a call: the balancer's choice among the
// endpoints that are neither shielded (dead-node shielding) nor backing off
// after failed dials. If every endpoint is shielded, one of them is used
// anyway, as TARS does, since the alternative is failing the call; only
// when every endpoint is backing off does the call fail.
func (c *Client) pick(cl *call) (*conn, error) {
	s := c.set.Load()
	n := len(s.states)
	if n == 0 {
		return nil, &servant.Error{Code: protocol.AdapterNull, Message: "no endpoints for " + c.obj}
	}
	if c.closed.Load() {
		return nil, &servant.Error{Code: protocol.ProxyConnectErr, Message: "client closed", Err: ErrClosed}
	}
	now := time.Now()
	var lastErr error
	var avoid *endpointState
	if cl.retry != nil {
		avoid = cl.retry.last
	}
	shield := &c.opts.shield
	skip := func(i int) bool {
		e := s.states[i]
		if e == avoid {
			return true
		}
		if off, err := e.backingOff(now); off {
			lastErr = err
			return true
		}
		return !shield.Disabled && e.health.shielded(shield, now.UnixNano())
	}
	i := -1
	if n == 1 {
		if !skip(0) {
			i = 0
		}
	} else if p := c.opts.picker; p != nil {
		start := p.Pick(cl.req, s.list)
		for k := range n {
			if j := (start + k) % n; !skip(j) {
				i = j
				break
			}
		}
	} else {
		i = s.table.Pick(cl.mode, cl.code, skip)
	}
	if i < 0 {
		// Everything skipped: take the first endpoint not backing off.
		for k := range n {
			if off, _ := s.states[k].backingOff(now); !off {
				i = k
				break
			}
		}
	}
	if i < 0 {
		return nil, &servant.Error{Code: protocol.ProxyConnectErr,
			Message: fmt.Sprintf("no endpoint of %s reachable: %v", c.obj, lastErr), Err: lastErr}
	}
	return s.states[i].conn(), nil
}
