package client_test

import (
	"runtime"
	"testing"

	"github.com/outpost-edge/outpost/tars/balance"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
)

// BenchmarkGovernance prices per-call endpoint choice and dead-node
// shielding over 3 endpoints: the plain round-robin Picker without
// shielding (what the client did before the name service) against the
// default (balance table and shielding) and against consistent hashing
// chosen through the context. CPU per call is the figure to compare.
func BenchmarkGovernance(b *testing.B) {
	_, a1 := startServer(b, nil)
	_, a2 := startServer(b, nil)
	_, a3 := startServer(b, nil)
	for _, tc := range []struct {
		name string
		opts []client.Option
		hash bool
	}{
		{"legacy-rr-noshield", []client.Option{client.WithPicker(client.RoundRobin()), client.WithShield(client.Shield{Disabled: true})}, false},
		{"default", nil, false},
		{"ketama", nil, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := interop.NewEchoClient(newClient(b, proxy(a1, a2, a3), tc.opts...))
			ctx := b.Context()
			if tc.hash {
				ctx = balance.WithHash(ctx, balance.ConsistentHash, 42)
			}
			b.ReportAllocs()
			defer reportCPU(b)()
			b.SetParallelism(max(100/runtime.GOMAXPROCS(0), 1))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.EchoInt(ctx, 1); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
