package server

import "sync/atomic"

// pool runs an adapter's requests: at most max at once, at most cap(queue)
// waiting. There is no fixed set of workers: a request that finds a free
// slot starts a goroutine (the runtime recycles goroutines and their
// stacks, so this costs about as much as waking a parked worker), and a
// goroutine that finishes takes the next queued request before giving its
// slot back. Idle adapters therefore hold no goroutines, busy ones at most
// max.
type pool struct {
	max     int32
	running atomic.Int32
	queue   chan *request
	run     func(*request)
}

func newPool(max, queueCap int, run func(*request)) *pool {
	return &pool{max: int32(max), queue: make(chan *request, max0(queueCap)), run: run}
}

func max0(n int) int { return max(n, 0) }

// submit runs r or queues it; it reports false when the queue is full.
func (p *pool) submit(r *request) bool {
	if p.running.Add(1) <= p.max {
		go p.work(r)
		return true
	}
	p.running.Add(-1)
	select {
	case p.queue <- r:
	default:
		return false
	}
	// Every goroutine may have finished between the failed Add and the
	// enqueue; make sure someone takes the request.
	if p.running.Add(1) <= p.max {
		go p.work(nil)
	} else {
		p.running.Add(-1)
	}
	return true
}

func (p *pool) work(r *request) {
	for {
		if r != nil {
			p.run(r)
		}
		select {
		case r = <-p.queue:
			continue
		default:
		}
		p.running.Add(-1)
		// A request queued after the select but before the decrement saw
		// the pool full and relies on a running goroutine: look again.
		if len(p.queue) == 0 {
			return
		}
		if p.running.Add(1) > p.max {
			p.running.Add(-1) // the others running will take it
			return
		}
		r = nil
	}
}

// load returns the running and queued request counts.
func (p *pool) load() (running, queued int) {
	return int(p.running.Load()), len(p.queue)
}
