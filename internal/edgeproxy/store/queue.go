package store

import "sync"

// maxQueuedBytes bounds the data waiting for the writer goroutine. A
// client may read a list from the cloud faster than the disk takes it (an
// edge node's SD card, a list larger than the node's memory): once this
// much is queued, the recorder waits, and with it the client's response,
// so the list streams at the disk's pace instead of piling up in memory.
const maxQueuedBytes = 32 << 20

// queue counts the bytes submitted and not yet committed.
type queue struct {
	mu     sync.Mutex
	queued int
	freed  chan struct{} // closed and replaced whenever bytes are released
}

// reserve waits until n more bytes fit (an op larger than the whole budget
// is admitted alone), or until quit is closed; false then.
func (q *queue) reserve(n int, quit <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if q.freed == nil {
			q.freed = make(chan struct{})
		}
		if q.queued == 0 || q.queued+n <= maxQueuedBytes {
			q.queued += n
			q.mu.Unlock()
			return true
		}
		freed := q.freed
		q.mu.Unlock()
		select {
		case <-freed:
		case <-quit:
			return false
		}
	}
}

// release returns n committed bytes to the budget.
func (q *queue) release(n int) {
	if n == 0 {
		return
	}
	q.mu.Lock()
	q.queued -= n
	if q.freed != nil {
		close(q.freed)
		q.freed = nil
	}
	q.mu.Unlock()
}

// bytes is what is queued now.
func (q *queue) bytes() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}
