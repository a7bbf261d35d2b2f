package server

import (
	"sync/atomic"
	"time"
)

// workerIdle is how long a pool goroutine with nothing to do waits for a
// request before exiting.
const workerIdle = 10 * time.Second

// pool runs an adapter's requests on at most max goroutines, with at most
// cap(queue) requests waiting. Goroutines are started on demand and wait
// for more work for workerIdle before exiting, so that a busy adapter
// reuses them (their stacks are already grown) and an idle one holds none.
type pool struct {
	max     int32
	workers atomic.Int32 // goroutines alive
	idle    atomic.Int32 // goroutines waiting on the queue
	queue   chan *request
	run     func(*request)
}

func newPool(max, queueCap int, run func(*request)) *pool {
	return &pool{max: int32(max), queue: make(chan *request, max0(queueCap)), run: run}
}

func max0(n int) int { return max(n, 0) }

// submit runs r or queues it; it reports false when the queue is full.
func (p *pool) submit(r *request) bool {
	if p.idle.Load() > 0 {
		select {
		case p.queue <- r:
			return true
		default:
		}
	}
	if p.workers.Add(1) <= p.max {
		go p.work(r)
		return true
	}
	p.workers.Add(-1)
	select {
	case p.queue <- r:
	default:
		return false
	}
	// Every goroutine may have exited since the failed Add; make sure
	// someone takes the request.
	if p.workers.Load() == 0 && p.workers.Add(1) <= p.max {
		go p.work(nil)
	}
	return true
}

// acquire takes a slot for a request run outside the pool (inline on a
// connection's reading goroutine); release gives it back.
func (p *pool) acquire() bool {
	if p.workers.Add(1) <= p.max {
		return true
	}
	p.workers.Add(-1)
	return false
}

func (p *pool) release() {
	p.workers.Add(-1)
	// Requests may have been queued while the slot was taken.
	if len(p.queue) > 0 {
		if p.workers.Add(1) <= p.max {
			go p.work(nil)
		} else {
			p.workers.Add(-1)
		}
	}
}

func (p *pool) work(r *request) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		if r != nil {
			p.run(r)
			r = nil
		}
		select {
		case r = <-p.queue:
			continue
		default:
		}
		idle.Reset(workerIdle)
		p.idle.Add(1)
		select {
		case r = <-p.queue:
			p.idle.Add(-1)
			continue
		case <-idle.C:
			p.idle.Add(-1)
		}
		p.workers.Add(-1)
		// A request queued while this goroutine decided to exit: take it
		// back if nobody else can.
		if len(p.queue) == 0 {
			return
		}
		if p.workers.Add(1) > p.max {
			p.workers.Add(-1) // the others alive will take it
			return
		}
	}
}

// load returns the goroutines running requests and the requests queued.
func (p *pool) load() (running, queued int) {
	return int(p.workers.Load() - p.idle.Load()), len(p.queue)
}
