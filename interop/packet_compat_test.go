package interop_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"

	tprotocol "github.com/TarsCloud/TarsGo/tars/protocol"
	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"
	"github.com/TarsCloud/TarsGo/tars/protocol/res/requestf"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// Spec §3.8.
const specRequestFrame = `00 00 00 45 10 01 2C 3C 40 01
	56 1B 54 65 73 74 41 70 70 2E 48 65 6C 6C 6F 47 6F 2E 53 61 79 48 65 6C 6C 6F 4F 62 6A
	66 09 65 63 68 6F 48 65 6C 6C 6F
	7D 00 00 08 16 04 74 61 72 73 26 00
	81 0B B8 98 0C A8 0C`

const specResponseFrame = `00 00 00 1E 10 01 2C 30 01 4C 5C 6D 00 00 0D 0C 26 0A 68 65 6C 6C 6F 20 74 61 72 73 78 0C`

func toReq(p *protocol.RequestPacket) *requestf.RequestPacket {
	return &requestf.RequestPacket{
		IVersion: p.Version, CPacketType: p.PacketType, IMessageType: p.MessageType, IRequestId: p.RequestID,
		SServantName: p.ServantName, SFuncName: p.FuncName, SBuffer: toInt8(p.Buffer), ITimeout: p.Timeout,
		Context: orEmpty(p.Context), Status: orEmpty(p.Status),
	}
}

func toResp(p *protocol.ResponsePacket) *requestf.ResponsePacket {
	return &requestf.ResponsePacket{
		IVersion: p.Version, CPacketType: p.PacketType, IRequestId: p.RequestID, IMessageType: p.MessageType,
		IRet: p.Ret, SBuffer: toInt8(p.Buffer), Status: orEmpty(p.Status), SResultDesc: p.ResultDesc,
		Context: p.Context, // optional: absent when empty, and TarsGo then leaves it nil
	}
}

// orEmpty maps nil to the empty map TarsGo's readers produce.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func requests() []*protocol.RequestPacket {
	return []*protocol.RequestPacket{
		{Version: 1, RequestID: 1, ServantName: "TestApp.HelloGo.SayHelloObj", FuncName: "echoHello",
			Buffer: []byte{0x16, 0x04, 't', 'a', 'r', 's', 0x26, 0x00}, Timeout: 3000},
		{Version: protocol.VersionTUP3, PacketType: protocol.PacketOneway,
			MessageType: protocol.MessageTypeDyed | protocol.MessageTypeTrace | protocol.MessageTypeSetName,
			RequestID:   math.MinInt32, ServantName: strings.Repeat("S", 70000), FuncName: protocol.FuncPing,
			Buffer: bytes.Repeat([]byte{0xAB}, 1024), Timeout: math.MaxInt32,
			Context: map[string]string{"k": "v"}, Status: map[string]string{protocol.StatusDyedKey: strings.Repeat("d", 256)}},
		{Version: protocol.VersionJSON, RequestID: math.MaxInt32, Buffer: []byte(`{"v":1}`), Timeout: -1},
	}
}

func responses() []*protocol.ResponsePacket {
	return []*protocol.ResponsePacket{
		{Version: 1, RequestID: 1, Buffer: []byte{0x0C, 0x26, 0x0A, 'h', 'e', 'l', 'l', 'o', ' ', 't', 'a', 'r', 's'}},
		{Version: 1, PacketType: 1, RequestID: 0, MessageType: 4, Ret: protocol.ServerOverload,
			Buffer: bytes.Repeat([]byte{1}, 1024), Status: map[string]string{protocol.StatusResultCode: "-9"},
			ResultDesc: protocol.ResultDescReconnect, Context: map[string]string{"c": strings.Repeat("x", 300)}},
		{Version: 3, RequestID: -7, Ret: protocol.ServerUnknownErr, ResultDesc: "boom"},
	}
}

func TestRequestPacketBothWays(t *testing.T) {
	for _, p := range requests() {
		// Outpost writes, TarsGo reads.
		w := codec.NewWriter(nil)
		must(t, protocol.WriteFrame(w, p))
		frame := w.Bytes()
		n, status := tprotocol.TarsRequest(frame)
		if status != tprotocol.PackageFull || n != len(frame) {
			t.Fatalf("TarsGo framing: %d %d", n, status)
		}
		var got requestf.RequestPacket
		must(t, got.ReadFrom(tc.NewReader(frame[4:])))
		if want := toReq(p); !reflect.DeepEqual(&got, want) {
			t.Fatalf("TarsGo read %+v\nwant %+v", got, want)
		}
		// TarsGo writes, Outpost reads.
		tframe, err := (&tprotocol.TarsProtocol{}).RequestPack(toReq(p))
		must(t, err)
		if len(p.Context) < 2 && len(p.Status) < 2 && !bytes.Equal(tframe, frame) {
			t.Fatalf("frames differ:\n% X\n% X", head(tframe), head(frame))
		}
		body, rest, ok, err := protocol.SplitFrame(tframe, 0)
		if !ok || err != nil || len(rest) != 0 {
			t.Fatalf("Outpost framing: %v %v", ok, err)
		}
		var back protocol.RequestPacket
		must(t, back.Decode(body))
		if !reflect.DeepEqual(&back, p) {
			t.Fatalf("Outpost read %+v\nwant %+v", back, p)
		}
	}
}

func TestResponsePacketBothWays(t *testing.T) {
	for _, p := range responses() {
		w := codec.NewWriter(nil)
		must(t, protocol.WriteFrame(w, p))
		frame := w.Bytes()
		got, err := (&tprotocol.TarsProtocol{}).ResponseUnpack(frame)
		must(t, err)
		if want := toResp(p); !reflect.DeepEqual(got, want) {
			t.Fatalf("TarsGo read %+v\nwant %+v", got, want)
		}
		b := tc.NewBuffer()
		must(t, b.WriteBytes(make([]byte, 4)))
		must(t, toResp(p).WriteTo(b))
		tframe := b.ToBytes()
		binary.BigEndian.PutUint32(tframe, uint32(len(tframe)))
		if !bytes.Equal(tframe, frame) {
			t.Fatalf("frames differ:\n% X\n% X", head(tframe), head(frame))
		}
		var back protocol.ResponsePacket
		must(t, back.Decode(tframe[4:]))
		if !reflect.DeepEqual(&back, p) {
			t.Fatalf("Outpost read %+v\nwant %+v", back, p)
		}
	}
}

// TestSpecFramesAgainstTarsGo: the §3.8 frames are what TarsGo writes, and
// TarsGo reads them (Outpost's side is in tars/protocol's tests).
func TestSpecFramesAgainstTarsGo(t *testing.T) {
	req, resp := requests()[0], responses()[0]
	tframe, err := (&tprotocol.TarsProtocol{}).RequestPack(toReq(req))
	must(t, err)
	if want := unhex(t, specRequestFrame); !bytes.Equal(tframe, want) {
		t.Fatalf("TarsGo request % X\nwant % X", tframe, want)
	}
	b := tc.NewBuffer()
	must(t, b.WriteBytes([]byte{0, 0, 0, 0}))
	must(t, toResp(resp).WriteTo(b))
	binary.BigEndian.PutUint32(b.ToBytes(), uint32(b.Len()))
	if want := unhex(t, specResponseFrame); !bytes.Equal(b.ToBytes(), want) {
		t.Fatalf("TarsGo response % X\nwant % X", b.ToBytes(), want)
	}
	got, err := (&tprotocol.TarsProtocol{}).ResponseUnpack(unhex(t, specResponseFrame))
	must(t, err)
	if want := toResp(resp); !reflect.DeepEqual(got, want) {
		t.Fatalf("TarsGo response %+v", got)
	}
}
