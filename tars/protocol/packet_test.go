package protocol_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Spec §3.8: echoHello("tars") on TestApp.HelloGo.SayHelloObj.
const specRequest = `00 00 00 45 10 01 2C 3C 40 01
	56 1B 54 65 73 74 41 70 70 2E 48 65 6C 6C 6F 47 6F 2E 53 61 79 48 65 6C 6C 6F 4F 62 6A
	66 09 65 63 68 6F 48 65 6C 6C 6F
	7D 00 00 08 16 04 74 61 72 73 26 00
	81 0B B8 98 0C A8 0C`

const specResponse = `00 00 00 1E 10 01 2C 30 01 4C 5C 6D 00 00 0D 0C 26 0A 68 65 6C 6C 6F 20 74 61 72 73 78 0C`

func specRequestPacket(t testing.TB) *protocol.RequestPacket {
	return &protocol.RequestPacket{
		Version:     protocol.VersionTars,
		PacketType:  protocol.PacketNormal,
		RequestID:   1,
		ServantName: "TestApp.HelloGo.SayHelloObj",
		FuncName:    "echoHello",
		Buffer:      unhex(t, "16 04 74 61 72 73 26 00"),
		Timeout:     3000,
	}
}

func specResponsePacket(t testing.TB) *protocol.ResponsePacket {
	return &protocol.ResponsePacket{
		Version:   protocol.VersionTars,
		RequestID: 1,
		Ret:       protocol.ServerSuccess,
		Buffer:    unhex(t, "0C 26 0A 68 65 6C 6C 6F 20 74 61 72 73"),
	}
}

func TestSpecExamplesBothWays(t *testing.T) {
	cases := []struct {
		name   string
		hex    string
		packet codec.Struct
		empty  func() codec.Struct
	}{
		{"request", specRequest, specRequestPacket(t), func() codec.Struct { return new(protocol.RequestPacket) }},
		{"response", specResponse, specResponsePacket(t), func() codec.Struct { return new(protocol.ResponsePacket) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := unhex(t, c.hex)
			w := codec.NewWriter(nil)
			if err := protocol.WriteFrame(w, c.packet); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(w.Bytes(), want) {
				t.Fatalf("encoded % X\nwant    % X", w.Bytes(), want)
			}
			body, rest, ok, err := protocol.SplitFrame(want, 0)
			if !ok || err != nil || len(rest) != 0 {
				t.Fatalf("SplitFrame: %v %v %d", ok, err, len(rest))
			}
			got := c.empty()
			if err := got.ReadFields(codec.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.packet) {
				t.Fatalf("decoded %+v\nwant    %+v", got, c.packet)
			}
		})
	}
}

func TestPacketsRoundTrip(t *testing.T) {
	req := &protocol.RequestPacket{
		Version: protocol.VersionTUP3, PacketType: protocol.PacketOneway,
		MessageType: protocol.MessageTypeDyed | protocol.MessageTypeTrace, RequestID: -5,
		ServantName: "a.b.c", FuncName: strings.Repeat("f", 300), Buffer: make([]byte, 1000), Timeout: 1 << 30,
		Context: map[string]string{"k": "v", "": ""},
		Status:  map[string]string{protocol.StatusDyedKey: "x", protocol.StatusTraceKey: strings.Repeat("t", 256)},
	}
	resp := &protocol.ResponsePacket{
		Version: protocol.VersionJSON, PacketType: 1, RequestID: math.MinInt32, MessageType: 4,
		Ret: protocol.ServerUnknownErr, Buffer: []byte{1}, Status: map[string]string{"a": "b"},
		ResultDesc: protocol.ResultDescReconnect, Context: map[string]string{"c": "d"},
	}
	for _, p := range []codec.Struct{req, resp} {
		w := codec.NewWriter(nil)
		if err := protocol.WriteFrame(w, p); err != nil {
			t.Fatal(err)
		}
		body, _, _, err := protocol.SplitFrame(w.Bytes(), 0)
		if err != nil {
			t.Fatal(err)
		}
		var got1, got2 codec.Struct
		switch p.(type) {
		case *protocol.RequestPacket:
			a, b := new(protocol.RequestPacket), new(protocol.RequestPacket)
			err = errors.Join(a.Decode(body), b.DecodeNoCopy(body))
			got1, got2 = a, b
		case *protocol.ResponsePacket:
			a, b := new(protocol.ResponsePacket), new(protocol.ResponsePacket)
			err = errors.Join(a.Decode(body), b.DecodeNoCopy(body))
			got1, got2 = a, b
		}
		if err != nil || !reflect.DeepEqual(got1, p) || !reflect.DeepEqual(got2, p) {
			t.Fatalf("%v\n%+v\n%+v\n%+v", err, got1, got2, p)
		}
	}
}

// TestLenientDecoding: a ResponsePacket without the required status map
// (as TarsJava sent on overload) decodes, and so does an empty body; unknown
// trailing fields are skipped.
func TestLenientDecoding(t *testing.T) {
	w := codec.NewWriter(nil)
	w.WriteInt16(1, 1)
	w.WriteInt32(3, 9)
	w.WriteInt32(5, protocol.ServerOverload)
	w.WriteString(20, "future field")
	var p protocol.ResponsePacket
	if err := p.Decode(w.Bytes()); err != nil || p.Ret != protocol.ServerOverload || p.RequestID != 9 || p.Status != nil {
		t.Fatalf("%v %+v", err, p)
	}
	var q protocol.RequestPacket
	if err := q.Decode(nil); err != nil {
		t.Fatal(err)
	}
	// Type mismatches and malformed trailers are still errors.
	if err := q.Decode(unhex(t, "16 00")); !errors.Is(err, codec.ErrTypeMismatch) {
		t.Fatalf("version as string: %v", err)
	}
	if err := q.Decode(unhex(t, "10 01 F6 14 05")); !errors.Is(err, codec.ErrBadLength) {
		t.Fatalf("bad trailer: %v", err)
	}
}

func TestWriteFrameDoesNotAllocate(t *testing.T) {
	req := specRequestPacket(t)
	req.Buffer = make([]byte, 1024)
	req.Status = map[string]string{"a": "b"}
	w := codec.NewWriter(make([]byte, 0, 4096))
	if n := testing.AllocsPerRun(100, func() {
		w.Reset()
		_ = protocol.WriteFrame(w, req)
	}); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func TestFrameLength(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		max  int
		want int
		err  bool
	}{
		{nil, 0, 0, false},
		{[]byte{0, 0, 0}, 0, 0, false},
		{[]byte{0, 0, 0, 4}, 0, 4, false},
		{[]byte{0, 0, 0, 3}, 0, 0, true},
		{[]byte{0, 0xA0, 0, 0}, 0, 0xA00000, false},
		{[]byte{0, 0xA0, 0, 1}, 0, 0, true}, // 10 MiB + 1
		{[]byte{0, 0, 1, 0}, 255, 0, true},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF}, 0, 0, true},
	} {
		n, err := protocol.FrameLength(c.in, c.max)
		if n != c.want || (err != nil) != c.err || (err != nil && !errors.Is(err, protocol.ErrFrameLength)) {
			t.Errorf("FrameLength(% X, %d) = %d, %v", c.in, c.max, n, err)
		}
	}
	// A partial frame is not ok.
	if _, rest, ok, err := protocol.SplitFrame([]byte{0, 0, 0, 6, 1}, 0); ok || err != nil || len(rest) != 5 {
		t.Errorf("partial frame: %v %v", ok, err)
	}
}

func TestFrameReader(t *testing.T) {
	var stream []byte
	w := codec.NewWriter(nil)
	bodies := [][]byte{}
	for i, n := range []int{0, 1, 5000, 70000, 3} {
		p := &protocol.ResponsePacket{RequestID: int32(i), Buffer: bytes.Repeat([]byte{byte(i)}, n)}
		w.Reset()
		if err := protocol.WriteFrame(w, p); err != nil {
			t.Fatal(err)
		}
		stream = append(stream, w.Bytes()...)
		bodies = append(bodies, bytes.Clone(w.Bytes()[4:]))
	}
	fr := protocol.NewFrameReader(iotest.HalfReader(bytes.NewReader(stream)), 0)
	for i, want := range bodies {
		got, err := fr.Next()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %v (%d bytes, want %d)", i, err, len(got), len(want))
		}
	}
	if _, err := fr.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	// Truncated inside a frame.
	fr = protocol.NewFrameReader(bytes.NewReader(stream[:len(stream)-1]), 0)
	var err error
	for err == nil {
		_, err = fr.Next()
	}
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("truncated: %v", err)
	}
	// Announcing 1 GiB is rejected before reading a body.
	fr = protocol.NewFrameReader(bytes.NewReader([]byte{0x40, 0, 0, 0, 1, 2, 3}), 0)
	if _, err := fr.Next(); !errors.Is(err, protocol.ErrFrameLength) {
		t.Fatalf("huge: %v", err)
	}
}

func TestResultCodeNames(t *testing.T) {
	for code, name := range map[int32]string{
		0: "TARSSERVERSUCCESS", -1: "TARSSERVERDECODEERR", -3: "TARSSERVERNOFUNCERR", -4: "TARSSERVERNOSERVANTERR",
		-6: "TARSSERVERQUEUETIMEOUT", -7: "TARSINVOKETIMEOUT", -9: "TARSSERVEROVERLOAD", -13: "TARSSENDREQUESTERR",
		-99: "TARSSERVERUNKNOWNERR", 1: "", -14: "",
	} {
		if got := protocol.ResultCodeName(code); got != name {
			t.Errorf("ResultCodeName(%d) = %q, want %q", code, got, name)
		}
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	w := codec.NewWriter(nil)
	want := specRequestPacket(t)
	want.Status = map[string]string{"k": "v"}
	if err := want.WriteFields(w); err != nil {
		t.Fatal(err)
	}
	body := bytes.Clone(w.Bytes())
	var p protocol.RequestPacket
	if err := p.Decode(body); err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 0
	}
	if !reflect.DeepEqual(&p, want) {
		t.Fatalf("Decode aliased its input: %+v", p)
	}
}

func TestDecodeReusesMaps(t *testing.T) {
	first := specRequestPacket(t)
	first.Context = map[string]string{"a": "1", "b": "2"}
	second := specRequestPacket(t)
	second.Status = map[string]string{"s": "x"}
	var p protocol.RequestPacket
	for _, want := range []*protocol.RequestPacket{first, second} {
		w := codec.NewWriter(nil)
		if err := want.WriteFields(w); err != nil {
			t.Fatal(err)
		}
		if err := p.Decode(w.Bytes()); err != nil {
			t.Fatal(err)
		}
		if len(p.Context) != len(want.Context) || p.Context["a"] != want.Context["a"] || !reflect.DeepEqual(p.Status, want.Status) {
			t.Fatalf("got %v %v, want %v %v", p.Context, p.Status, want.Context, want.Status)
		}
	}
	if p.Context == nil {
		t.Fatal("Context map not reused")
	}
	body := unhex(t, specRequest)[4:]
	if n := testing.AllocsPerRun(50, func() { _ = p.DecodeNoCopy(body) }); n != 0 {
		t.Fatalf("DecodeNoCopy into a used packet: %v allocs", n)
	}
}
