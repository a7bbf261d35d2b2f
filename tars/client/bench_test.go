package client_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

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

// BenchmarkBareTCPEcho is the floor the RPC benchmark is compared with: a
// length-prefixed echo over loopback, one goroutine per side.
func BenchmarkBareTCPEcho(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		buf := make([]byte, 64<<10)
		for {
			if _, err := io.ReadFull(nc, buf[:4]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(buf)
			if _, err := io.ReadFull(nc, buf[4:4+n]); err != nil {
				return
			}
			if _, err := nc.Write(buf[:4+n]); err != nil {
				return
			}
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	msg := binary.BigEndian.AppendUint32(nil, 16)
	msg = append(msg, make([]byte, 16)...)
	in := make([]byte, len(msg))
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := nc.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, in); err != nil {
			b.Fatal(err)
		}
	}
}
