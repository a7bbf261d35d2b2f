package kubeletapi

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/internal/testenv"
)

// BenchmarkLogsEgressVsDirect measures what the egress proxy adds to a
// kubectl-logs-style request (GET pods/log, ten lines): two servers side
// by side, one whose API server dials the simulated kubelet itself and one
// whose API server goes through the egress proxy (unix socket, CONNECT,
// node lookup, direct dial, relay). Rounds alternate; the medians of the
// per-round p50 and p99 are reported.
//
//	go test ./test/integration/kubeletapi -run '^$' -bench LogsEgressVsDirect -benchtime 1x
func BenchmarkLogsEgressVsDirect(b *testing.B) {
	type target struct {
		name     string
		client   kubernetes.Interface
		ns       string
		p50, p99 []time.Duration
	}
	setup := func(name string, args ...string) *target {
		srv := testenv.StartServer(b, testenv.ServerOptions{Args: args})
		client := srv.Client(b)
		ns := testenv.Namespace(b, client)
		testenv.StartSimulator(b, srv.Kubeconfig(), testenv.SimulatorOptions{Nodes: 1, NamePrefix: "bench-" + name})
		testenv.RunningPod(b, client, ns, "web", "bench-"+name+"-0")
		return &target{name: name, client: client, ns: ns}
	}
	targets := []*target{setup("direct", "--apiserver-egress=false"), setup("egress")}
	const rounds, perRound = 5, 200
	for range b.N {
		for r := range rounds {
			for _, t := range targets {
				lat := make([]time.Duration, 0, perRound)
				for i := range perRound + 10 {
					start := time.Now()
					_, err := t.client.CoreV1().Pods(t.ns).GetLogs("web", &corev1.PodLogOptions{Container: "app"}).DoRaw(b.Context())
					if err != nil {
						b.Fatalf("%s round %d: %v", t.name, r, err)
					}
					if i >= 10 { // warm-up
						lat = append(lat, time.Since(start))
					}
				}
				slices.Sort(lat)
				t.p50 = append(t.p50, lat[len(lat)/2])
				t.p99 = append(t.p99, lat[len(lat)*99/100])
			}
		}
	}
	median := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	for _, t := range targets {
		b.ReportMetric(float64(median(t.p50).Microseconds()), t.name+"-p50-µs")
		b.ReportMetric(float64(median(t.p99).Microseconds()), t.name+"-p99-µs")
	}
	added := median(targets[1].p50) - median(targets[0].p50)
	b.ReportMetric(float64(added.Microseconds()), "egress-added-p50-µs")
	fmt.Printf("logs request p50: direct %s, egress %s (added %s); p99: direct %s, egress %s\n",
		median(targets[0].p50), median(targets[1].p50), added, median(targets[0].p99), median(targets[1].p99))
}
