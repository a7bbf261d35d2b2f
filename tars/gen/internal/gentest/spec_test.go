package gentest_test

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/gen/internal/gentest/spec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

func hexOf(t *testing.T, s codec.Struct) string {
	t.Helper()
	w := codec.NewWriter(nil)
	if err := s.WriteFields(w); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(w.Bytes())
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Example 3 of §1.10: an optional member equal to its default is omitted.
func TestSpecExample3(t *testing.T) {
	v := spec.NewTestInfo2()
	if got := hexOf(t, &v); got != "1a10220b213039" {
		t.Errorf("default TestInfo2 = %s, want 1a10220b213039", got)
	}
	v.T.S = "xyz"
	if got := hexOf(t, &v); got != "1a1022260378797a0b213039" {
		t.Errorf("TestInfo2 with s=xyz = %s", got)
	}
	var back spec.TestInfo2
	if err := back.ReadFields(codec.NewReader(unhex(t, "1a10220b213039"))); err != nil {
		t.Fatal(err)
	}
	if back.T.S != "abc" || back.T.Ii != 34 || back.A != 12345 {
		t.Errorf("decoded %+v: the absent optional member must take its default", back)
	}
	// A missing required member is an error.
	if err := back.ReadFields(codec.NewReader(unhex(t, "213039"))); err == nil {
		t.Error("missing required struct accepted")
	}
}

type hello struct{}

func (hello) EchoHello(ctx context.Context, name string) (int32, string, error) {
	return 0, "hello " + name, nil
}

// The RPC example of §3.8: echoHello("tars").
func TestSpecEchoHello(t *testing.T) {
	// The request body as a TarsGo client sends it, out-parameter included.
	req := &protocol.RequestPacket{Version: protocol.VersionTars, FuncName: "echoHello",
		Buffer: unhex(t, "160474617273"+"2600")}
	var resp protocol.ResponsePacket
	if err := spec.NewSayHelloDispatcher(hello{}).Dispatch(t.Context(), req, &resp); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(resp.Buffer); got != "0c260a68656c6c6f2074617273" {
		t.Errorf("response body = %s", got)
	}

	// Our client sends the in-parameter only, as TarsCpp's async proxies do.
	var sent *protocol.RequestPacket
	inv := invokerFunc(func(ctx context.Context, r *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
		sent = r
		return &protocol.ResponsePacket{Buffer: unhex(t, "0c260a68656c6c6f2074617273")}, nil
	})
	ret, greeting, err := spec.NewSayHelloClient(inv).EchoHello(t.Context(), "tars")
	if err != nil || ret != 0 || greeting != "hello tars" {
		t.Fatalf("EchoHello = %d %q %v", ret, greeting, err)
	}
	if sent.FuncName != "echoHello" || sent.Version != 1 || hex.EncodeToString(sent.Buffer) != "160474617273" {
		t.Errorf("request = %+v (buffer %x)", sent, sent.Buffer)
	}
}

type invokerFunc func(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error)

func (f invokerFunc) Invoke(ctx context.Context, req *protocol.RequestPacket) (*protocol.ResponsePacket, error) {
	return f(ctx, req)
}

var _ servant.Invoker = invokerFunc(nil)
