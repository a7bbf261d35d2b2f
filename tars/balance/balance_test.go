package balance

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

func eps(n int, weights ...int) []endpoint.Endpoint {
	out := make([]endpoint.Endpoint, n)
	for i := range out {
		// One host, different ports: distinct instances.
		out[i] = endpoint.Endpoint{Proto: endpoint.TCP, Host: "10.0.0.1", Port: 9000 + i, Weight: -1}
		if len(weights) > 0 {
			out[i].Weight, out[i].WeightType = weights[i], 1
		}
	}
	return out
}

func TestRoundRobinSameHostDistinctPorts(t *testing.T) {
	tb := New(eps(3))
	seen := map[int]int{}
	for range 300 {
		seen[tb.Pick(RoundRobin, 0, nil)]++
	}
	if len(seen) != 3 || seen[0] != 100 || seen[1] != 100 || seen[2] != 100 {
		t.Fatalf("round robin over 3 ports of one host: %v", seen)
	}
}

func TestSkip(t *testing.T) {
	tb := New(eps(3))
	for _, mode := range []Mode{RoundRobin, ModHash, ConsistentHash} {
		for code := range uint64(50) {
			if i := tb.Pick(mode, code, func(i int) bool { return i == 1 }); i == 1 || i < 0 {
				t.Fatalf("mode %d code %d: picked %d with 1 skipped", mode, code, i)
			}
		}
		if i := tb.Pick(mode, 7, func(int) bool { return true }); i != -1 {
			t.Fatalf("mode %d: all skipped, got %d", mode, i)
		}
	}
	if New(nil).Pick(RoundRobin, 0, nil) != -1 {
		t.Fatal("empty table picked something")
	}
}

func TestSmoothWeighted(t *testing.T) {
	tb := New(eps(3, 50, 30, 20))
	counts := make([]int, 3)
	maxRun, run, last := 0, 0, -1
	for range 1000 {
		i := tb.Pick(RoundRobin, 0, nil)
		counts[i]++
		if i == last {
			run++
		} else {
			run, last = 1, i
		}
		maxRun = max(maxRun, run)
	}
	if counts[0] != 500 || counts[1] != 300 || counts[2] != 200 {
		t.Fatalf("weights 50/30/20 over 1000 picks: %v", counts)
	}
	if maxRun > 2 {
		t.Fatalf("smooth weighting gave a run of %d picks of one endpoint", maxRun)
	}
	// Weight 0 gets one slot; weights are clamped to 10-100.
	tb = New(eps(2, 0, 100))
	counts = make([]int, 2)
	for range 101 {
		counts[tb.Pick(RoundRobin, 0, nil)]++
	}
	if counts[0] != 1 || counts[1] != 100 {
		t.Fatalf("weights 0/100: %v", counts)
	}
	// Mixed weight types: plain round robin.
	mixed := eps(2, 90, 10)
	mixed[1].WeightType = 0
	if Weighted(mixed) {
		t.Fatal("mixed weight types weighted")
	}
}

func TestModHashStableAcrossOrder(t *testing.T) {
	a := eps(5)
	b := []endpoint.Endpoint{a[3], a[1], a[4], a[0], a[2]}
	ta, tb := New(a), New(b)
	for code := range uint64(100) {
		if x, y := a[ta.Pick(ModHash, code, nil)], b[tb.Pick(ModHash, code, nil)]; x != y {
			t.Fatalf("code %d: %v vs %v for the same endpoints in another order", code, x, y)
		}
	}
}

func TestConsistentHash(t *testing.T) {
	all := eps(5)
	full := New(all)
	less := New(all[:4]) // the last endpoint removed
	moved, n := 0, 10000
	counts := make([]int, 5)
	for code := range uint64(n) {
		h := code * 0x9E3779B97F4A7C15
		i := full.Pick(ConsistentHash, h, nil)
		counts[i]++
		if i != full.Pick(ConsistentHash, h, nil) {
			t.Fatal("same code, different endpoint")
		}
		if j := less.Pick(ConsistentHash, h, nil); all[j] != all[i] {
			if i != 4 {
				moved++
			}
		}
	}
	if moved != 0 {
		t.Fatalf("%d keys of remaining endpoints moved when one endpoint left", moved)
	}
	for i, c := range counts {
		if math.Abs(float64(c)-float64(n)/5) > float64(n)/5*0.5 {
			t.Fatalf("endpoint %d got %d of %d keys: %v", i, c, n, counts)
		}
	}
}

func TestContext(t *testing.T) {
	if m, _ := FromContext(context.Background()); m != RoundRobin {
		t.Fatal("default mode")
	}
	m, c := FromContext(WithHash(context.Background(), ConsistentHash, 42))
	if m != ConsistentHash || c != 42 {
		t.Fatalf("got %d %d", m, c)
	}
}

func BenchmarkPick(b *testing.B) {
	for _, n := range []int{3, 50} {
		for _, tc := range []struct {
			name string
			tb   *Table
			mode Mode
		}{
			{"roundrobin", New(eps(n)), RoundRobin},
			{"weighted", New(eps(n, make([]int, n)...)), RoundRobin},
			{"modhash", New(eps(n)), ModHash},
			{"ketama", New(eps(n)), ConsistentHash},
		} {
			b.Run(fmt.Sprintf("%s/%d", tc.name, n), func(b *testing.B) {
				tc.tb.Pick(tc.mode, 1, nil)
				var code uint64
				for b.Loop() {
					code += 0x9E3779B97F4A7C15
					tc.tb.Pick(tc.mode, code, nil)
				}
			})
		}
	}
}
