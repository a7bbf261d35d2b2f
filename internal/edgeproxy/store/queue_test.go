package store

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// TestSlowDiskHoldsTheRecorderBack: while the writer is stuck (a slow
// disk), a recorder adding batches of a large list is held back once
// maxQueuedBytes are queued, instead of queueing the whole list in
// memory; when the writer moves again, everything is committed.
func TestSlowDiskHoldsTheRecorderBack(t *testing.T) {
	s := open(t, "", Options{NoSync: true})
	stuck := make(chan struct{})
	s.submit(func(*bolt.Tx) error { <-stuck; return nil }, 0, false)

	const batch = 1 << 20
	const batches = 3 * maxQueuedBytes / batch // a list three times the budget
	key := ViewKey{Partition: "p", GVR: "/v1/configmaps", Namespace: "big"}
	sn := s.Snapshot(key)
	var added atomic.Int64
	finished := make(chan error, 1)
	go func() {
		raw := make([]byte, batch-64)
		for i := range batches {
			sn.Add([]Item{{Key: fmt.Sprintf("big/cm-%05d", i), RV: uint64(i + 1), Enc: wire.JSON, Raw: raw}})
			added.Add(1)
		}
		finished <- <-sn.Commit(podList, pod, batches)
	}()
	// Wait until the recorder stalls, then check how far it got.
	last := int64(-1)
	for n := added.Load(); n != last; n = added.Load() {
		last = n
		time.Sleep(200 * time.Millisecond)
	}
	if q := s.queued.bytes(); last >= batches || q > maxQueuedBytes+batch {
		t.Errorf("with the writer stuck, %d of %d batches were queued (%d bytes, budget %d)", last, batches, q, maxQueuedBytes)
	}
	close(stuck)
	select {
	case err := <-finished:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the recorder did not finish once the writer moved again")
	}
	if m, ok, err := s.View(key); err != nil || !ok || m.RV != batches {
		t.Errorf("view after the slow write: %+v %v %v", m, ok, err)
	}
	if q := s.queued.bytes(); q != 0 {
		t.Errorf("%d bytes still counted as queued", q)
	}
}
