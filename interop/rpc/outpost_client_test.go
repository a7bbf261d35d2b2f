//go:build !race

package rpc_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

func outpostClient(t *testing.T, ep string) *interop.EchoClient {
	c, err := client.New(obj + "@" + ep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return interop.NewEchoClient(c)
}

func opEverything() interop.Everything {
	return interop.Everything{
		Flag: true, B: math.MinInt8, S: math.MaxInt16, I: math.MinInt32, L: math.MaxInt64,
		F: -1.5, D: math.MaxFloat64, Str: "héllo, edge", Ub: 255, Us: 1, Ui: math.MaxUint32,
		Blob: []byte{0, 0x80, 0xff}, Ublob: []uint8{0, 1, 127, 128, 255}, Ints: []int32{1, -2},
		Strs: []string{"", "s"}, Counts: map[string]int32{"c": 3}, ById: map[int32]interop.Point{7: {X: 1, Y: 2, Label: "p"}},
		Path: []interop.Point{{X: 3, Y: 4, Label: "origin"}}, Color: interop.Color_GREEN,
		Matrix: [][]int64{{1, -1 << 40}}, Groups: map[string][]interop.Point{"g": {{X: 9, Y: 9, Label: "q"}}},
		Names: map[interop.Point]string{{X: 1, Y: 1, Label: "origin"}: "one"}, FarTag: "near", LastTag: -1,
	}
}

// TestOutpostClientCallsTarsGoServer calls every function of a TarsGo
// v1.4.5 server from the Outpost client (through the generated client).
func TestOutpostClientCallsTarsGoServer(t *testing.T) {
	ep, calls := tarsGoServer(t)
	e := outpostClient(t, ep)
	ctx := t.Context()
	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, %v; want %#v", name, got, err, want)
		}
	}
	b, err := e.EchoBool(ctx, true)
	check("echoBool", b, true, err)
	i8, err := e.EchoByte(ctx, math.MinInt8)
	check("echoByte", i8, int8(math.MinInt8), err)
	i16, err := e.EchoShort(ctx, -300)
	check("echoShort", i16, int16(-300), err)
	i32, err := e.EchoInt(ctx, math.MaxInt32)
	check("echoInt", i32, int32(math.MaxInt32), err)
	i64, err := e.EchoLong(ctx, math.MinInt64)
	check("echoLong", i64, int64(math.MinInt64), err)
	f32, err := e.EchoFloat(ctx, float32(math.Inf(-1)))
	check("echoFloat", f32, float32(math.Inf(-1)), err)
	f64, err := e.EchoDouble(ctx, math.SmallestNonzeroFloat64)
	check("echoDouble", f64, math.SmallestNonzeroFloat64, err)
	s, err := e.EchoString(ctx, strings.Repeat("é", 200))
	check("echoString", s, strings.Repeat("é", 200), err)
	bs, err := e.EchoBytes(ctx, []byte{0, 1, 0xff, 0x7f})
	check("echoBytes", bs, []byte{0, 1, 0xff, 0x7f}, err)
	ss, err := e.EchoStrings(ctx, []string{"a", ""})
	check("echoStrings", ss, []string{"a", ""}, err)
	m, err := e.EchoMap(ctx, map[string]string{"k": "v", "": "empty"})
	check("echoMap", m, map[string]string{"k": "v", "": "empty"}, err)
	col, err := e.EchoColor(ctx, interop.Color_BLUE)
	check("echoColor", col, interop.Color_BLUE, err)
	pt, err := e.EchoPoint(ctx, interop.Point{X: -1, Y: 2, Label: "origin"})
	check("echoPoint", pt, interop.Point{X: -1, Y: 2, Label: "origin"}, err)
	ev, err := e.EchoEverything(ctx, opEverything())
	check("echoEverything", ev, opEverything(), err)
	ret, sum, diff, err := e.AddSub(ctx, 7, -3)
	check("addSub", []any{ret, sum, diff}, []any{int32(4), int32(4), int64(10)}, err)
	n, bounds, labels, err := e.Summarize(ctx, []interop.Point{{X: 1, Y: 5, Label: "a"}, {X: -3, Y: 2, Label: "origin"}})
	check("summarize", []any{n, bounds, labels}, []any{int32(2),
		[]interop.Point{{X: -3, Y: 2, Label: "min"}, {X: 1, Y: 5, Label: "max"}}, []string{"a", "origin"}}, err)
	ms, err := e.SleepMs(ctx, 5)
	check("sleepMs", ms, int32(5), err)

	var respCtx, respStatus map[string]string
	v, err := e.ContextValue(ctx, "user", servant.WithContext(map[string]string{"user": "alice"}),
		servant.ResponseContext(&respCtx), servant.ResponseStatus(&respStatus))
	check("contextValue", v, "alice", err)
	if respCtx["echoed"] != "user" || respStatus["seen"] != "yes" {
		t.Errorf("response maps = %v %v", respCtx, respStatus)
	}

	// fail: iRet and sResultDesc from the TarsGo *tars.Error.
	err = e.Fail(ctx, -42, "boom")
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != -42 || se.Message != "boom" {
		t.Errorf("fail(-42) = %v", err)
	}
	// TarsGo answers 1 for an unknown function (§3.6), with its message.
	c, _ := client.New(obj + "@" + ep)
	defer c.Close()
	resp, err := c.Invoke(ctx, &protocol.RequestPacket{Version: protocol.VersionTars, FuncName: "noSuchFunc"})
	if err != nil || resp.Ret != 1 || resp.ResultDesc != "func mismatch" {
		t.Errorf("unknown function = %+v, %v", resp, err)
	}

	// Oneway: the TarsGo implementation runs it, no reply is awaited.
	drain(calls)
	if _, err := e.EchoInt(ctx, 99, servant.Oneway()); err != nil {
		t.Fatal(err)
	}
	select {
	case fn := <-calls:
		if fn != "echoInt" {
			t.Errorf("TarsGo ran %s", fn)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("oneway call never reached the TarsGo servant")
	}
}

// TestOutpostClientTimeoutAgainstTarsGo: a context deadline shorter than
// the TarsGo handler fails the call with -7, and is sent as iTimeout.
func TestOutpostClientTimeoutAgainstTarsGo(t *testing.T) {
	ep, _ := tarsGoServer(t)
	e := outpostClient(t, ep)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := e.SleepMs(ctx, 3000)
	var se *servant.Error
	if !errors.As(err, &se) || se.Code != protocol.InvokeTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sleepMs past the deadline = %v", err)
	}
	// The connection is still good afterwards (the late reply is dropped).
	if v, err := e.EchoInt(t.Context(), 3); err != nil || v != 3 {
		t.Fatalf("after a timeout: %v %v", v, err)
	}
}
