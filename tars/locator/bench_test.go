package locator_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// BenchmarkPushLatency measures the time from a change in the registry's
// backend (an instance added) to a watching client's update callback,
// through WatchObj's server push over loopback. It reports p50 and p99.
// TARS clients see the same change at their next poll: 60 s at worst,
// 30 s on average (refresh-endpoint-interval).
func BenchmarkPushLatency(b *testing.B) {
	d := startRegistryB(b)
	base := registry.Instance{Object: obj, Active: true,
		Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "10.0.0.1", Port: 1, Weight: -1}}
	d.Store.Set(base)
	r, err := locator.New(locator.Config{Locator: d.Locator(), Logger: quiet, RefreshInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Resolve(context.Background(), obj); err != nil {
		b.Fatal(err)
	}
	updates := make(chan []endpoint.Endpoint, 1024)
	stop := r.Watch(obj, func(eps []endpoint.Endpoint) { updates <- eps })
	defer stop()
	for d.Registry.Watchers() == 0 {
		time.Sleep(time.Millisecond)
	}
	var lat []time.Duration
	port := 2
	for b.Loop() {
		inst := base
		inst.Endpoint.Port = port
		port++
		start := time.Now()
		d.Store.Set(inst)
		for eps := range updates {
			if slices.ContainsFunc(eps, func(e endpoint.Endpoint) bool { return e.Port == inst.Endpoint.Port }) {
				break
			}
		}
		lat = append(lat, time.Since(start))
		d.Store.Remove(inst)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkQueryF measures findObjectByIdInSameGroup throughput of one
// registry (memory backend, 10 instances) from parallel callers on one
// client connection.
func BenchmarkQueryF(b *testing.B) {
	d := startRegistryB(b)
	for i := range 10 {
		d.Store.Set(registry.Instance{Object: obj, Active: true,
			Endpoint: endpoint.Endpoint{Proto: endpoint.TCP, Host: "10.0.0.1", Port: 1000 + i, Weight: -1}})
	}
	c := dialB(b, d)
	q := queryf.NewQueryFClient(c)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, a, _, err := q.FindObjectByIdInSameGroup(context.Background(), obj)
			if err != nil || len(a) != 10 {
				b.Error(len(a), err)
				return
			}
		}
	})
}
