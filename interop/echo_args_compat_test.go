package interop_test

import (
	"bytes"
	"context"
	"math"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	gen "github.com/outpost-edge/outpost/interop/gen/interop"
	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/servant"
)

func one[T any](v T, err error) ([]any, error)      { return []any{v}, err }
func onePtr[T any](v T, err error) ([]any, error)   { return []any{&v}, err }
func oneEnum(v gen.Color, err error) ([]any, error) { return []any{int32(v)}, err }

// arg is one parameter (or the return value, tag 0) of an Echo function.
type arg struct {
	tag byte
	v   val
	out bool
}

// echoFuncs lists every function of interface Echo with the argument
// buffer of its request (parameters at tags 1..N; TarsGo clients also send
// out-parameters) and of its response (return at tag 0, out-parameters at
// their positional tags), per the reference section 2.2.
// echoFunc is one function of interface Echo: its arguments and a call
// through the generated client returning the results in resp order.
type echoFunc struct {
	name      string
	req, resp []arg
	call      func(ctx context.Context, c *gen.EchoClient) ([]any, error)
}

func echoFuncs() []echoFunc {
	pts := []opPoint{{X: 1, Y: 5, Label: "a"}, {X: -3, Y: 2}}
	bounds := []opPoint{{X: -3, Y: 2, Label: "origin"}, {X: 1, Y: 5, Label: "origin"}}
	in := func(tag byte, v val) arg { return arg{tag: tag, v: v} }
	out := func(tag byte, v val) arg { return arg{tag: tag, v: v, out: true} }
	ret := func(v val) arg { return arg{tag: 0, v: v} }
	echo := func(name string, v val, call func(ctx context.Context, c *gen.EchoClient) ([]any, error)) echoFunc {
		return echoFunc{name, []arg{in(1, v)}, []arg{ret(v)}, call}
	}
	ev := fullEverything(1)
	return []echoFunc{
		echo("echoBool", boolean(true), func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return one(c.EchoBool(ctx, true)) }),
		echo("echoByte", i8(math.MinInt8), func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return one(c.EchoByte(ctx, math.MinInt8)) }),
		echo("echoShort", i16(-300), func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return one(c.EchoShort(ctx, -300)) }),
		echo("echoInt", i32(math.MaxInt32), func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return one(c.EchoInt(ctx, math.MaxInt32)) }),
		echo("echoLong", i64(math.MinInt64), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoLong(ctx, math.MinInt64))
		}),
		echo("echoFloat", f32(float32(math.Inf(1))), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoFloat(ctx, float32(math.Inf(1))))
		}),
		echo("echoDouble", f64(math.Copysign(0, -1)), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoDouble(ctx, math.Copysign(0, -1)))
		}),
		echo("echoString", str("hello, edge"), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoString(ctx, "hello, edge"))
		}),
		echo("echoBytes", blob([]byte{0, 1, 0xFF}), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoBytes(ctx, []byte{0, 1, 0xFF}))
		}),
		echo("echoStrings", list("string", []string{"", "x"}, str), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoStrings(ctx, []string{"", "x"}))
		}),
		echo("echoMap", dict("string,string", map[string]string{"k": "v"}, str, str), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoMap(ctx, map[string]string{"k": "v"}))
		}),
		echo("echoColor", enum(6), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return oneEnum(c.EchoColor(ctx, gen.Color_BLUE))
		}),
		echo("echoPoint", pointVal(opPoint{X: 1, Y: 2, Label: "origin"}), func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
			return one(c.EchoPoint(ctx, opPoint{X: 1, Y: 2, Label: "origin"}))
		}),
		echo("echoEverything", everythingVal(ev, true), func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return onePtr(c.EchoEverything(ctx, *ev)) }),
		{"addSub",
			[]arg{in(1, i32(7)), in(2, i32(-3)), out(3, i32(0)), out(4, i64(0))},
			[]arg{ret(i32(4)), out(3, i32(4)), out(4, i64(10))},
			func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
				r, sum, diff, err := c.AddSub(ctx, 7, -3)
				return []any{r, sum, diff}, err
			}},
		{"summarize",
			[]arg{in(1, list("Point", pts, pointVal)), out(2, list("Point", []opPoint{}, pointVal)), out(3, list("string", []string{}, str))},
			[]arg{ret(i32(2)), out(2, list("Point", bounds, pointVal)), out(3, list("string", []string{"a", ""}, str))},
			func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
				r, b, l, err := c.Summarize(ctx, pts)
				return []any{r, b, l}, err
			}},
		{"fail", []arg{in(1, i32(-42)), in(2, str("boom"))}, nil,
			func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return nil, c.Fail(ctx, -42, "boom") }},
		{"sleepMs", []arg{in(1, i32(10))}, []arg{ret(i32(10))},
			func(ctx context.Context, c *gen.EchoClient) ([]any, error) { return one(c.SleepMs(ctx, 10)) }},
		{"contextValue", []arg{in(1, str("key"))}, []arg{ret(str("value"))},
			func(ctx context.Context, c *gen.EchoClient) ([]any, error) {
				return one(c.ContextValue(ctx, "key", servant.WithContext(map[string]string{"key": "value"})))
			}},
	}
}

// TestEchoArgumentBuffers: for every function, the request and response
// argument buffers written by Outpost and by TarsGo (as its generated proxy
// and dispatcher write them) are identical, and each side reads the
// other's: a server reads the in-parameters (with or without the
// out-parameters a TarsGo client adds), a client reads the return value and
// the out-parameters.
func TestEchoArgumentBuffers(t *testing.T) {
	for _, f := range echoFuncs() {
		t.Run(f.name, func(t *testing.T) {
			for i, args := range [][]arg{f.req, f.resp} {
				dir := []string{"request", "response"}[i]
				w := codec.NewWriter(nil)
				b := tc.NewBuffer()
				var inOnly []byte
				for _, a := range args {
					a.v.opWrite(w, a.tag)
					must(t, a.v.tgWrite(b, a.tag))
					if !a.out {
						inOnly = append(inOnly, encodeOp(a)...)
					}
				}
				if !bytes.Equal(w.Bytes(), b.ToBytes()) {
					t.Fatalf("%s bytes differ:\n% X\n% X", dir, w.Bytes(), b.ToBytes())
				}
				reading := args
				if i == 0 { // the server reads in-parameters only
					reading = nil
					for _, a := range args {
						if !a.out {
							reading = append(reading, a)
						}
					}
				}
				for _, buf := range [][]byte{b.ToBytes(), inOnly} {
					if i == 1 && len(buf) != len(b.ToBytes()) {
						continue
					}
					r := codec.NewReader(buf)
					tr := tc.NewReader(w.Bytes())
					for _, a := range reading {
						if x, err := a.v.opRead(r, a.tag, true); err != nil || !same(x, a.v.want) {
							t.Fatalf("%s: Outpost read tag %d: %v %v", dir, a.tag, x, err)
						}
						if x, err := a.v.tgRead(tr, a.tag, true); err != nil || !same(x, a.v.want) {
							t.Fatalf("%s: TarsGo read tag %d: %v %v", dir, a.tag, x, err)
						}
					}
				}
			}
		})
	}
}

func encodeOp(a arg) []byte {
	w := codec.NewWriter(nil)
	a.v.opWrite(w, a.tag)
	return w.Bytes()
}
