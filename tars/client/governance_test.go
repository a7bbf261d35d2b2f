package client_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/balance"
	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/echo"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/server"
)

// counting returns a server option counting the requests it serves.
func counting(n *atomic.Int64) []server.Option {
	return []server.Option{server.WithInterceptors(func(next server.Handler) server.Handler {
		return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
			n.Add(1)
			return next(ctx, req, resp)
		}
	})}
}

// blackhole accepts connections and never answers.
func blackhole(t *testing.T) endpoint.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return endpoint.Endpoint{Proto: endpoint.TCP, Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Weight: -1}
}

// hangup accepts connections and closes each after its first bytes: every
// call written there is lost.
func hangup(t *testing.T) endpoint.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.Read(make([]byte, 1))
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return endpoint.Endpoint{Proto: endpoint.TCP, Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Weight: -1}
}

// TestSetEndpointsUnderLoad swaps the endpoint list while calls run: no
// call fails, and calls follow the list.
func TestSetEndpointsUnderLoad(t *testing.T) {
	var na, nb atomic.Int64
	_, a := startServer(t, counting(&na))
	_, b := startServer(t, counting(&nb))
	c := newClient(t, proxy(a))
	e := interop.NewEchoClient(c)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls, failures atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.EchoInt(context.Background(), 1); err != nil {
					failures.Add(1)
					t.Error(err)
				}
				calls.Add(1)
			}
		}()
	}
	lists := [][]endpoint.Endpoint{{a.Endpoint()}, {b.Endpoint()}, {a.Endpoint(), b.Endpoint()}}
	for i := range 60 {
		c.SetEndpoints(lists[i%3])
		time.Sleep(2 * time.Millisecond)
	}
	c.SetEndpoints(lists[1])
	time.Sleep(10 * time.Millisecond)
	before := na.Load()
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if na.Load() != before {
		t.Errorf("calls reached a removed endpoint: %d after removal", na.Load()-before)
	}
	if nb.Load() == 0 || failures.Load() != 0 {
		t.Fatalf("%d calls, %d failed, b served %d", calls.Load(), failures.Load(), nb.Load())
	}
}

// TestShieldingSkipsDeadEndpoint: an endpoint that times out is shielded
// after the configured failures, so later calls all go to the live one;
// after RetryInterval it gets a probe call.
func TestShieldingSkipsDeadEndpoint(t *testing.T) {
	var n atomic.Int64
	_, a := startServer(t, counting(&n))
	dead := blackhole(t)
	shield := client.Shield{MinFailures: 2, CheckInterval: time.Minute, MinWindowFailures: 1000, FailRatio: 1,
		RetryInterval: time.Hour}
	c := newClient(t, echo.Obj+"@"+endpoint.FormatList([]endpoint.Endpoint{a.Endpoint(), dead}),
		// 1 s: long enough that the live endpoint never times out on a
		// loaded machine; the two calls to the dead one take 2 s.
		client.WithShield(shield), client.WithTimeout(time.Second))
	e := interop.NewEchoClient(c)
	failures := 0
	for range 40 {
		if _, err := e.EchoInt(context.Background(), 1); err != nil {
			failures++
		}
	}
	if failures != 2 {
		t.Fatalf("%d of 40 calls failed; want exactly 2 (the shielding threshold)", failures)
	}
}

// TestIdempotentRetry: calls marked idempotent survive an endpoint that
// loses every call; unmarked ones fail there.
func TestIdempotentRetry(t *testing.T) {
	_, a := startServer(t, nil)
	bad := hangup(t)
	p := echo.Obj + "@" + endpoint.FormatList([]endpoint.Endpoint{a.Endpoint(), bad})
	c := newClient(t, p, client.WithShield(client.Shield{Disabled: true}))
	e := interop.NewEchoClient(c)
	failed := 0
	for range 20 {
		if _, err := e.EchoInt(client.WithIdempotent(context.Background()), 1); err != nil {
			t.Fatalf("idempotent call failed: %v", err)
		}
		if _, err := e.EchoInt(context.Background(), 1); err != nil {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no plain call failed on the hang-up endpoint; the test proves nothing")
	}
}

// TestDeadlineWithDeadEndpoint: a call to an endpoint that never answers
// (or never accepts) returns at its deadline, not after a dial timeout.
func TestDeadlineWithDeadEndpoint(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is unroutable: the dial hangs.
	for _, ep := range []endpoint.Endpoint{blackhole(t), {Proto: endpoint.TCP, Host: "192.0.2.1", Port: 9, Weight: -1}} {
		c := newClient(t, echo.Obj+"@"+ep.String(), client.WithDialTimeout(time.Minute))
		e := interop.NewEchoClient(c)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, err := e.EchoInt(ctx, 1)
		cancel()
		if err == nil {
			t.Fatal("call succeeded")
		}
		// Generous bound: the point is not waiting for the minute-long dial.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%v: call returned after %v with a 100 ms deadline", ep, d)
		}
	}
}

// TestHashRouting: the same hash code always reaches the same endpoint.
func TestHashRouting(t *testing.T) {
	var na, nb, nc atomic.Int64
	_, a := startServer(t, counting(&na))
	_, b := startServer(t, counting(&nb))
	_, c3 := startServer(t, counting(&nc))
	c := newClient(t, proxy(a, b, c3))
	e := interop.NewEchoClient(c)
	for _, mode := range []balance.Mode{balance.ModHash, balance.ConsistentHash} {
		na.Store(0)
		nb.Store(0)
		nc.Store(0)
		ctx := balance.WithHash(context.Background(), mode, 12345)
		for range 30 {
			if _, err := e.EchoInt(ctx, 1); err != nil {
				t.Fatal(err)
			}
		}
		served := 0
		for _, n := range []int64{na.Load(), nb.Load(), nc.Load()} {
			if n != 0 {
				served++
				if n != 30 {
					t.Fatalf("mode %d: an endpoint got %d of 30 calls", mode, n)
				}
			}
		}
		if served != 1 {
			t.Fatalf("mode %d: %d endpoints served one hash", mode, served)
		}
	}
}

// TestKillInstanceWithRetry: an instance killed while calls run costs no
// idempotent call (those in flight on it are retried elsewhere).
func TestKillInstanceWithRetry(t *testing.T) {
	_, a := startServer(t, nil)
	srvB, b := startServer(t, nil)
	c := newClient(t, proxy(a, b))
	e := interop.NewEchoClient(c)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := client.WithIdempotent(context.Background())
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.EchoInt(ctx, 1); err != nil {
					t.Errorf("idempotent call failed: %v", err)
					return
				}
				calls.Add(1)
			}
		}()
	}
	waitCalls := func(n int64) {
		deadline := time.Now().Add(10 * time.Second)
		for calls.Load() < n && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	waitCalls(200)
	srvB.Close() // killed: connections cut with calls in flight
	waitCalls(calls.Load() + 500)
	close(stop)
	wg.Wait()
}
