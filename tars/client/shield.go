package client

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Shield configures dead-node shielding ("client active shielding",
// protocol reference §5.3): an endpoint whose calls keep failing (timeouts,
// failed connections, lost connections) is taken out of rotation, and one
// call is let through every RetryInterval to see whether it is back; on a
// success it rejoins at once.
//
// The defaults are TarsGo's and TarsCpp's historical constants (TarsCpp's
// 2025 "more sensitive" set is ShieldSensitive).
type Shield struct {
	// An endpoint is shielded after MinFailures consecutive failures when
	// MinFailTime has passed since its last success ...
	MinFailures int
	MinFailTime time.Duration
	// ... or when, within a window of CheckInterval, at least
	// MinWindowFailures calls failed and they were at least FailRatio of
	// its calls.
	CheckInterval     time.Duration
	MinWindowFailures int
	FailRatio         float64
	// RetryInterval is how often a shielded endpoint gets a probe call.
	RetryInterval time.Duration
	// Disabled turns shielding off.
	Disabled bool
}

// DefaultShield is TARS's historical setting: 5 consecutive failures and
// 5 s without success, or at least 2 failures making half of the calls in
// 60 s; probe every 30 s.
var DefaultShield = Shield{MinFailures: 5, MinFailTime: 5 * time.Second, CheckInterval: 60 * time.Second,
	MinWindowFailures: 2, FailRatio: 0.5, RetryInterval: 30 * time.Second}

// ShieldSensitive is TarsCpp's 2025 setting (commit d08d5f7).
var ShieldSensitive = Shield{MinFailures: 1, MinFailTime: 3 * time.Second, CheckInterval: 5 * time.Second,
	MinWindowFailures: 1, FailRatio: 0.05, RetryInterval: 5 * time.Second}

// health is an endpoint's call record. It is updated with atomics on every
// call completion; the window counters are approximate under concurrency,
// which is all shielding needs.
type health struct {
	consecutive  atomic.Int32
	lastSuccess  atomic.Int64 // UnixNano
	windowStart  atomic.Int64
	windowCalls  atomic.Int32
	windowFails  atomic.Int32
	shieldedTill atomic.Int64 // UnixNano of the next probe while shielded; 0 when not shielded
}

func (h *health) init(now time.Time) {
	h.lastSuccess.Store(now.UnixNano())
	h.windowStart.Store(now.UnixNano())
}

// window counts a call in the current window, starting a new one when it
// has run out.
func (h *health) window(s *Shield, now int64) {
	if start := h.windowStart.Load(); now-start >= int64(s.CheckInterval) && h.windowStart.CompareAndSwap(start, now) {
		h.windowCalls.Store(0)
		h.windowFails.Store(0)
	}
	h.windowCalls.Add(1)
}

// succeeded records a reply; a shielded endpoint rejoins.
func (h *health) succeeded(s *Shield, now int64) {
	h.window(s, now)
	h.consecutive.Store(0)
	h.lastSuccess.Store(now)
	if h.shieldedTill.Load() != 0 {
		h.shieldedTill.Store(0)
	}
}

// failed records a failure and reports whether it shields the endpoint.
func (h *health) failed(s *Shield, now int64) bool {
	h.window(s, now)
	fails := h.windowFails.Add(1)
	n := h.consecutive.Add(1)
	if h.shieldedTill.Load() != 0 {
		h.shieldedTill.Store(now + int64(s.RetryInterval)) // the probe failed
		return false
	}
	calls := h.windowCalls.Load()
	if (int(n) >= s.MinFailures && now-h.lastSuccess.Load() >= int64(s.MinFailTime)) ||
		(int(fails) >= s.MinWindowFailures && calls > 0 && float64(fails) >= s.FailRatio*float64(calls)) {
		return h.shieldedTill.CompareAndSwap(0, now+int64(s.RetryInterval))
	}
	return false
}

// shielded reports whether the endpoint is out of rotation at now. When a
// probe is due it claims it (the caller's call is the probe) and reports
// false.
func (h *health) shielded(s *Shield, now int64) bool {
	till := h.shieldedTill.Load()
	if till == 0 {
		return false
	}
	if now < till {
		return true
	}
	return !h.shieldedTill.CompareAndSwap(till, now+int64(s.RetryInterval))
}

// endpointFailure reports whether a call's error says something about
// its endpoint: a timeout, or a connection that failed or was lost. Replies
// with an error code show the endpoint alive.
func endpointFailure(err error) bool {
	var se *servant.Error
	if !errors.As(err, &se) {
		return false
	}
	if errors.Is(err, ErrClosed) {
		return false
	}
	return se.Code == protocol.InvokeTimeout || se.Code == protocol.ProxyConnectErr
}
