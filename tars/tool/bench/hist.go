package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets, as HdrHistogram does:
// exact below 256 ns, then 128 buckets per power of two, so a recorded
// value is off by at most 1/128 (0.8%). Record neither allocates nor
// locks; give each goroutine its own Histogram and Merge them.
type Histogram struct {
	counts   [histBuckets]int64
	n        int64
	sum      float64
	min, max int64
	hasMin   bool
}

const (
	histExact   = 256 // values below are their own bucket
	histSub     = 128 // buckets per power of two above
	histShifts  = 40  // up to 2^47 ns (39 hours)
	histBuckets = histExact + histShifts*histSub
)

func bucketOf(v int64) int {
	if v < histExact {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - 8 // v>>shift is in [128, 255]
	i := histExact + (shift-1)*histSub + int(v>>shift) - histSub
	return min(i, histBuckets-1)
}

// bucketValue returns the middle of bucket i.
func bucketValue(i int) int64 {
	if i < histExact {
		return int64(i)
	}
	shift := (i-histExact)/histSub + 1
	mant := int64((i-histExact)%histSub + histSub)
	return mant<<shift + (int64(1)<<shift)/2
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	if !h.hasMin || v < h.min {
		h.min, h.hasMin = v, true
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.hasMin && (!h.hasMin || o.min < h.min) {
		h.min, h.hasMin = o.min, true
	}
	h.max = max(h.max, o.max)
}

// Count returns the number of values recorded.
func (h *Histogram) Count() int64 { return h.n }

// Min and Max return the exact extremes; Mean the exact mean.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(math.Round(h.sum / float64(h.n)))
}

// Quantile returns the value below which a fraction q of the values lie,
// within the bucket precision, clamped to [Min, Max].
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(max(bucketValue(i), h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// CountBelow returns how many values are below d (to bucket precision).
func (h *Histogram) CountBelow(d time.Duration) int64 {
	limit := bucketOf(int64(d))
	var n int64
	for i := 0; i < limit; i++ {
		n += h.counts[i]
	}
	return n
}
