package balance

import (
	"sync"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

// smooth is nginx's smooth weighted round robin: each pick adds every
// endpoint's weight to its current value, takes the largest and subtracts
// the total from it. Picks of one endpoint are spread evenly instead of
// coming in runs, which a slot table does not give.
type smooth struct {
	mu      sync.Mutex
	weight  []int
	current []int
}

func newSmooth(eps []endpoint.Endpoint) *smooth {
	s := &smooth{weight: make([]int, len(eps)), current: make([]int, len(eps))}
	for i, ep := range eps {
		s.weight[i] = normWeight(ep.Weight)
	}
	return s
}

// normWeight maps a TARS weight to TarsGo's range: 0 (or unset) gets one
// slot, others are clamped to 10-100.
func normWeight(w int) int {
	switch {
	case w <= 0:
		return 1
	case w < 10:
		return 10
	case w > 100:
		return 100
	}
	return w
}

// next picks among endpoints for which ok holds, or returns -1.
func (s *smooth) next(ok func(int) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, total := -1, 0
	for i, w := range s.weight {
		if !ok(i) {
			continue
		}
		s.current[i] += w
		total += w
		if best < 0 || s.current[i] > s.current[best] {
			best = i
		}
	}
	if best >= 0 {
		s.current[best] -= total
	}
	return best
}
