package gentest_test

import (
	"context"
	"encoding/hex"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/gen/internal/gentest/interop"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/servant"
)

func dispatch(t *testing.T, version int16, fn string, body []byte) (*protocol.ResponsePacket, error) {
	t.Helper()
	req := &protocol.RequestPacket{Version: version, FuncName: fn, Buffer: body,
		Context: map[string]string{"k": "v"}}
	resp := &protocol.ResponsePacket{}
	err := interop.NewEchoDispatcher(echo{}).Dispatch(t.Context(), req, resp)
	return resp, err
}

// attrs encodes a TUP3 attribute map whose values are given as hex fields.
func attrs(t *testing.T, kv map[string]string) []byte {
	w := codec.NewWriter(nil)
	w.WriteMapHead(0, len(kv))
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		w.WriteString(0, k)
		w.WriteBytes(1, unhex(t, kv[k]))
	}
	return w.Bytes()
}

// readAttrs decodes a TUP3 attribute map into hex values.
func readAttrs(t *testing.T, b []byte) map[string]string {
	t.Helper()
	r := codec.NewReader(b)
	n, _, err := r.ReadMapHead(0, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for range n {
		var k string
		var v []byte
		if err := r.ReadString(&k, 0, true); err != nil {
			t.Fatal(err)
		}
		if err := r.ReadBytes(&v, 1, true); err != nil {
			t.Fatal(err)
		}
		out[k] = hex.EncodeToString(v)
	}
	return out
}

// addSub(7, 3) in each protocol version: ret = sum = 10, diff = 4.
func TestDispatchVersions(t *testing.T) {
	// Version 1: a=7@1, b=3@2, plus the out-parameters a TarsGo client
	// sends (sum@3, diff@4), which the server ignores.
	resp, err := dispatch(t, 1, "addSub", unhex(t, "1007"+"2003"+"3c"+"4c"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(resp.Buffer); got != "000a"+"300a"+"4004" {
		t.Errorf("TARS reply = %s", got)
	}

	// Version 3: each argument at tag 0 under its name.
	resp, err = dispatch(t, 3, "addSub", attrs(t, map[string]string{"a": "0007", "b": "0003"}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"": "000a", "tars_ret": "000a", "sum": "000a", "diff": "0004"}
	if got := readAttrs(t, resp.Buffer); !reflect.DeepEqual(got, want) {
		t.Errorf("TUP reply = %v", got)
	}

	// Version 5: JSON by parameter name.
	resp, err = dispatch(t, 5, "addSub", []byte(`{"a": 7, "b": 3, "sum": 999}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Buffer); got != `{"tars_ret":10,"sum":10,"diff":4}` {
		t.Errorf("JSON reply = %s", got)
	}
}

func TestDispatchVoidAndOuts(t *testing.T) {
	pts := `[{"x":1,"y":5,"label":"a"},{"x":-2,"y":9}]`
	resp, err := dispatch(t, 5, "summarize", []byte(`{"points":`+pts+`}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"tars_ret":2,"bounds":[{"x":-2,"y":5,"label":"min"},{"x":1,"y":9,"label":"max"}],"labels":["a","origin"]}`
	if got := string(resp.Buffer); got != want {
		t.Errorf("summarize JSON = %s", got)
	}
	// A void method with no out-parameters answers an empty object / map.
	resp, err = dispatch(t, 5, "fail", []byte(`{"code":-5,"message":"m"}`))
	if code, desc := servant.Result(err); code != -5 || desc != "m" {
		t.Errorf("fail = %v", err)
	}
	if resp.Buffer != nil {
		t.Errorf("failed call has a body: %q", resp.Buffer)
	}
}

// echoEverything in JSON and TUP must give back what went in.
func TestDispatchEverything(t *testing.T) {
	v := everything()
	w := codec.NewWriter(nil)
	if err := w.WriteStruct(0, &v); err != nil {
		t.Fatal(err)
	}
	resp, err := dispatch(t, 3, "echoEverything", attrs(t, map[string]string{"v": hex.EncodeToString(w.Bytes())}))
	if err != nil {
		t.Fatal(err)
	}
	if got := readAttrs(t, resp.Buffer)["tars_ret"]; got != hex.EncodeToString(w.Bytes()) {
		t.Errorf("TUP echo differs:\n got %s\nwant %x", got, w.Bytes())
	}

	const doc = `{"flag":true,"b":-128,"s":-32768,"i":-2147483648,"l":-9223372036854775808,"f":1.5,"d":-2.25,` +
		`"str":"ünïcödé \u0000 bytes","ub":255,"us":65535,"ui":4294967295,"blob":[0,1,127,-128,-1],` +
		`"ublob":[0,1,127,128,255],"ints":[0,-1,1073741824],"strs":["","a"],"counts":{"a":1,"b":-2},` +
		`"byId":{"7":{"x":1,"y":2,"label":"seven"}},"path":[{"x":3,"y":4,"label":"origin"},{"x":-5,"y":6,"label":""}],` +
		`"color":5,"matrix":[[1,2],[],[1099511627776]],"groups":{"g":[{"x":9,"y":9,"label":"origin"}]},` +
		`"names":{"{\"x\":0,\"y\":2,\"label\":\"z\"}":"two","{\"x\":1,\"y\":1,\"label\":\"origin\"}":"one"},` +
		`"farTag":"near","lastTag":1125899906842624}`
	resp, err = dispatch(t, 5, "echoEverything", []byte(`{"v":`+doc+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Buffer); got != `{"tars_ret":`+doc+`}` {
		t.Errorf("JSON echo:\n got %s\nwant %s", got, `{"tars_ret":`+doc+`}`)
	}
	// And the JSON decodes to the same value the binary path carries.
	var again protocol.ResponsePacket
	req := &protocol.RequestPacket{Version: 5, FuncName: "echoEverything", Buffer: []byte(`{"v":` + doc + `}`)}
	if err := interop.NewEchoDispatcher(captureEverything{t: t, want: v}).Dispatch(t.Context(), req, &again); err != nil {
		t.Fatal(err)
	}
}

type captureEverything struct {
	echo
	t    *testing.T
	want interop.Everything
}

func (c captureEverything) EchoEverything(_ context.Context, v interop.Everything) (interop.Everything, error) {
	if !reflect.DeepEqual(v, c.want) {
		c.t.Errorf("JSON decoded to\n%+v\nwant\n%+v", v, c.want)
	}
	return v, nil
}

// JSON defaults: absent optional members take their IDL defaults, byte
// vectors may be base64, integers may be quoted.
func TestDispatchJSONLenient(t *testing.T) {
	resp, err := dispatch(t, 5, "echoPoint", []byte(`{"v":{"x":"12","y":1e2}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Buffer); got != `{"tars_ret":{"x":12,"y":100,"label":"origin"}}` {
		t.Errorf("echoPoint = %s", got)
	}
	resp, err = dispatch(t, 5, "echoBytes", []byte(`{"v":"AAH/"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(resp.Buffer); got != `{"tars_ret":[0,1,-1]}` {
		t.Errorf("echoBytes = %s", got)
	}
	resp, err = dispatch(t, 5, "echoDouble", []byte(`{"v":"NaN"}`))
	if err != nil || string(resp.Buffer) != `{"tars_ret":"NaN"}` {
		t.Errorf("echoDouble NaN = %s %v", resp.Buffer, err)
	}
}

func TestDispatchErrors(t *testing.T) {
	tests := []struct {
		name    string
		version int16
		fn      string
		body    string
		code    int32
		desc    string
	}{
		{"unknown function", 1, "nope", "", protocol.ServerNoFuncErr, `no function "nope" in Interop.Echo`},
		{"missing argument", 1, "echoInt", "", protocol.ServerDecodeErr, "decode arguments: tars codec: required field missing"},
		{"wrong wire type", 1, "echoInt", "160161", protocol.ServerDecodeErr, "decode arguments: tars codec: type mismatch"},
		{"unsupported version", 2, "echoInt", "1001", protocol.ServerDecodeErr, "unsupported protocol version 2"},
		{"TUP attribute missing", 3, "echoInt", "tup:", protocol.ServerDecodeErr, `decode arguments: TUP attribute "v" (parameter 1) missing`},
		{"TUP value at tag 1", 3, "echoInt", "tup:v=1001", protocol.ServerDecodeErr, "decode arguments: TUP attribute"},
		{"TUP garbage", 3, "echoInt", "ff", protocol.ServerDecodeErr, "decode arguments: tars codec"},
		{"JSON not an object", 5, "echoInt", "json:[1]", protocol.ServerDecodeErr, "decode arguments: JSON arguments"},
		{"JSON missing argument", 5, "echoInt", "json:{}", protocol.ServerDecodeErr, `decode arguments: JSON argument "v" missing`},
		{"JSON out of range", 5, "echoByte", `json:{"v":128}`, protocol.ServerDecodeErr, "decode arguments: JSON v: 128 out of range [-128, 127]"},
		{"JSON wrong type", 5, "echoString", `json:{"v":1}`, protocol.ServerDecodeErr, "decode arguments: JSON v: want string, got number"},
		{"JSON required member", 5, "echoPoint", `json:{"v":{"x":1}}`, protocol.ServerDecodeErr, "decode arguments: JSON v.y: required member missing"},
		{"JSON trailing data", 5, "echoInt", `json:{"v":1} {}`, protocol.ServerDecodeErr, "decode arguments: JSON arguments: data after the object"},
		{"application error", 1, "fail", "1c" + "26016d", 0, ""}, // code 0: a plain Go error
		{"application code", 1, "fail", "10f9" + "26016d", -7, "m"},
		{"panic", 1, "fail", "1001" + "260570616e6963", protocol.ServerUnknownErr, "panic: panic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			switch {
			case strings.HasPrefix(tt.body, "tup:"):
				kv := map[string]string{}
				if k, v, ok := strings.Cut(strings.TrimPrefix(tt.body, "tup:"), "="); ok {
					kv[k] = v
				}
				body = attrs(t, kv)
			case strings.HasPrefix(tt.body, "json:"):
				body = []byte(strings.TrimPrefix(tt.body, "json:"))
			default:
				body = unhex(t, tt.body)
			}
			_, err := dispatch(t, tt.version, tt.fn, body)
			code, desc := servant.Result(err)
			if tt.code == 0 {
				if code != protocol.ServerUnknownErr || desc != "m" {
					t.Fatalf("plain error = %d %q", code, desc)
				}
				return
			}
			if code != tt.code || !strings.HasPrefix(desc, tt.desc) {
				t.Fatalf("got %d %q, want %d %q...", code, desc, tt.code, tt.desc)
			}
		})
	}
}

func TestDispatchContext(t *testing.T) {
	req := &protocol.RequestPacket{Version: 1, FuncName: "contextValue", Buffer: unhex(t, "16016b"),
		Context: map[string]string{"k": "from-context"}}
	resp := &protocol.ResponsePacket{}
	if err := interop.NewEchoDispatcher(echo{}).Dispatch(t.Context(), req, resp); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := codec.NewReader(resp.Buffer).ReadString(&got, 0, true); err != nil || got != "from-context" {
		t.Fatalf("contextValue = %q %v", got, err)
	}
	if resp.Context["echoed"] != "k" || resp.Status["seen"] != "yes" {
		t.Fatalf("response maps = %v %v", resp.Context, resp.Status)
	}
}
