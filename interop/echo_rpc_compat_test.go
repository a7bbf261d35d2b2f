package interop_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	gen "github.com/outpost-edge/outpost/interop/gen/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

// tarsGoServer plays a TarsGo server behind the generated Outpost client: it
// reads the in-parameters from the request buffer as tars2go's Dispatch
// does, checks them, and answers with the response buffer TarsGo writes.
type tarsGoServer struct {
	f   echoFunc
	err error // the first mismatch seen
}

func (s *tarsGoServer) Invoke(_ context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	if req.FuncName != s.f.name || req.Version != protocol.VersionTars {
		return nil, fmt.Errorf("request for %q version %d", req.FuncName, req.Version)
	}
	r := tc.NewReader(req.Buffer)
	for _, a := range s.f.req {
		if a.out {
			continue
		}
		if got, err := a.v.tgRead(r, a.tag, true); err != nil || !same(got, a.v.want) {
			s.err = fmt.Errorf("TarsGo read argument %d: %v (%s)", a.tag, err, short(got))
		}
	}
	resp := &protocol.ResponsePacket{Version: req.Version, RequestID: req.RequestID}
	if s.f.name == "fail" {
		resp.Ret, resp.ResultDesc = -42, "boom"
		return resp, nil
	}
	b := tc.NewBuffer()
	for _, a := range s.f.resp {
		if err := a.v.tgWrite(b, a.tag); err != nil {
			return nil, err
		}
	}
	resp.Buffer = b.ToBytes()
	return resp, nil
}

// TestGeneratedClientAgainstTarsGoServer calls every Echo function through
// the generated client against TarsGo-encoded argument buffers.
func TestGeneratedClientAgainstTarsGoServer(t *testing.T) {
	for _, f := range echoFuncs() {
		t.Run(f.name, func(t *testing.T) {
			srv := &tarsGoServer{f: f}
			got, err := f.call(t.Context(), gen.NewEchoClient(srv))
			if srv.err != nil {
				t.Fatal(srv.err)
			}
			if f.name == "fail" {
				var se *servant.Error
				if !errors.As(err, &se) || se.Code != -42 || se.Message != "boom" {
					t.Fatalf("fail: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range f.resp {
				if !same(got[i], a.v.want) {
					t.Fatalf("result %d: got %s, want %s", i, short(got[i]), short(a.v.want))
				}
			}
		})
	}
}

// echoImpl implements Echo as Interop.tars describes it.
type echoImpl struct{}

func (echoImpl) EchoBool(_ context.Context, v bool) (bool, error)            { return v, nil }
func (echoImpl) EchoByte(_ context.Context, v int8) (int8, error)            { return v, nil }
func (echoImpl) EchoShort(_ context.Context, v int16) (int16, error)         { return v, nil }
func (echoImpl) EchoInt(_ context.Context, v int32) (int32, error)           { return v, nil }
func (echoImpl) EchoLong(_ context.Context, v int64) (int64, error)          { return v, nil }
func (echoImpl) EchoFloat(_ context.Context, v float32) (float32, error)     { return v, nil }
func (echoImpl) EchoDouble(_ context.Context, v float64) (float64, error)    { return v, nil }
func (echoImpl) EchoString(_ context.Context, v string) (string, error)      { return v, nil }
func (echoImpl) EchoBytes(_ context.Context, v []byte) ([]byte, error)       { return v, nil }
func (echoImpl) EchoStrings(_ context.Context, v []string) ([]string, error) { return v, nil }
func (echoImpl) EchoMap(_ context.Context, v map[string]string) (map[string]string, error) {
	return v, nil
}
func (echoImpl) EchoColor(_ context.Context, v gen.Color) (gen.Color, error) { return v, nil }
func (echoImpl) EchoPoint(_ context.Context, v gen.Point) (gen.Point, error) { return v, nil }
func (echoImpl) EchoEverything(_ context.Context, v gen.Everything) (gen.Everything, error) {
	return v, nil
}

func (echoImpl) AddSub(_ context.Context, a, b int32) (int32, int32, int64, error) {
	return a + b, a + b, int64(a) - int64(b), nil
}

func (echoImpl) Summarize(_ context.Context, points []gen.Point) (int32, []gen.Point, []string, error) {
	lo, hi := gen.NewPoint(), gen.NewPoint()
	labels := make([]string, len(points))
	for i, p := range points {
		if i == 0 || p.X < lo.X {
			lo.X = p.X
		}
		if i == 0 || p.Y < lo.Y {
			lo.Y = p.Y
		}
		if i == 0 || p.X > hi.X {
			hi.X = p.X
		}
		if i == 0 || p.Y > hi.Y {
			hi.Y = p.Y
		}
		labels[i] = p.Label
	}
	return int32(len(points)), []gen.Point{lo, hi}, labels, nil
}

func (echoImpl) Fail(_ context.Context, code int32, message string) error {
	return servant.NewError(code, message)
}

// SleepMs returns at once: unit tests do not sleep.
func (echoImpl) SleepMs(_ context.Context, ms int32) (int32, error) { return ms, nil }

func (echoImpl) ContextValue(ctx context.Context, key string) (string, error) {
	return servant.CurrentFromContext(ctx).Request.Context[key], nil
}

// TestGeneratedServerAgainstTarsGoClient sends every Echo function's
// request, encoded as a TarsGo client does (out-parameters included), to the
// generated dispatcher and reads its response as TarsGo does.
func TestGeneratedServerAgainstTarsGoClient(t *testing.T) {
	d := gen.NewEchoDispatcher(echoImpl{})
	for _, f := range echoFuncs() {
		t.Run(f.name, func(t *testing.T) {
			b := tc.NewBuffer()
			for _, a := range f.req {
				must(t, a.v.tgWrite(b, a.tag))
			}
			req := &protocol.RequestPacket{Version: protocol.VersionTars, RequestID: 9, FuncName: f.name,
				Buffer: b.ToBytes(), Context: map[string]string{"key": "value"}}
			// The dispatcher fills the response buffer and reports failures
			// as errors; the runtime turns them into iRet and sResultDesc.
			var resp protocol.ResponsePacket
			err := d.Dispatch(t.Context(), req, &resp)
			if f.name == "fail" {
				if code, desc := servant.Result(err); code != -42 || desc != "boom" {
					t.Fatalf("fail: ret %d %q", code, desc)
				}
				return
			}
			must(t, err)
			r := tc.NewReader(resp.Buffer)
			for _, a := range f.resp {
				if got, err := a.v.tgRead(r, a.tag, true); err != nil || !same(got, a.v.want) {
					t.Fatalf("TarsGo read result %d: %v (%s)", a.tag, err, short(got))
				}
			}
		})
	}
}
