package interop_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	tc "github.com/TarsCloud/TarsGo/tars/protocol/codec"

	"github.com/outpost-edge/outpost/tars/codec"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpecExamplesAgainstTarsGo checks every hex example of the reference
// (section 1.10) against both implementations, both ways.
func TestSpecExamplesAgainstTarsGo(t *testing.T) {
	cases := []struct {
		v   val
		tag byte
		hex string
	}{
		{i32(300), 20, "F1 14 01 2C"},
		{i32(-1), 3, "30 FF"},
		{i64(1 << 40), 0, "03 00 00 01 00 00 00 00 00"},
		{i32(0), 2, "2C"},
		{list("int", []int32{1, 1000}, i32), 4, "49 00 02 00 01 01 03 E8"},
		{blob([]byte("abc")), 7, "7D 00 00 03 61 62 63"},
		{blob([]byte{}), 7, "7D 00 0C"},
		{dict("string,string", map[string]string{}, str, str), 9, "98 0C"},
		{dict("string,string", map[string]string{"a": "b"}, str, str), 9, "98 00 01 06 01 61 16 01 62"},
		{testInfo2Val(testInfo2{T: testInfo{II: 34, S: "abc"}, A: 12345}), 0, "1A 10 22 0B 21 30 39"},
		{testInfo2Val(testInfo2{T: testInfo{II: 34, S: "xyz"}, A: 12345}), 0, "1A 10 22 26 03 78 79 7A 0B 21 30 39"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s@%d", c.v.name, c.tag), func(t *testing.T) {
			want := unhex(t, c.hex)
			w := codec.NewWriter(nil)
			c.v.opWrite(w, c.tag)
			b := tc.NewBuffer()
			must(t, c.v.tgWrite(b, c.tag))
			if !bytes.Equal(w.Bytes(), want) || !bytes.Equal(b.ToBytes(), want) {
				t.Fatalf("Outpost % X, TarsGo % X, want % X", w.Bytes(), b.ToBytes(), want)
			}
			got, err := c.v.opRead(codec.NewReader(want), c.tag, true)
			if err != nil || !same(got, c.v.want) {
				t.Fatalf("Outpost read %v %v", got, err)
			}
			got, err = c.v.tgRead(tc.NewReader(want), c.tag, true)
			if err != nil || !same(got, c.v.want) {
				t.Fatalf("TarsGo read %v %v", got, err)
			}
		})
	}
}

// testInfo and testInfo2 are the structs of example 3. Their val writes the
// bare TestInfo2 fields (tag is unused), TarsGo-side as tars2go would.
type testInfo struct {
	II int32  // 1 require = 34
	S  string // 2 optional = "abc"
}

type testInfo2 struct {
	T testInfo // 1 require
	A int32    // 2 require = 12345
}

func (s *testInfo) WriteFields(w *codec.Writer) error {
	w.WriteInt32(1, s.II)
	if s.S != "abc" {
		w.WriteString(2, s.S)
	}
	return nil
}

func (s *testInfo) ReadFields(r *codec.Reader) error {
	*s = testInfo{II: 34, S: "abc"}
	if err := r.ReadInt32(&s.II, 1, true); err != nil {
		return err
	}
	return r.ReadString(&s.S, 2, false)
}

func testInfo2Val(v testInfo2) val {
	return val{
		name: "TestInfo2", want: v, ordered: true,
		opWrite: func(w *codec.Writer, _ byte) {
			_ = w.WriteStruct(1, &v.T)
			w.WriteInt32(2, v.A)
		},
		opRead: func(r *codec.Reader, _ byte, _ bool) (any, error) {
			var x testInfo2
			if err := r.ReadStruct(&x.T, 1, true); err != nil {
				return nil, err
			}
			err := r.ReadInt32(&x.A, 2, true)
			return x, err
		},
		tgWrite: func(b *tc.Buffer, _ byte) error {
			// TestInfo.WriteBlock(buf, 1) as tars2go generates it.
			if err := b.WriteHead(tc.StructBegin, 1); err != nil {
				return err
			}
			if err := b.WriteInt32(v.T.II, 1); err != nil {
				return err
			}
			if v.T.S != "abc" {
				if err := b.WriteString(v.T.S, 2); err != nil {
					return err
				}
			}
			if err := b.WriteHead(tc.StructEnd, 0); err != nil {
				return err
			}
			return b.WriteInt32(v.A, 2)
		},
		tgRead: func(r *tc.Reader, _ byte, _ bool) (any, error) {
			x := testInfo2{T: testInfo{II: 34, S: "abc"}, A: 12345}
			if _, err := r.SkipTo(tc.StructBegin, 1, true); err != nil {
				return nil, err
			}
			if err := r.ReadInt32(&x.T.II, 1, true); err != nil {
				return nil, err
			}
			if err := r.ReadString(&x.T.S, 2, false); err != nil {
				return nil, err
			}
			if err := r.SkipToStructEnd(); err != nil {
				return nil, err
			}
			err := r.ReadInt32(&x.A, 2, true)
			return x, err
		},
	}
}
