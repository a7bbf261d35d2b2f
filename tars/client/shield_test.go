package client

import (
	"testing"
	"time"
)

// TestHealth walks the shielding state machine with explicit times.
func TestHealth(t *testing.T) {
	s := DefaultShield
	var h health
	t0 := time.Unix(1000, 0)
	h.init(t0)
	at := func(d time.Duration) int64 { return t0.Add(d).UnixNano() }
	// 5 consecutive failures within 5 s of the last success: not yet
	// (the window rule needs half the calls failing: make successes first).
	for i := range 20 {
		h.succeeded(&s, at(time.Duration(i)*time.Millisecond))
	}
	for i := range 5 {
		if h.failed(&s, at(time.Second+time.Duration(i)*time.Millisecond)) {
			t.Fatalf("shielded after %d failures within 5 s of a success", i+1)
		}
	}
	// The next failure 5 s after the last success shields it.
	if !h.failed(&s, at(6*time.Second)) {
		t.Fatal("not shielded after 6 consecutive failures, 6 s after the last success")
	}
	if !h.shielded(&s, at(7*time.Second)) {
		t.Fatal("not shielded")
	}
	// At RetryInterval one probe goes through, and only one.
	probeAt := at(6*time.Second + s.RetryInterval)
	if h.shielded(&s, probeAt) {
		t.Fatal("no probe after RetryInterval")
	}
	if !h.shielded(&s, probeAt) {
		t.Fatal("a second probe at the same time")
	}
	// The probe fails: shielded for another interval.
	h.failed(&s, probeAt)
	if !h.shielded(&s, probeAt+int64(time.Second)) {
		t.Fatal("failed probe unshielded it")
	}
	// A success rejoins at once.
	h.succeeded(&s, probeAt+int64(2*time.Second))
	if h.shielded(&s, probeAt+int64(2*time.Second)) {
		t.Fatal("still shielded after a success")
	}

	// Window rule: 2 failures of 3 calls in a window.
	var w health
	w.init(t0)
	w.succeeded(&s, at(0))
	w.failed(&s, at(time.Millisecond))
	if !w.failed(&s, at(2*time.Millisecond)) {
		t.Fatal("2 failures of 3 calls in the window: not shielded")
	}
	// A new window forgets old calls.
	var n health
	n.init(t0)
	n.failed(&s, at(0))
	for i := range 10 {
		n.succeeded(&s, at(time.Duration(i+1)*time.Millisecond))
	}
	if n.failed(&s, at(2*time.Minute)) {
		t.Fatal("one failure in a fresh window shielded")
	}
}
