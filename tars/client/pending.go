package client

import (
	"sync"
	"sync/atomic"
)

// pendingMap holds a connection's calls by request id. It is sharded so
// that callers registering calls and the reader completing them rarely
// meet on a lock.
type pendingMap struct {
	shards [16]struct {
		mu sync.Mutex
		m  map[int32]*call
		_  [40]byte // keep shards on separate cache lines
	}
	n      atomic.Int32
	closed atomic.Bool
}

func (p *pendingMap) shard(id int32) int { return int(uint32(id) % uint32(len(p.shards))) }

// add registers c; it fails once the map is closed.
func (p *pendingMap) add(c *call) bool {
	s := &p.shards[p.shard(c.req.RequestID)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.closed.Load() {
		return false
	}
	if s.m == nil {
		s.m = make(map[int32]*call)
	}
	s.m[c.req.RequestID] = c
	p.n.Add(1)
	return true
}

// remove takes the call with id off the map, or returns nil.
func (p *pendingMap) remove(id int32) *call {
	s := &p.shards[p.shard(id)]
	s.mu.Lock()
	c, ok := s.m[id]
	if ok {
		delete(s.m, id)
	}
	s.mu.Unlock()
	if ok {
		p.n.Add(-1)
	}
	return c
}

func (p *pendingMap) len() int { return int(p.n.Load()) }

// closeAll closes the map and returns every call left in it.
func (p *pendingMap) closeAll() []*call {
	p.closed.Store(true)
	var calls []*call
	for i := range p.shards {
		s := &p.shards[i]
		s.mu.Lock()
		for id, c := range s.m {
			calls = append(calls, c)
			delete(s.m, id)
		}
		s.mu.Unlock()
	}
	p.n.Add(-int32(len(calls)))
	return calls
}
