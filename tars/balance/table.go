package balance

import (
	"cmp"
	"context"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

// Mode is how a call chooses its endpoint.
type Mode uint8

// Modes. The zero Mode is round robin (weighted when the endpoints are).
const (
	RoundRobin Mode = iota
	ModHash
	ConsistentHash
)

type hashKey struct{}

type hashValue struct {
	mode Mode
	code uint64
}

// WithHash returns ctx asking calls made with it to route by code with
// mode (ModHash or ConsistentHash); the same code reaches the same
// endpoint while the endpoint list does not change (for ConsistentHash,
// mostly the same one when it does).
func WithHash(ctx context.Context, mode Mode, code uint64) context.Context {
	return context.WithValue(ctx, hashKey{}, hashValue{mode, code})
}

// FromContext returns the mode and code set by WithHash, or RoundRobin.
func FromContext(ctx context.Context) (Mode, uint64) {
	if v, ok := ctx.Value(hashKey{}).(hashValue); ok {
		return v.mode, v.code
	}
	return RoundRobin, 0
}

// Table picks endpoints from one list.
type Table struct {
	eps      []endpoint.Endpoint
	sorted   []int // indexes into eps by CRC32 of the endpoint, for ModHash
	weighted *smooth
	ring     atomic.Pointer[ring] // built on first consistent-hash pick
	rr       atomic.Uint32
}

// New builds the table of eps. Indexes returned by Pick are into eps.
func New(eps []endpoint.Endpoint) *Table {
	t := &Table{eps: eps, sorted: make([]int, len(eps))}
	crc := make([]uint32, len(eps))
	for i, ep := range eps {
		t.sorted[i] = i
		crc[i] = crc32.ChecksumIEEE([]byte(Key(ep)))
	}
	slices.SortStableFunc(t.sorted, func(a, b int) int { return cmp.Compare(crc[a], crc[b]) })
	if Weighted(eps) {
		t.weighted = newSmooth(eps)
	}
	// A random start, so that clients created together do not all begin
	// on the same endpoint.
	t.rr.Store(rand.Uint32())
	return t
}

// Key identifies an endpoint: transport, host and port.
func Key(ep endpoint.Endpoint) string {
	return string(ep.Proto) + " " + ep.Address()
}

// Weighted reports whether static weights apply: only when every endpoint
// has weightType 1, as in TarsGo and TarsCpp.
func Weighted(eps []endpoint.Endpoint) bool {
	if len(eps) == 0 {
		return false
	}
	for _, ep := range eps {
		if ep.WeightType != 1 {
			return false
		}
	}
	return true
}

// Len returns the number of endpoints.
func (t *Table) Len() int { return len(t.eps) }

// Pick returns the index of the endpoint for a call, skipping endpoints
// for which skip returns true (dead or backing off) while another is
// available; -1 when every endpoint is skipped. skip may be nil.
func (t *Table) Pick(mode Mode, code uint64, skip func(int) bool) int {
	n := len(t.eps)
	if n == 0 {
		return -1
	}
	ok := func(i int) bool { return skip == nil || !skip(i) }
	switch mode {
	case ModHash:
		start := int(code % uint64(n))
		for k := range n {
			if i := t.sorted[(start+k)%n]; ok(i) {
				return i
			}
		}
		return -1
	case ConsistentHash:
		return t.getRing().pick(code, ok)
	}
	if t.weighted != nil {
		if i := t.weighted.next(ok); i >= 0 {
			return i
		}
		return -1
	}
	start := int(t.rr.Add(1) % uint32(n))
	for k := range n {
		if i := (start + k) % n; ok(i) {
			return i
		}
	}
	return -1
}

func (t *Table) getRing() *ring {
	if r := t.ring.Load(); r != nil {
		return r
	}
	r := newRing(t.eps, t.weighted != nil)
	if t.ring.CompareAndSwap(nil, r) {
		return r
	}
	return t.ring.Load()
}
