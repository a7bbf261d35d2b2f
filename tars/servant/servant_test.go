package servant

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
)

func TestCurrentOutsideCall(t *testing.T) {
	ctx := t.Context()
	if CurrentFromContext(ctx) != nil || RequestContext(ctx) != nil || RequestStatus(ctx) != nil {
		t.Error("call data outside a call")
	}
	if SetResponseContext(ctx, "k", "v") || SetResponseStatus(ctx, "k", "v") {
		t.Error("setting response maps outside a call succeeded")
	}
	req := &protocol.RequestPacket{Status: map[string]string{"s": "1"}}
	resp := &protocol.ResponsePacket{}
	ctx = NewContext(ctx, req, resp)
	if RequestStatus(ctx)["s"] != "1" || !SetResponseStatus(ctx, "a", "b") || resp.Status["a"] != "b" {
		t.Error("status maps")
	}
}

func TestErrorsAndResults(t *testing.T) {
	if c, d := Result(nil); c != 0 || d != "" {
		t.Error("Result(nil)")
	}
	cause := errors.New("short buffer")
	err := DecodeError(cause)
	if !errors.Is(err, cause) || err.Error() != "tars: ret -1 (TARSSERVERDECODEERR): decode arguments: short buffer" {
		t.Errorf("DecodeError = %v", err)
	}
	if c, _ := Result(EncodeError(cause)); c != protocol.ServerEncodeErr || DecodeError(nil) != nil || EncodeError(nil) != nil {
		t.Error("EncodeError")
	}
	wrapped := errors.Join(errors.New("context"), NewError(7, "seven"))
	if c, d := Result(wrapped); c != 7 || d != "seven" {
		t.Errorf("wrapped *Error gives %d %q", c, d)
	}
	if NewError(3, "").Error() != "tars: ret 3" {
		t.Error(NewError(3, "").Error())
	}
}

// intStruct is a one-member codec.Struct: an int32 at tag.
type intStruct struct {
	tag byte
	v   int32
}

func (s *intStruct) WriteFields(w *codec.Writer) error { w.WriteInt32(s.tag, s.v); return nil }
func (s *intStruct) ReadFields(r *codec.Reader) error  { return r.ReadInt32(&s.v, s.tag, true) }

func TestEncodeDecodeExported(t *testing.T) {
	req, err := EncodeRequest("f", &intStruct{1, 5}, WithContext(map[string]string{"a": "b"}), Oneway())
	if err != nil || req.FuncName != "f" || req.PacketType != protocol.PacketOneway || req.Context["a"] != "b" ||
		string(req.Buffer) != "\x10\x05" {
		t.Fatalf("EncodeRequest = %+v %v", req, err)
	}
	res := &intStruct{tag: 0}
	var ctxMap map[string]string
	resp := &protocol.ResponsePacket{Buffer: []byte{0x00, 0x09}, Context: map[string]string{"x": "y"}}
	if err := DecodeResponse(resp, res, ResponseContext(&ctxMap)); err != nil || res.v != 9 || ctxMap["x"] != "y" {
		t.Fatalf("DecodeResponse = %v %d %v", err, res.v, ctxMap)
	}
	resp = &protocol.ResponsePacket{Ret: protocol.ServerOverload}
	if err := DecodeResponse(resp, res); !strings.Contains(fmtErr(err), "TARSSERVEROVERLOAD") {
		t.Fatalf("overload = %v", err)
	}
	user := map[string]string{"a": "1"}
	req, _ = EncodeRequest("f", &intStruct{1, 5}, WithStatus(user), RouteKey("42"))
	if req.Status[protocol.StatusGridKey] != "42" || req.Status["a"] != "1" || len(user) != 1 {
		t.Fatalf("RouteKey: %v, caller's map %v", req.Status, user)
	}
	// A struct the writer cannot encode fails before anything is sent.
	if _, err := EncodeRequest("f", failing{}); err == nil {
		t.Fatal("encode error swallowed")
	}
}

type failing struct{}

func (failing) WriteFields(w *codec.Writer) error { return errors.New("nope") }
func (failing) ReadFields(r *codec.Reader) error  { return nil }

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestTUPConversion(t *testing.T) {
	m := &MethodDesc{Name: "f", Ret: TypeInt, Params: []Param{{Name: "a", Type: TypeInt}, {Name: "b", Type: TypeInt, Out: true}}}
	w := codec.NewWriter(nil)
	w.WriteMapHead(0, 1)
	w.WriteString(0, "a")
	w.WriteBytes(1, []byte{0x00, 0x07, 0x00, 0x08}) // two fields
	if _, err := tupToArgs(m, w.Bytes()); err == nil || !strings.Contains(err.Error(), "more than one field") {
		t.Errorf("two fields in one attribute: %v", err)
	}
	// An out-parameter tag the method does not have.
	if _, err := resultsToTUP(m, []byte{0x50, 0x01}); err == nil {
		t.Error("result at unknown tag accepted")
	}
	if _, err := resultsToTUP(m, []byte{0x06}); err == nil {
		t.Error("truncated result accepted")
	}
	out, err := resultsToTUP(m, []byte{0x00, 0x01, 0x20, 0x02})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := tup.Decode(protocol.VersionTUP3, out)
	if err != nil || attrs.Len() != 3 {
		t.Fatalf("attrs = %v %v", attrs, err)
	}
	for name, want := range map[string]string{"": "\x00\x01", "tars_ret": "\x00\x01", "b": "\x00\x02"} {
		if got, err := attrs.GetRaw(name); err != nil || string(got) != want {
			t.Errorf("attrs[%q] = %q %v", name, got, err)
		}
	}
}

func TestLoopbackAndDispatcher(t *testing.T) {
	desc := &ServiceDesc{Name: "T.S", Methods: []MethodDesc{{
		Name: "add", Ret: TypeInt, Params: []Param{{Name: "a", Type: TypeInt}},
		Handler: func(ctx context.Context, impl any, in *codec.Reader, out *codec.Writer) error {
			var a int32
			if err := in.ReadInt32(&a, 1, true); err != nil {
				return DecodeError(err)
			}
			out.WriteInt32(0, a+impl.(int32))
			return nil
		},
	}}}
	inv := Loopback(NewDispatcher(desc, int32(100)))
	resp, err := inv.Invoke(t.Context(), &protocol.RequestPacket{Version: 5, RequestID: 9, FuncName: "add", Buffer: []byte(`{"a":1}`)})
	if err != nil || resp.RequestID != 9 || resp.Version != 5 || string(resp.Buffer) != `{"tars_ret":101}` {
		t.Fatalf("loopback = %+v %v", resp, err)
	}
	resp, _ = inv.Invoke(t.Context(), &protocol.RequestPacket{Version: 1, FuncName: "sub"})
	if resp.Ret != protocol.ServerNoFuncErr || resp.Buffer != nil {
		t.Fatalf("unknown function = %+v", resp)
	}
	if resp, err := inv.Invoke(t.Context(), &protocol.RequestPacket{Version: 1, FuncName: "add", PacketType: protocol.PacketOneway,
		Buffer: []byte{0x10, 0x01}}); resp != nil || err != nil {
		t.Fatalf("oneway = %v %v", resp, err)
	}
}
