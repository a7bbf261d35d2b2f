package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Caller makes one call and returns its result code: the reply's iRet, or
// for a call that got no reply the client-side code (such as -7 for a
// timeout), with the error. Each worker goroutine has its own Caller.
type Caller func(ctx context.Context) (code int32, err error)

// Config describes a load.
type Config struct {
	Concurrency int           // worker goroutines, each with one call in flight (default 1)
	Duration    time.Duration // how long to run, after Warmup; ignored when Calls is set
	Calls       int64         // total calls to make, after Warmup; 0 means run for Duration
	Rate        float64       // total calls per second; 0 means as fast as possible
	Warmup      time.Duration // calls made during the warm-up are not counted
	Progress    io.Writer     // receives a live progress line, or nil
	Interval    time.Duration // progress period (default 1s)
}

// Run applies the load with callers built by newCaller (one per worker)
// and returns the report. It stops early when ctx ends.
func Run(ctx context.Context, cfg Config, newCaller func(worker int) Caller) (*Report, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Calls <= 0 && cfg.Duration <= 0 {
		return nil, errors.New("bench: set a duration or a number of calls")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	workers := make([]*worker, cfg.Concurrency)
	for i := range workers {
		workers[i] = &worker{call: newCaller(i), codes: map[int32]int64{}, samples: map[int32]string{}}
	}
	r := &runner{cfg: cfg, workers: workers}
	return r.run(ctx)
}

type worker struct {
	call    Caller
	hist    Histogram
	codes   map[int32]int64
	samples map[int32]string // first error message per code
	calls   atomic.Int64     // counted calls, for progress
	errors  atomic.Int64
}

type runner struct {
	cfg       Config
	workers   []*worker
	issued    atomic.Int64 // calls started after the warm-up (Calls mode, pacing)
	start     atomic.Int64 // end of the warm-up, UnixNano
	measuring atomic.Bool
}

func (r *runner) run(ctx context.Context) (*Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	begin := time.Now()
	r.start.Store(begin.Add(r.cfg.Warmup).UnixNano())
	if r.cfg.Warmup == 0 {
		r.measuring.Store(true)
	}
	var stop <-chan time.Time
	if r.cfg.Calls == 0 {
		t := time.NewTimer(r.cfg.Warmup + r.cfg.Duration)
		defer t.Stop()
		stop = t.C
	}
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, w)
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	var warm <-chan time.Time
	if r.cfg.Warmup > 0 {
		t := time.NewTimer(r.cfg.Warmup)
		defer t.Stop()
		warm = t.C
	}
	var lastCalls int64
	lastTime := begin
loop:
	for {
		select {
		case <-warm:
			lastTime = time.Now()
			r.start.Store(lastTime.UnixNano())
			r.measuring.Store(true)
		case now := <-tick.C:
			if r.cfg.Progress != nil {
				calls, errs := r.counts()
				qps := float64(calls-lastCalls) / now.Sub(lastTime).Seconds()
				phase := ""
				if !r.measuring.Load() {
					phase = " (warm-up)"
				}
				fmt.Fprintf(r.cfg.Progress, "\r[%6.1fs] calls %d  errors %d  qps %.0f%s   ",
					now.Sub(begin).Seconds(), calls, errs, qps, phase)
				lastCalls, lastTime = calls, now
			}
		case <-stop:
			cancel()
			break loop
		case <-finished:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	<-finished
	end := time.Now()
	if r.cfg.Progress != nil {
		fmt.Fprintln(r.cfg.Progress)
	}
	return r.report(end.Sub(time.Unix(0, r.start.Load()))), nil
}

func (r *runner) counts() (calls, errs int64) {
	for _, w := range r.workers {
		calls += w.calls.Load()
		errs += w.errors.Load()
	}
	return calls, errs
}

// work runs one worker's closed loop.
func (r *runner) work(ctx context.Context, w *worker) {
	var period time.Duration
	if r.cfg.Rate > 0 {
		period = time.Duration(float64(time.Second) / r.cfg.Rate)
	}
	for ctx.Err() == nil {
		measuring := r.measuring.Load()
		if measuring && (r.cfg.Calls > 0 || period > 0) {
			n := r.issued.Add(1)
			if r.cfg.Calls > 0 && n > r.cfg.Calls {
				return
			}
			if period > 0 {
				due := time.Unix(0, r.start.Load()).Add(time.Duration(n-1) * period)
				if wait := time.Until(due); wait > 0 {
					t := time.NewTimer(wait)
					select {
					case <-t.C:
					case <-ctx.Done():
						t.Stop()
						return
					}
				}
			}
		}
		t0 := time.Now()
		code, err := w.call(ctx)
		if !measuring {
			continue
		}
		if err != nil && ctx.Err() != nil && r.cfg.Calls == 0 {
			return // cut short by the end of the run: not a result
		}
		w.hist.Record(time.Since(t0))
		w.calls.Add(1)
		w.codes[code]++
		if code != 0 {
			w.errors.Add(1)
			if _, ok := w.samples[code]; !ok && err != nil {
				w.samples[code] = err.Error()
			}
		}
	}
}
