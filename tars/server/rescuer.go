package server

import (
	"sync/atomic"
	"time"
)

// rescuer watches an adapter's inline requests (see conn.runInline) and
// takes reading over from connections whose inline request has run for
// longer than rescueAfter. It ticks only while inline requests are being
// started, and otherwise sleeps until the next one: one timer per adapter
// instead of one per request.
type rescuer struct {
	ad      *Adapter
	started atomic.Int64 // inline requests started
	parked  atomic.Bool
	wake    chan struct{}
}

func newRescuer(ad *Adapter) *rescuer {
	r := &rescuer{ad: ad, wake: make(chan struct{}, 1)}
	r.parked.Store(true)
	return r
}

// inlineStarted notes an inline request, waking the rescuer if it sleeps.
func (r *rescuer) inlineStarted() {
	r.started.Add(1)
	if r.parked.Load() && r.parked.CompareAndSwap(true, false) {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

func (r *rescuer) run(done <-chan struct{}) {
	t := time.NewTicker(rescueAfter)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-done:
			return
		case <-r.wake:
			t.Reset(rescueAfter)
		}
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				limit := now.Add(-rescueAfter).UnixNano()
				busy := false
				r.ad.mu.Lock()
				for c := range r.ad.conns {
					if c.inlineSince.Load() != 0 {
						busy = true
						c.rescue(limit)
					}
				}
				r.ad.mu.Unlock()
				n := r.started.Load()
				if busy || n != last {
					last = n
					continue
				}
			}
			// Nothing inline since the last tick: sleep until the next one.
			r.parked.Store(true)
			if r.started.Load() != last { // one started meanwhile
				if r.parked.CompareAndSwap(true, false) {
					continue
				}
			}
			break
		}
	}
}
