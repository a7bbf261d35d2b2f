package gentest_test

import (
	"context"
	"errors"
	"time"

	"github.com/outpost-edge/outpost/tars/gen/internal/gentest/interop"
	"github.com/outpost-edge/outpost/tars/servant"
)

// echo implements Interop.Echo as the interop IDL describes it.
type echo struct {
	calls chan string // receives method names, if set
}

func (e echo) note(name string) {
	if e.calls != nil {
		e.calls <- name
	}
}

func (e echo) EchoBool(ctx context.Context, v bool) (bool, error)        { return v, nil }
func (e echo) EchoByte(ctx context.Context, v int8) (int8, error)        { return v, nil }
func (e echo) EchoShort(ctx context.Context, v int16) (int16, error)     { return v, nil }
func (e echo) EchoInt(ctx context.Context, v int32) (int32, error)       { e.note("echoInt"); return v, nil }
func (e echo) EchoLong(ctx context.Context, v int64) (int64, error)      { return v, nil }
func (e echo) EchoFloat(ctx context.Context, v float32) (float32, error) { return v, nil }
func (e echo) EchoDouble(ctx context.Context, v float64) (float64, error) {
	return v, nil
}
func (e echo) EchoString(ctx context.Context, v string) (string, error) { return v, nil }
func (e echo) EchoBytes(ctx context.Context, v []byte) ([]byte, error)  { return v, nil }
func (e echo) EchoStrings(ctx context.Context, v []string) ([]string, error) {
	return v, nil
}
func (e echo) EchoMap(ctx context.Context, v map[string]string) (map[string]string, error) {
	return v, nil
}
func (e echo) EchoColor(ctx context.Context, v interop.Color) (interop.Color, error) { return v, nil }
func (e echo) EchoPoint(ctx context.Context, v interop.Point) (interop.Point, error) { return v, nil }
func (e echo) EchoEverything(ctx context.Context, v interop.Everything) (interop.Everything, error) {
	return v, nil
}

func (e echo) AddSub(ctx context.Context, a, b int32) (int32, int32, int64, error) {
	return a + b, a + b, int64(a) - int64(b), nil
}

func (e echo) Summarize(ctx context.Context, points []interop.Point) (int32, []interop.Point, []string, error) {
	if len(points) == 0 {
		return 0, nil, nil, nil
	}
	lo, hi := points[0], points[0]
	var labels []string
	for _, p := range points {
		lo.X, lo.Y = min(lo.X, p.X), min(lo.Y, p.Y)
		hi.X, hi.Y = max(hi.X, p.X), max(hi.Y, p.Y)
		labels = append(labels, p.Label)
	}
	lo.Label, hi.Label = "min", "max"
	return int32(len(points)), []interop.Point{lo, hi}, labels, nil
}

func (e echo) Fail(ctx context.Context, code int32, message string) error {
	if code == 0 {
		return errors.New(message) // not a *servant.Error
	}
	if code == 1 {
		panic(message)
	}
	return servant.NewError(code, message)
}

func (e echo) SleepMs(ctx context.Context, ms int32) (int32, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return ms, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (e echo) ContextValue(ctx context.Context, key string) (string, error) {
	servant.SetResponseContext(ctx, "echoed", key)
	servant.SetResponseStatus(ctx, "seen", "yes")
	return servant.RequestContext(ctx)[key], nil
}

var _ interop.EchoServant = echo{}

// everything returns an Everything with every member set away from its
// default.
func everything() interop.Everything {
	return interop.Everything{
		Flag: true, B: -128, S: -32768, I: -2147483648, L: -9223372036854775808,
		F: 1.5, D: -2.25, Str: "ünïcödé \x00 bytes",
		Ub: 255, Us: 65535, Ui: 4294967295,
		Blob: []byte{0, 1, 0x7f, 0x80, 0xff}, Ublob: []byte{0, 1, 0x7f, 0x80, 0xff},
		Ints: []int32{0, -1, 1 << 30}, Strs: []string{"", "a"},
		Counts: map[string]int32{"a": 1, "b": -2},
		ById:   map[int32]interop.Point{7: {X: 1, Y: 2, Label: "seven"}},
		Path:   []interop.Point{{X: 3, Y: 4, Label: "origin"}, {X: -5, Y: 6, Label: ""}},
		Color:  interop.Color_GREEN,
		Matrix: [][]int64{{1, 2}, {}, {1 << 40}},
		Groups: map[string][]interop.Point{"g": {{X: 9, Y: 9, Label: "origin"}}},
		Names:  map[interop.Point]string{{X: 1, Y: 1, Label: "origin"}: "one", {X: 0, Y: 2, Label: "z"}: "two"},
		FarTag: "near", LastTag: 1 << 50,
	}
}
