// Package echo implements the interop servant Outpost.Interop.EchoObj
// (interface Interop::Echo of Interop.tars) exactly as the IDL comments
// describe it. It is the servant every interoperability and performance
// test runs against, in process or through the interop-server command, so
// it lives in its own package.
package echo

import (
	"context"
	"time"

	"github.com/outpost-edge/outpost/tars/examples/interop-server/interop"
	"github.com/outpost-edge/outpost/tars/servant"
)

// Obj is the servant's object name.
const Obj = "Outpost.Interop.EchoObj"

// Echo implements interop.EchoServant. The zero value is ready to use.
type Echo struct{}

var _ interop.EchoServant = Echo{}

func (Echo) EchoBool(_ context.Context, v bool) (bool, error)            { return v, nil }
func (Echo) EchoByte(_ context.Context, v int8) (int8, error)            { return v, nil }
func (Echo) EchoShort(_ context.Context, v int16) (int16, error)         { return v, nil }
func (Echo) EchoInt(_ context.Context, v int32) (int32, error)           { return v, nil }
func (Echo) EchoLong(_ context.Context, v int64) (int64, error)          { return v, nil }
func (Echo) EchoFloat(_ context.Context, v float32) (float32, error)     { return v, nil }
func (Echo) EchoDouble(_ context.Context, v float64) (float64, error)    { return v, nil }
func (Echo) EchoString(_ context.Context, v string) (string, error)      { return v, nil }
func (Echo) EchoBytes(_ context.Context, v []byte) ([]byte, error)       { return v, nil }
func (Echo) EchoStrings(_ context.Context, v []string) ([]string, error) { return v, nil }
func (Echo) EchoColor(_ context.Context, v interop.Color) (interop.Color, error) {
	return v, nil
}
func (Echo) EchoPoint(_ context.Context, v interop.Point) (interop.Point, error) {
	return v, nil
}
func (Echo) EchoMap(_ context.Context, v map[string]string) (map[string]string, error) {
	return v, nil
}
func (Echo) EchoEverything(_ context.Context, v interop.Everything) (interop.Everything, error) {
	return v, nil
}

// AddSub returns a + b; sum also receives a + b and diff a - b.
func (Echo) AddSub(_ context.Context, a, b int32) (ret, sum int32, diff int64, err error) {
	return a + b, a + b, int64(a) - int64(b), nil
}

// Summarize returns the number of points, the two corners of their
// bounding box (labelled "min" and "max") and their labels in order.
func (Echo) Summarize(_ context.Context, points []interop.Point) (int32, []interop.Point, []string, error) {
	if len(points) == 0 {
		return 0, nil, nil, nil
	}
	lo, hi := points[0], points[0]
	labels := make([]string, 0, len(points))
	for _, p := range points {
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
		labels = append(labels, p.Label)
	}
	lo.Label, hi.Label = "min", "max"
	return int32(len(points)), []interop.Point{lo, hi}, labels, nil
}

// Fail answers with iRet = code and sResultDesc = message.
func (Echo) Fail(_ context.Context, code int32, message string) error {
	return servant.NewError(code, message)
}

// SleepMs sleeps for ms milliseconds, or until ctx ends (the request's
// deadline), then returns ms.
func (Echo) SleepMs(ctx context.Context, ms int32) (int32, error) {
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return ms, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// ContextValue returns the value of key in the request context ("" if
// absent). It also sets "echoed" = key in the response context and
// "seen" = "yes" in the response status, to show that handlers can.
func (Echo) ContextValue(ctx context.Context, key string) (string, error) {
	servant.SetResponseContext(ctx, "echoed", key)
	servant.SetResponseStatus(ctx, "seen", "yes")
	return servant.RequestContext(ctx)[key], nil
}
