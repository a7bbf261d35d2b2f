package client_test

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
	"testing"

	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
)

// BenchmarkEchoBytes measures round trips through the client and server
// on loopback in one process, sequentially and with many callers.
func BenchmarkEchoBytes(b *testing.B) {
	for _, size := range []int{16, 1024} {
		for _, par := range []int{1, 100} {
			b.Run(fmt.Sprintf("size=%d/callers=%d", size, par), func(b *testing.B) {
				_, ad := startServer(b, nil)
				e := interop.NewEchoClient(newClient(b, proxy(ad)))
				payload := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				defer reportCPU(b)()
				if par == 1 {
					for b.Loop() {
						if _, err := e.EchoBytes(b.Context(), payload); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.SetParallelism(max(par/runtime.GOMAXPROCS(0), 1))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := e.EchoBytes(b.Context(), payload); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// reportCPU reports the process's CPU time (user + system) per operation,
// which other load on the machine disturbs much less than ns/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-us/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
