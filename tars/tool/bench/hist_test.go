package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<22; v += 1 + v/300 {
		i := bucketOf(v)
		if i < prev {
			t.Fatalf("bucket of %d = %d, below %d", v, i, prev)
		}
		prev = i
		if mid := bucketValue(i); float64(abs(mid-v)) > float64(v)/128+1 {
			t.Fatalf("value %d in bucket %d (middle %d): error too large", v, i, mid)
		}
	}
	if bucketOf(1<<62) != histBuckets-1 || bucketOf(-5) != 0 {
		t.Error("out-of-range values not clamped")
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestQuantiles compares against exact quantiles of random data.
func TestQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var a, b Histogram
	var all []int64
	for i := range 100000 {
		v := int64(r.ExpFloat64()*float64(200*time.Microsecond)) + 1000
		all = append(all, v)
		if i%2 == 0 {
			a.Record(time.Duration(v))
		} else {
			b.Record(time.Duration(v))
		}
	}
	a.Merge(&b)
	slices.Sort(all)
	if a.Count() != 100000 || a.Min() != time.Duration(all[0]) || a.Max() != time.Duration(all[len(all)-1]) {
		t.Fatalf("count %d min %v max %v", a.Count(), a.Min(), a.Max())
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))-1]
		got := int64(a.Quantile(q))
		if float64(abs(got-exact)) > float64(exact)/64 {
			t.Errorf("q%.3f = %d, exact %d", q, got, exact)
		}
	}
	var sum int64
	for _, v := range all {
		sum += v
	}
	if mean := sum / int64(len(all)); abs(int64(a.Mean())-mean) > 1 {
		t.Errorf("mean %v, exact %d", a.Mean(), mean)
	}
	if n := a.CountBelow(time.Millisecond); n < 90000 || n > 100000 {
		t.Errorf("CountBelow(1ms) = %d", n)
	}
	if allocs := testing.AllocsPerRun(100, func() { a.Record(time.Millisecond) }); allocs != 0 {
		t.Errorf("Record allocates %v", allocs)
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Mean() != 0 {
		t.Error("empty histogram")
	}
}
