package servant

import (
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/codec"
)

// jsonEcho converts {"v": in} to a positional stream with the descriptor of
// "void echo(T v, out T o)", moves the field to the out-parameter's tag, and
// converts it back to JSON: the two halves of the JSON protocol.
func jsonEcho(t *testing.T, typ *Type, in string) (string, error) {
	t.Helper()
	m := &MethodDesc{Name: "echo", Params: []Param{{Name: "v", Type: typ}, {Name: "o", Type: typ, Out: true}}}
	args, err := jsonToArgs(m, []byte(`{"v":`+in+`}`))
	if err != nil {
		return "", err
	}
	w := codec.NewWriter(nil)
	if _, err := retag(w, args, 2); err != nil {
		t.Fatal(err)
	}
	out, err := resultsToJSON(m, w.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := strings.CutPrefix(string(out), `{"o":`)
	if !ok {
		t.Fatalf("reply %s", out)
	}
	return strings.TrimSuffix(s, "}"), nil
}

var (
	pointType  = &StructType{Name: "T.P"}
	defaultsST = &StructType{Name: "T.D"}
)

func init() {
	pointType.Fields = []Field{{Tag: 0, Name: "x", Type: TypeInt, Default: int64(9)}}
	defaultsST.Fields = []Field{
		{Tag: 0, Name: "p", Type: StructOf(pointType)},
		{Tag: 1, Name: "i", Type: TypeInt, Default: int64(3)},
		{Tag: 2, Name: "f", Type: TypeFloat, Default: float64(0.1)},
		{Tag: 3, Name: "b", Type: TypeBool, Default: true},
		{Tag: 4, Name: "s", Type: TypeString, Default: "x"},
		{Tag: 5, Name: "v", Type: VectorOf(TypeInt)},
		{Tag: 6, Name: "m", Type: MapOf(TypeString, TypeInt)},
		{Tag: 7, Name: "d", Type: TypeDouble},
		{Tag: 8, Name: "u", Type: TypeUShort, Default: int64(65535)},
		{Tag: 9, Name: "e", Type: EnumOf("T.E"), Default: int64(-1)},
		{Tag: 10, Name: "r", Type: TypeString, Require: true},
	}
}

func TestJSONValues(t *testing.T) {
	tests := []struct {
		name, in, want string
		typ            *Type
	}{
		{"bool", "true", "true", TypeBool},
		{"long exact", "-9223372036854775808", "-9223372036854775808", TypeLong},
		{"quoted long", `"9223372036854775807"`, "9223372036854775807", TypeLong},
		{"integral float for int", "2e3", "2000", TypeInt},
		{"unsigned int", "4294967295", "4294967295", TypeUInt},
		{"float keeps float32 digits", "0.1", "0.1", TypeFloat},
		{"double", "-1.25e-300", "-1.25e-300", TypeDouble},
		{"infinities", `["Infinity","-Infinity",1]`, `["Infinity","-Infinity",1]`, VectorOf(TypeDouble)},
		{"string escapes", `"a\"b\\c\n\t\u0001é<>"`, `"a\"b\\c\n\t\u0001é<>"`, TypeString},
		{"signed bytes", "[0,-1,255,127]", "[0,-1,-1,127]", VectorOf(TypeByte)},
		{"base64 unsigned bytes", `"AP8="`, "[0,255]", VectorOf(TypeUByte)},
		{"nested vectors", "[[1],[],[2,3]]", "[[1],[],[2,3]]", VectorOf(VectorOf(TypeShort))},
		{"bool keys", `{"true":1,"0":2}`, `{"false":2,"true":1}`, MapOf(TypeBool, TypeInt)},
		{"double keys", `{"1.5":"a","-2":"b"}`, `{"-2":"b","1.5":"a"}`, MapOf(TypeDouble, TypeString)},
		{"enum keys", `{"5":true}`, `{"5":true}`, MapOf(EnumOf("T.E"), TypeBool)},
		{"struct keys", `{"{\"x\":1}":5,"{}":6}`, `{"{\"x\":1}":5,"{\"x\":9}":6}`, MapOf(StructOf(pointType), TypeInt)},
		{"vector keys", `{"[1,2]":3}`, `{"[1,2]":3}`, MapOf(VectorOf(TypeInt), TypeInt)},
		{"defaults of absent members", `{"r":"!"}`,
			`{"p":{"x":9},"i":3,"f":0.1,"b":true,"s":"x","v":[],"m":{},"d":0,"u":65535,"e":-1,"r":"!"}`, StructOf(defaultsST)},
		{"null is absent", `{"r":"","i":null,"x":"unknown members are ignored"}`,
			`{"p":{"x":9},"i":3,"f":0.1,"b":true,"s":"x","v":[],"m":{},"d":0,"u":65535,"e":-1,"r":""}`, StructOf(defaultsST)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonEcho(t, tt.typ, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		typ            *Type
	}{
		{"bool", `1`, "JSON v: want bool, got number", TypeBool},
		{"int fraction", `1.5`, `JSON v: "1.5" is not an integer`, TypeInt},
		{"int from bool", `true`, "JSON v: want integer, got bool", TypeInt},
		{"unsigned negative", `-1`, "JSON v: -1 out of range [0, 65535]", TypeUShort},
		{"float text", `"abc"`, `JSON v: strconv.ParseFloat: parsing "abc": invalid syntax`, TypeFloat},
		{"float from array", `[]`, "JSON v: want number, got array", TypeDouble},
		{"string from object", `{}`, "JSON v: want string, got object", TypeString},
		{"vector", `{}`, "JSON v: want array, got object", VectorOf(TypeInt)},
		{"null element", `[1,null]`, "JSON v[1]: want integer, got null", VectorOf(TypeInt)},
		{"byte range", `[256]`, "JSON v: [0]: 256 out of range [-128, 255]", VectorOf(TypeByte)},
		{"bytes from number", `7`, "JSON v: want array or base64 string, got number", VectorOf(TypeUByte)},
		{"bad base64", `"***"`, "JSON v: illegal base64 data", VectorOf(TypeByte)},
		{"map", `[]`, "JSON v: want object, got array", MapOf(TypeString, TypeInt)},
		{"bool key", `{"maybe":1}`, `JSON v["maybe"]: key: "maybe" is not a bool`, MapOf(TypeBool, TypeInt)},
		{"int key", `{"x":1}`, `JSON v["x"] key: "x" is not an integer`, MapOf(TypeInt, TypeInt)},
		{"struct key", `{"{":1}`, `JSON v["{"]: key: unexpected EOF`, MapOf(StructOf(pointType), TypeInt)},
		{"map value", `{"a":"b"}`, `JSON v["a"]: "b" is not an integer`, MapOf(TypeString, TypeInt)},
		{"struct", `[]`, "JSON v: want object, got array", StructOf(pointType)},
		{"required member", `{}`, "JSON v.r: required member missing", StructOf(defaultsST)},
		{"member type", `{"r":"","p":{"x":"y"}}`, `JSON v.p.x: "y" is not an integer`, StructOf(defaultsST)},
		{"bad descriptor", `1`, "JSON v: invalid type descriptor (kind 0)", &Type{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsonEcho(t, tt.typ, tt.in)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %v, want %s", err, tt.want)
			}
		})
	}
}

func TestJSONOutput(t *testing.T) {
	if got := string(appendJSONString(nil, "ok\xffé\x1f\r")); got != `"ok\ufffdé\u001f\r"` {
		t.Errorf("appendJSONString = %s", got)
	}
	// Results the handler failed to write completely are reported.
	m := &MethodDesc{Name: "f", Ret: TypeInt}
	if _, err := resultsToJSON(m, nil); err == nil {
		t.Error("missing return value accepted")
	}
	if _, err := resultsToJSON(&MethodDesc{Ret: &Type{}}, []byte{0x0c}); err == nil {
		t.Error("bad descriptor accepted")
	}
}
