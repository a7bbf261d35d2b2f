package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Duration time.Duration    // measured time, warm-up excluded
	Calls    int64            // calls completed in that time
	Errors   int64            // calls whose code was not 0
	QPS      float64          // Calls / Duration
	Codes    map[int32]int64  // calls by result code
	Samples  map[int32]string // an error message for each failing code
	Latency  *Histogram       // every call's latency
}

func (r *runner) report(d time.Duration) *Report {
	rep := &Report{Duration: d, Codes: map[int32]int64{}, Samples: map[int32]string{}, Latency: new(Histogram)}
	for _, w := range r.workers {
		rep.Latency.Merge(&w.hist)
		for c, n := range w.codes {
			rep.Codes[c] += n
		}
		for c, s := range w.samples {
			if _, ok := rep.Samples[c]; !ok {
				rep.Samples[c] = s
			}
		}
	}
	rep.Calls = rep.Latency.Count()
	rep.Errors = rep.Calls - rep.Codes[0]
	if d > 0 {
		rep.QPS = float64(rep.Calls) / d.Seconds()
	}
	return rep
}

// Percentiles reported, as TarsBenchmark does plus the median.
var percentiles = []struct {
	name string
	q    float64
}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}}

// Latency buckets of TarsBenchmark's distribution, in ms.
var distribution = []time.Duration{10, 30, 50, 100, 500, 3000, 5000}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	h := r.Latency
	fmt.Fprintf(w, "duration %.2fs  calls %d  errors %d  qps %.1f\n", r.Duration.Seconds(), r.Calls, r.Errors, r.QPS)
	fmt.Fprintf(w, "latency  min %v  avg %v", round(h.Min()), round(h.Mean()))
	for _, p := range percentiles {
		fmt.Fprintf(w, "  %s %v", p.name, round(h.Quantile(p.q)))
	}
	fmt.Fprintf(w, "  max %v\n", round(h.Max()))
	fmt.Fprintln(w, "result codes:")
	for _, c := range slices.Sorted(maps.Keys(r.Codes)) {
		fmt.Fprintf(w, "  %6d  %10d  %6.2f%%", c, r.Codes[c], 100*float64(r.Codes[c])/float64(max(r.Calls, 1)))
		if s := r.Samples[c]; s != "" {
			fmt.Fprintf(w, "  %s", s)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "latency distribution:")
	prev := time.Duration(0)
	var below int64
	for _, ms := range distribution {
		limit := ms * time.Millisecond
		n := h.CountBelow(limit)
		fmt.Fprintf(w, "  %5d-%-5d ms  %10d\n", prev/time.Millisecond, ms, n-below)
		prev, below = limit, n
	}
	fmt.Fprintf(w, "  %5d+      ms  %10d\n", prev/time.Millisecond, h.Count()-below)
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Nanosecond)
}

// jsonReport is the --json form: durations in microseconds.
type jsonReport struct {
	DurationS float64            `json:"duration_s"`
	Calls     int64              `json:"calls"`
	Errors    int64              `json:"errors"`
	QPS       float64            `json:"qps"`
	Codes     map[string]int64   `json:"codes"`
	Samples   map[string]string  `json:"error_samples,omitempty"`
	LatencyUS map[string]float64 `json:"latency_us"`
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	h := r.Latency
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	j := jsonReport{DurationS: r.Duration.Seconds(), Calls: r.Calls, Errors: r.Errors, QPS: r.QPS,
		Codes: map[string]int64{}, LatencyUS: map[string]float64{
			"min": us(h.Min()), "avg": us(h.Mean()), "max": us(h.Max())}}
	for _, p := range percentiles {
		j.LatencyUS[p.name] = us(h.Quantile(p.q))
	}
	for c, n := range r.Codes {
		j.Codes[strconv.Itoa(int(c))] = n
	}
	if len(r.Samples) > 0 {
		j.Samples = map[string]string{}
		for c, s := range r.Samples {
			j.Samples[strconv.Itoa(int(c))] = s
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
