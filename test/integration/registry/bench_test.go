package registry_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/testenv"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/locator"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/memory"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/server"
)

// stamped is an endpoint count and when it was seen.
type stamped struct {
	n  int
	at time.Time
}

// watchCounts resolves obj through the server's registry with push updates
// (as an Outpost client does) and sends the length of every endpoint list
// the client is given.
func watchCounts(b testing.TB, srv *testenv.Server, obj string) <-chan stamped {
	res, err := locator.New(locator.Config{Locator: locatorOf(b, srv)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { res.Close() })
	counts := make(chan stamped, 1024)
	b.Cleanup(res.Watch(obj, func(eps []endpoint.Endpoint) { counts <- stamped{len(eps), time.Now()} }))
	return counts
}

// backendCounts sends the number of active instances of obj each time a
// Backend in the test process (a registry replica of its own, watching the
// same API server) reports a change of obj.
func backendCounts(b testing.TB, srv *testenv.Server, obj string) <-chan stamped {
	be := startBackend(b, srv)
	counts := make(chan stamped, 1024)
	b.Cleanup(be.Subscribe(func(o string) {
		if o == obj {
			a, _ := count(be.Instances(obj))
			counts <- stamped{a, time.Now()}
		}
	}))
	return counts
}

// drain drops what counts holds: changes from before a measurement.
func drain(counts <-chan stamped) {
	for {
		select {
		case <-counts:
		default:
			return
		}
	}
}

// awaitCount waits for want endpoints and returns when they were seen.
func awaitCount(b testing.TB, counts <-chan stamped, want int) time.Time {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case s := <-counts:
			if s.n == want {
				return s.at
			}
		case <-timeout:
			b.Fatalf("not given %d endpoints within 30s", want)
		}
	}
}

// reportLatency reports the median and 99th percentile of lat in ms.
func reportLatency(b *testing.B, name string, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.5), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkChangeToClient measures the time from a change written to the
// API server to an Outpost client (tars/locator, push) being given the new
// endpoint list by `outpost server`'s registry ("client"), and to a
// registry Backend seeing it ("registry"); "write" is how long the write
// itself took to return. TARS clients learn of changes
// by polling every 60 s (reference §4.5), after the C++ registry has
// reloaded its database (every 13 s).
//
//	go test ./test/integration/registry -run XXX -bench ChangeToClient -benchtime 40x
func BenchmarkChangeToClient(b *testing.B) {
	srv := testenv.Shared(b)
	c := srv.Client(b)

	// A pod's readiness flips: the kubelet's status write, the
	// EndpointSlice controller's slice update, the registry's informer,
	// the push.
	ns := testenv.Namespace(b, c)
	testenv.StartSimulator(b, srv.Kubeconfig(), testenv.SimulatorOptions{
		Nodes: 1, NamePrefix: "reg-bench", Labels: map[string]string{"test": "bench"}})
	const readyObj = "Bench.Ready.HelloObj"
	tarsServer(b, c, ns, "Bench", "Ready", "bench", 3)
	readyClient, readyBackend := watchCounts(b, srv, readyObj), backendCounts(b, srv, readyObj)
	awaitCount(b, readyClient, 3)
	pods, err := c.CoreV1().Pods(ns).List(b.Context(), metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	victim := pods.Items[0].Status.PodIP
	b.Run("pod-readiness", func(b *testing.B) {
		b.ResetTimer()
		var toWrite, toClient, toRegistry []time.Duration
		for i := range b.N + b.N%2 { // even: the pod ends ready
			ready := i%2 == 1
			want := map[bool]int{true: 3, false: 2}[ready]
			drain(readyClient)
			drain(readyBackend)
			start := time.Now()
			setReady(b, c, ns, victim, ready)
			toWrite = append(toWrite, time.Since(start))
			toRegistry = append(toRegistry, awaitCount(b, readyBackend, want).Sub(start))
			toClient = append(toClient, awaitCount(b, readyClient, want).Sub(start))
		}
		reportLatency(b, "write", toWrite)
		reportLatency(b, "client", toClient)
		reportLatency(b, "registry", toRegistry)
	})

	// A process registers and deregisters through RegisterObj: the
	// registry's Lease write, its informer, the push.
	const regObj = "Bench.Registered.HelloObj"
	reg := registerClient(b, srv.RegistryAddress(b))
	item := func(port int32) []queryf.Registration {
		return []queryf.Registration{{Id: regObj, TtlMs: 60000, Ep: queryf.EndpointF{Host: "192.0.2.9", Port: port, Istcp: 1}}}
	}
	if _, err := reg.Register(b.Context(), item(1)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reg.Deregister(context.Background(), item(1)) })
	regClient, regBackend := watchCounts(b, srv, regObj), backendCounts(b, srv, regObj)
	awaitCount(b, regClient, 1)
	b.Run("registration", func(b *testing.B) {
		var toWrite, toClient, toRegistry []time.Duration
		for i := range b.N + b.N%2 { // even: item 2 ends deregistered
			drain(regClient)
			drain(regBackend)
			start := time.Now()
			want := 2
			var err error
			if i%2 == 0 {
				_, err = reg.Register(b.Context(), item(2))
			} else {
				_, err = reg.Deregister(b.Context(), item(2))
				want = 1
			}
			if err != nil {
				b.Fatal(err)
			}
			toWrite = append(toWrite, time.Since(start))
			toRegistry = append(toRegistry, awaitCount(b, regBackend, want).Sub(start))
			toClient = append(toClient, awaitCount(b, regClient, want).Sub(start))
		}
		reportLatency(b, "write", toWrite)
		reportLatency(b, "client", toClient)
		reportLatency(b, "registry", toRegistry)
	})
}

// BenchmarkQueryF measures findObjectByIdInSameGroup calls per second
// answered by one registry replica (`outpost server`, Kubernetes backend,
// another process), next to the same servants over the framework's memory
// backend in the test process. 16 concurrent callers on 4 connections.
//
//	go test ./test/integration/registry -run XXX -bench QueryF -benchtime 5s
func BenchmarkQueryF(b *testing.B) {
	const obj = "Bench.Query.HelloObj"
	srv := testenv.Shared(b)
	reg := registerClient(b, srv.RegistryAddress(b))
	var items []queryf.Registration
	for port := int32(1); port <= 3; port++ {
		items = append(items, queryf.Registration{Id: obj, TtlMs: 600000, Ep: queryf.EndpointF{Host: "192.0.2.10", Port: port, Istcp: 1}})
	}
	if _, err := reg.Register(b.Context(), items); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reg.Deregister(context.Background(), items) })
	b.Run("outpost-server", func(b *testing.B) {
		benchQuery(b, srv.RegistryAddress(b), obj)
	})
	b.Run("memory-backend", func(b *testing.B) {
		store, err := memory.New()
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range items {
			store.Set(tarsregistry.Instance{Object: obj, Endpoint: tarsregistry.FromEndpointF(it.Ep), Active: true})
		}
		r := tarsregistry.New(tarsregistry.Config{Source: store})
		defer r.Close()
		s := server.New()
		ad, err := s.Listen("tcp -h 127.0.0.1 -p 0")
		if err != nil {
			b.Fatal(err)
		}
		r.Mount(ad)
		go s.Serve()
		defer s.Close()
		benchQuery(b, ad.Addr().String(), obj)
	})
}

func benchQuery(b *testing.B, addr, obj string) {
	c, err := client.New(proxyAt(b, tarsregistry.QueryObj, addr), client.WithConnsPerEndpoint(4))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := queryf.NewQueryFClient(c)
	if _, a, _, err := q.FindObjectByIdInSameGroup(b.Context(), obj); err != nil || len(a) != 3 {
		b.Fatalf("warm-up answer %v, %v", a, err)
	}
	var failed atomic.Int64
	b.SetParallelism(8) // 16 callers on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, _, err := q.FindObjectByIdInSameGroup(context.Background(), obj); err != nil {
				failed.Add(1)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	if n := failed.Load(); n > 0 {
		b.Errorf("%d calls failed", n)
	}
}
