package interop_test

import (
	"math"
	"strings"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"
	ttup "github.com/TarsCloud/TarsGo/tars/protocol/tup"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
)

// tupVals are attribute values; each is encoded as one field at tag 0.
func tupVals() map[string]val {
	return map[string]val{
		"":         i32(7),
		"tars_ret": i32(7),
		"b":        boolean(true),
		"l":        i64(math.MinInt64),
		"u":        u32(math.MaxUint32),
		"d":        f64(math.Inf(-1)),
		"s":        str(strings.Repeat("x", 300)),
		"blob":     blob([]byte{1, 2, 3}),
		"ints":     list("int", []int32{1, -1, 1 << 20}, i32),
		"m":        dict("string,string", map[string]string{"a": "b"}, str, str),
	}
}

// TestTUP3BothWays: an attribute map built by Outpost is read by TarsGo's
// UniAttribute and the other way round.
func TestTUP3BothWays(t *testing.T) {
	vals := tupVals()
	// Outpost writes.
	u, err := tup.New(protocol.VersionTUP3)
	must(t, err)
	for name, v := range vals {
		must(t, u.Put(name, "", func(w *codec.Writer) { v.opWrite(w, 0) }))
	}
	b, err := u.Bytes()
	must(t, err)
	tu := ttup.NewUniAttribute()
	must(t, tu.Decode(tc.NewReader(b)))
	for name, v := range vals {
		var raw []byte
		must(t, tu.GetBuffer(name, &raw))
		got, err := v.tgRead(tc.NewReader(raw), 0, true)
		if err != nil || !same(got, v.want) {
			t.Fatalf("TarsGo read %q: %v %v", name, got, err)
		}
	}
	// TarsGo writes.
	tu = ttup.NewUniAttribute()
	for name, v := range vals {
		buf := tc.NewBuffer()
		must(t, v.tgWrite(buf, 0))
		tu.PutBuffer(name, buf.ToBytes())
	}
	buf := tc.NewBuffer()
	must(t, tu.Encode(buf))
	back, err := tup.Decode(protocol.VersionTUP3, buf.ToBytes())
	must(t, err)
	if back.Len() != len(vals) {
		t.Fatalf("Outpost read %d attributes", back.Len())
	}
	for name, v := range vals {
		var got any
		err := back.Get(name, func(r *codec.Reader) error {
			var err error
			got, err = v.opRead(r, 0, true)
			return err
		})
		if err != nil || !same(got, v.want) {
			t.Fatalf("Outpost read %q: %v %v", name, got, err)
		}
	}
	// PutValue and TarsGo's own typed Put agree byte for byte.
	u, _ = tup.New(protocol.VersionTUP3)
	must(t, tup.PutValue(u, "x", int32(300)))
	mine, _ := u.GetRaw("x")
	buf = tc.NewBuffer()
	must(t, buf.WriteInt32(300, 0))
	if string(mine) != string(buf.ToBytes()) {
		t.Fatalf("% X vs % X", mine, buf.ToBytes())
	}
}
