//go:build !race

package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/current"

	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// tarsGoProxy returns a TarsGo client proxy for the servant at ep, with
// connections of its own: TarsGo shares connections between proxies of
// the same proxy string, and its client races with itself (servant.go
// writes AdapterProxy.servantProxy on every call while the reader
// goroutine reads it) when a reply arrives for a call that timed out, so
// every test that lets calls time out uses fresh connections for them.
func tarsGoProxy(ep string, timeoutMs int) *Interop.Echo {
	comm := tars.NewCommunicator()
	p := new(Interop.Echo)
	// The -t flag is ignored by clients; a distinct value gives a distinct
	// proxy string.
	comm.StringToProxy(fmt.Sprintf("%s@%s -t %d", obj, strings.Replace(ep, " -t 60000", "", 1), 60000+proxies.Add(1)), p)
	if timeoutMs > 0 {
		p.TarsSetTimeout(timeoutMs)
	}
	return p
}

var proxies atomic.Int32

func tgEverything() *Interop.Everything {
	return &Interop.Everything{
		Flag: true, B: math.MinInt8, S: math.MaxInt16, I: math.MinInt32, L: math.MaxInt64,
		F: -1.5, D: math.MaxFloat64, Str: "héllo, edge", Ub: 255, Us: 1, Ui: math.MaxUint32,
		Blob: []int8{0, -128, -1}, Ublob: []uint8{0, 1, 127, 128, 255}, Ints: []int32{1, -2},
		Strs: []string{"", "s"}, Counts: map[string]int32{"c": 3}, ById: map[int32]Interop.Point{7: {X: 1, Y: 2, Label: "p"}},
		Path: []Interop.Point{{X: 3, Y: 4, Label: "origin"}}, Color: Interop.Color_GREEN,
		Matrix: [][]int64{{1, -1 << 40}}, Groups: map[string][]Interop.Point{"g": {{X: 9, Y: 9, Label: "q"}}},
		Names: map[Interop.Point]string{{X: 1, Y: 1, Label: "origin"}: "one"}, FarTag: "near", LastTag: -1,
	}
}

// TestTarsGoClientCallsOutpostServer calls every function of the Outpost
// interop server from a TarsGo v1.4.5 client.
func TestTarsGoClientCallsOutpostServer(t *testing.T) {
	ep, seen := outpostServer(t)
	p := tarsGoProxy(ep, 5000)
	ctx := context.Background()
	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v; want %#v", name, got, err, want)
		}
	}
	b, err := p.EchoBoolWithContext(ctx, true)
	check("echoBool", b, true, err)
	i8, err := p.EchoByteWithContext(ctx, math.MinInt8)
	check("echoByte", i8, int8(math.MinInt8), err)
	i16, err := p.EchoShortWithContext(ctx, -300)
	check("echoShort", i16, int16(-300), err)
	i32, err := p.EchoIntWithContext(ctx, math.MaxInt32)
	check("echoInt", i32, int32(math.MaxInt32), err)
	i64, err := p.EchoLongWithContext(ctx, math.MinInt64)
	check("echoLong", i64, int64(math.MinInt64), err)
	f32, err := p.EchoFloatWithContext(ctx, float32(math.Inf(-1)))
	check("echoFloat", f32, float32(math.Inf(-1)), err)
	f64, err := p.EchoDoubleWithContext(ctx, math.SmallestNonzeroFloat64)
	check("echoDouble", f64, math.SmallestNonzeroFloat64, err)
	s, err := p.EchoStringWithContext(ctx, strings.Repeat("é", 200))
	check("echoString", s, strings.Repeat("é", 200), err)
	bs, err := p.EchoBytesWithContext(ctx, []int8{0, 1, -1, 127})
	check("echoBytes", bs, []int8{0, 1, -1, 127}, err)
	ss, err := p.EchoStringsWithContext(ctx, []string{"a", ""})
	check("echoStrings", ss, []string{"a", ""}, err)
	m, err := p.EchoMapWithContext(ctx, map[string]string{"k": "v", "": "empty"})
	check("echoMap", m, map[string]string{"k": "v", "": "empty"}, err)
	col, err := p.EchoColorWithContext(ctx, Interop.Color_BLUE)
	check("echoColor", col, Interop.Color_BLUE, err)
	pt, err := p.EchoPointWithContext(ctx, &Interop.Point{X: -1, Y: 2, Label: "origin"})
	check("echoPoint", pt, Interop.Point{X: -1, Y: 2, Label: "origin"}, err)
	ev, err := p.EchoEverythingWithContext(ctx, tgEverything())
	check("echoEverything", ev, *tgEverything(), err)
	var sum int32
	var diff int64
	ret, err := p.AddSubWithContext(ctx, 7, -3, &sum, &diff)
	check("addSub", []any{ret, sum, diff}, []any{int32(4), int32(4), int64(10)}, err)
	var bounds []Interop.Point
	var labels []string
	n, err := p.SummarizeWithContext(ctx, []Interop.Point{{X: 1, Y: 5, Label: "a"}, {X: -3, Y: 2, Label: "origin"}}, &bounds, &labels)
	check("summarize", []any{n, bounds, labels}, []any{int32(2),
		[]Interop.Point{{X: -3, Y: 2, Label: "min"}, {X: 1, Y: 5, Label: "max"}}, []string{"a", "origin"}}, err)
	ms, err := p.SleepMsWithContext(ctx, 5)
	check("sleepMs", ms, int32(5), err)

	// Request context in, response context and status back.
	reqCtx := map[string]string{"user": "alice"}
	status := map[string]string{}
	v, err := p.ContextValueWithContext(ctx, "user", reqCtx, status)
	check("contextValue", v, "alice", err)
	if reqCtx["echoed"] != "user" || status["seen"] != "yes" {
		t.Errorf("response maps = %v %v", reqCtx, status)
	}

	// A failure reaches TarsGo as a *tars.Error with code and message.
	err = p.FailWithContext(ctx, -42, "boom")
	var te *tars.Error
	if !errors.As(err, &te) || te.Code != -42 || te.Message != "boom" {
		t.Errorf("fail(-42) = %#v", err)
	}
	// Without a description TarsGo reports the code alone.
	if err := p.FailWithContext(ctx, 7, ""); err == nil || err.Error() != "basef error code 7" {
		t.Errorf("fail(7, \"\") = %v", err)
	}

	// Oneway: no reply, but the call reaches the servant.
	drain(seen)
	if _, err := p.EchoIntOneWayWithContext(ctx, 99); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-seen:
		if req.PacketType != protocol.PacketOneway || req.FuncName != "echoInt" {
			t.Errorf("oneway arrived as %+v", req)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("oneway call never reached the Outpost servant")
	}
}

// TestTarsGoClientTimeouts: TarsGo's per-proxy and per-call timeouts
// against a slow Outpost handler; the timeout travels as iTimeout.
func TestTarsGoClientTimeouts(t *testing.T) {
	ep, seen := outpostServer(t)
	p := tarsGoProxy(ep, 100)
	if _, err := p.SleepMsWithContext(context.Background(), 3000); err == nil ||
		(!strings.Contains(err.Error(), "timeout") && !strings.Contains(err.Error(), "deadline exceeded")) {
		t.Errorf("sleepMs past a 100 ms proxy timeout = %v", err)
	}
	if req := <-seen; req.Timeout != 100 {
		t.Errorf("iTimeout sent = %d", req.Timeout)
	}
	p = tarsGoProxy(ep, 5000)
	ctx := current.ContextWithClientCurrent(context.Background())
	current.SetClientTimeout(ctx, 50)
	// TarsGo's coarse timer may fire after the Outpost handler's own
	// deadline (the same 50 ms, from iTimeout) has failed the call.
	if _, err := p.SleepMsWithContext(ctx, 3000); err == nil ||
		(!strings.Contains(err.Error(), "timeout") && !strings.Contains(err.Error(), "deadline exceeded")) {
		t.Errorf("sleepMs past a 50 ms call timeout = %v", err)
	}
	if req := <-seen; req.Timeout != 50 {
		t.Errorf("iTimeout sent = %d", req.Timeout)
	}
}

func drain[T any](ch <-chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
