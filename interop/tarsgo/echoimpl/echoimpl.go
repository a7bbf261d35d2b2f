// Package echoimpl implements Interop::Echo on TarsGo v1.4.5, with the same
// behaviour as Outpost's examples/interop-server/echo, so that the two
// runtimes can stand in for each other in the RPC interop tests and the
// side-by-side benchmarks.
package echoimpl

import (
	"context"
	"time"

	"github.com/TarsCloud/TarsGo/tars"
	"github.com/TarsCloud/TarsGo/tars/util/current"

	Interop "github.com/outpost-edge/outpost/interop/tarsgo/Interop"
)

// Echo implements Interop.EchoServantWithContext. OnCall, if set, sees the
// name of every function called (oneway calls included).
type Echo struct {
	OnCall func(fn string)
}

var _ Interop.EchoServantWithContext = (*Echo)(nil)

func (e *Echo) note(fn string) {
	if e.OnCall != nil {
		e.OnCall(fn)
	}
}

func (e *Echo) EchoBool(_ context.Context, v bool) (bool, error) { e.note("echoBool"); return v, nil }
func (e *Echo) EchoByte(_ context.Context, v int8) (int8, error) { e.note("echoByte"); return v, nil }
func (e *Echo) EchoShort(_ context.Context, v int16) (int16, error) {
	e.note("echoShort")
	return v, nil
}
func (e *Echo) EchoInt(_ context.Context, v int32) (int32, error)  { e.note("echoInt"); return v, nil }
func (e *Echo) EchoLong(_ context.Context, v int64) (int64, error) { e.note("echoLong"); return v, nil }
func (e *Echo) EchoFloat(_ context.Context, v float32) (float32, error) {
	e.note("echoFloat")
	return v, nil
}
func (e *Echo) EchoDouble(_ context.Context, v float64) (float64, error) {
	e.note("echoDouble")
	return v, nil
}
func (e *Echo) EchoString(_ context.Context, v string) (string, error) {
	e.note("echoString")
	return v, nil
}
func (e *Echo) EchoBytes(_ context.Context, v []int8) ([]int8, error) {
	e.note("echoBytes")
	return v, nil
}
func (e *Echo) EchoStrings(_ context.Context, v []string) ([]string, error) {
	e.note("echoStrings")
	return v, nil
}
func (e *Echo) EchoMap(_ context.Context, v map[string]string) (map[string]string, error) {
	e.note("echoMap")
	return v, nil
}
func (e *Echo) EchoColor(_ context.Context, v Interop.Color) (Interop.Color, error) {
	e.note("echoColor")
	return v, nil
}
func (e *Echo) EchoPoint(_ context.Context, v *Interop.Point) (Interop.Point, error) {
	e.note("echoPoint")
	return *v, nil
}
func (e *Echo) EchoEverything(_ context.Context, v *Interop.Everything) (Interop.Everything, error) {
	e.note("echoEverything")
	return *v, nil
}

func (e *Echo) AddSub(_ context.Context, a, b int32, sum *int32, diff *int64) (int32, error) {
	e.note("addSub")
	*sum, *diff = a+b, int64(a)-int64(b)
	return a + b, nil
}

func (e *Echo) Summarize(_ context.Context, points []Interop.Point, bounds *[]Interop.Point, labels *[]string) (int32, error) {
	e.note("summarize")
	if len(points) == 0 {
		return 0, nil
	}
	lo, hi := points[0], points[0]
	for _, p := range points {
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
		*labels = append(*labels, p.Label)
	}
	lo.Label, hi.Label = "min", "max"
	*bounds = []Interop.Point{lo, hi}
	return int32(len(points)), nil
}

// Fail answers iRet = code, sResultDesc = message (a *tars.Error).
func (e *Echo) Fail(_ context.Context, code int32, message string) error {
	e.note("fail")
	return &tars.Error{Code: code, Message: message}
}

func (e *Echo) SleepMs(ctx context.Context, ms int32) (int32, error) {
	e.note("sleepMs")
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return ms, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// ContextValue returns the request context's value for key, and sets
// "echoed" in the response context and "seen" in the response status.
func (e *Echo) ContextValue(ctx context.Context, key string) (string, error) {
	e.note("contextValue")
	current.SetResponseContext(ctx, map[string]string{"echoed": key})
	current.SetResponseStatus(ctx, map[string]string{"seen": "yes"})
	reqCtx, _ := current.GetRequestContext(ctx)
	return reqCtx[key], nil
}
