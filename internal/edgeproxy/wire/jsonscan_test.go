package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"testing/iotest"
)

func readAll(read func(r *bytes.Reader, v ListVisitor) error, body []byte) (ListHead, [][]byte, error) {
	var head ListHead
	var items [][]byte
	err := read(bytes.NewReader(body), ListVisitor{
		Head: func(h ListHead) error { head = h; return nil },
		Item: func(raw []byte) error { items = append(items, raw); return nil },
	})
	return head, items, err
}

func fast(r *bytes.Reader, v ListVisitor) error {
	// One byte at a time: every value straddles reads.
	return readJSONListFast(iotest.OneByteReader(r), v)
}
func slow(r *bytes.Reader, v ListVisitor) error { return readJSONListSlow(r, v) }

func checkSameList(t *testing.T, body []byte) {
	t.Helper()
	h1, i1, err1 := readAll(slow, body)
	h2, i2, err2 := readAll(fast, body)
	if err1 != nil {
		return // not a list encoding/json reads; the fast path may differ
	}
	if err2 != nil {
		t.Fatalf("fast reader failed on %q: %v", body, err2)
	}
	if !reflect.DeepEqual(h1, h2) || len(i1) != len(i2) {
		t.Fatalf("heads %+v / %+v, %d / %d items for %q", h1, h2, len(i1), len(i2), body)
	}
	for i := range i1 {
		if !bytes.Equal(i1[i], i2[i]) {
			t.Fatalf("item %d: %q / %q", i, i1[i], i2[i])
		}
	}
}

func checkSameMeta(t *testing.T, obj []byte) {
	t.Helper()
	tm1, m1, err1 := jsonMetaSlow(obj)
	if err1 != nil || !json.Valid(obj) {
		return
	}
	var probe map[string]any
	if json.Unmarshal(obj, &probe) != nil {
		return
	}
	tm2, m2, err2 := jsonMetaFast(obj)
	if err2 != nil || tm1 != tm2 || !reflect.DeepEqual(m1, m2) {
		t.Fatalf("%q: slow %+v %+v, fast %+v %+v %v", obj, tm1, m1, tm2, m2, err2)
	}
}

func TestFastJSONMatchesEncodingJSON(t *testing.T) {
	list := encode(t, jsonSer, testList(30))
	checkSameList(t, list)
	for _, b := range [][]byte{
		[]byte(`{"kind":"PodList","items":[]}`),
		[]byte(`{"items":null,"metadata":{"resourceVersion":"7"}}`),
		[]byte(` { "apiVersion" : "v1" , "items" : [ {"a":[1,2,{"b":"}"}]} , {"c":"\"]"} ] , "kind":"XList" } `),
		[]byte(`{"metadata":{"continue":"x\u0041"},"items":[{"k":true,"n":-1.5e3,"z":null}]}`),
	} {
		checkSameList(t, b)
	}
	for i := range 30 {
		checkSameMeta(t, encode(t, jsonSer, testPod(i)))
	}
	checkSameMeta(t, []byte(`{"metadata":{"name":"a\"b","namespace":"n\u00e9","resourceVersion":"5","labels":{"name":"x"}},"kind":"K"}`))
	checkSameMeta(t, []byte(`{"metadata":null,"kind":null}`))
}

func FuzzFastJSON(f *testing.F) {
	f.Add([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"a"}}]}`))
	f.Add([]byte(`{"metadata":{"name":"a\"b","namespace":"x","resourceVersion":"1","uid":"u"},"kind":"Pod","apiVersion":"v1"}`))
	f.Add([]byte(`{"items":[{"a":"]}"},{"b":[{}]}]}`))
	for i := range 3 {
		f.Add([]byte(fmt.Sprintf(`{"items":[%s]}`, bytes.Repeat([]byte(`{"x":1},`), i))))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSameList(t, b)
		checkSameMeta(t, b)
	})
}
