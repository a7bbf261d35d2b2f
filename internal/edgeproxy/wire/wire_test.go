package wire

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	restwatch "k8s.io/client-go/rest/watch"
)

var (
	protoSer    = protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	protoRaw    = protobuf.NewRawSerializer(scheme.Scheme, scheme.Scheme)
	jsonSer     = json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, json.SerializerOptions{})
	podType     = TypeMeta{APIVersion: "v1", Kind: "Pod"}
	podListType = TypeMeta{APIVersion: "v1", Kind: "PodList"}
	podGVK      = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
)

func testPod(i int) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("pod-%03d", i), Namespace: "ns", UID: "uid", ResourceVersion: fmt.Sprint(100 + i),
			Labels: map[string]string{"app": "x"}, Annotations: map[string]string{"a": "b"},
		},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "img"}}},
	}
}

func testList(n int) *corev1.PodList {
	l := &corev1.PodList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PodList"}, ListMeta: metav1.ListMeta{ResourceVersion: "555", Continue: "tok"}}
	for i := range n {
		p := testPod(i)
		p.TypeMeta = metav1.TypeMeta{}
		l.Items = append(l.Items, *p)
	}
	rem := int64(7)
	l.RemainingItemCount = &rem
	return l
}

func encode(t *testing.T, e runtime.Encoder, obj runtime.Object) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := e.Encode(obj, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadLists(t *testing.T) {
	list := testList(50)
	for _, tc := range []struct {
		name string
		body []byte
		read func(io.Reader, ListVisitor) error
		enc  Encoding
	}{
		{"protobuf", encode(t, protoSer, list), ReadProtoList, Protobuf},
		{"json", encode(t, jsonSer, list), ReadJSONList, JSON},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var head ListHead
			var items [][]byte
			err := tc.read(bytes.NewReader(tc.body), ListVisitor{
				Head: func(h ListHead) error { head = h; return nil },
				Item: func(raw []byte) error { items = append(items, raw); return nil },
			})
			if err != nil {
				t.Fatal(err)
			}
			if head.Type != podListType || head.ResourceVersion != "555" || head.Continue != "tok" || head.Remaining == nil || *head.Remaining != 7 {
				t.Errorf("head = %+v", head)
			}
			if len(items) != 50 {
				t.Fatalf("%d items", len(items))
			}
			for i, raw := range items {
				var m Meta
				if tc.enc == Protobuf {
					m, err = ProtoMeta(raw)
				} else {
					_, m, err = JSONMeta(raw)
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.Key() != fmt.Sprintf("ns/pod-%03d", i) || m.ResourceVersion != fmt.Sprint(100+i) || m.UID != "uid" {
					t.Errorf("item %d meta = %+v", i, m)
				}
				// Every item converts to the other encoding and back.
				o := Object{Type: podType, Enc: tc.enc, Raw: raw}
				other := JSON
				if tc.enc == JSON {
					other = Protobuf
				}
				c, err := Convert(o, other)
				if err != nil {
					t.Fatal(err)
				}
				back, err := Convert(c, tc.enc)
				if err != nil {
					t.Fatal(err)
				}
				got := decodeObject(t, EncodeObject(back))
				want := list.Items[i].DeepCopy()
				want.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
				if !apiequality.Semantic.DeepEqual(got, want) {
					t.Errorf("item %d after conversion: %+v", i, got)
				}
			}
		})
	}
}

func TestTruncatedListsFail(t *testing.T) {
	for _, body := range [][]byte{encode(t, protoSer, testList(3)), encode(t, jsonSer, testList(3))} {
		read := ReadJSONList
		if bytes.HasPrefix(body, ProtoMagic) {
			read = ReadProtoList
		}
		for _, cut := range []int{5, len(body) / 2, len(body) - 3} {
			if err := read(bytes.NewReader(body[:cut]), ListVisitor{}); err == nil {
				t.Errorf("list cut at %d of %d read without error", cut, len(body))
			}
		}
	}
}

// decodeObject decodes a response body the way client-go does.
func decodeObject(t *testing.T, body []byte) *corev1.Pod {
	t.Helper()
	var dec runtime.Decoder = jsonSer
	if bytes.HasPrefix(body, ProtoMagic) {
		dec = protoSer
	}
	obj, _, err := dec.Decode(body, nil, nil)
	if err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	pod := obj.(*corev1.Pod)
	pod.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	return pod
}

func TestWriteListsDecodeUpstream(t *testing.T) {
	list := testList(20)
	for _, enc := range []Encoding{Protobuf, JSON} {
		var items [][]byte
		size := 0
		for i := range list.Items {
			p := list.Items[i]
			var raw []byte
			if enc == Protobuf {
				raw, _ = p.Marshal()
			} else {
				raw = encode(t, jsonSer, &p)
			}
			items = append(items, raw)
			size += ProtoItemSize(len(raw))
		}
		// Framed as the cache serves lists (serveList).
		var out []byte
		head := ListHead{ResourceVersion: "555", Continue: "tok", Remaining: list.RemainingItemCount}
		if enc == Protobuf {
			out = AppendProtoListHead(out, podListType, head, size)
			for _, it := range items {
				out = AppendProtoListItem(out, it)
			}
			out = AppendProtoListTail(out)
		} else {
			out = AppendJSONListHead(out, podListType, head)
			for i, it := range items {
				out = AppendJSONListItem(out, i == 0, it)
			}
			out = append(out, JSONListTail...)
		}
		var dec runtime.Decoder = jsonSer
		if enc == Protobuf {
			dec = protoSer
		}
		obj, _, err := dec.Decode(out, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		got := obj.(*corev1.PodList)
		got.TypeMeta = list.TypeMeta
		if !apiequality.Semantic.DeepEqual(got, list) {
			t.Errorf("%s list differs:\n%+v\n%+v", enc, got.ListMeta, list.ListMeta)
		}
	}
}

func TestWatchFramesBothWays(t *testing.T) {
	pod := testPod(1)
	for _, enc := range []Encoding{Protobuf, JSON} {
		t.Run(enc.String(), func(t *testing.T) {
			// Upstream encodes, we parse.
			var stream bytes.Buffer
			var rawSer runtime.Serializer = protoRaw
			var embedded runtime.Encoder = protoSer
			framer := protobuf.LengthDelimitedFramer.NewFrameWriter(&stream)
			if enc == JSON {
				rawSer, embedded = jsonSer, jsonSer
				framer = json.Framer.NewFrameWriter(&stream)
			}
			upEnc := restwatch.NewEncoder(streaming.NewEncoder(framer, rawSer), embedded)
			bm := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "200", Annotations: map[string]string{"k8s.io/initial-events-end": "true"}}}
			for _, ev := range []watch.Event{{Type: watch.Added, Object: pod}, {Type: watch.Bookmark, Object: bm}} {
				if err := upEnc.Encode(&ev); err != nil {
					t.Fatal(err)
				}
			}
			var frames [][]byte
			r := bytes.NewReader(stream.Bytes())
			jr := NewJSONFrameReader(r)
			for {
				var f []byte
				var err error
				if enc == Protobuf {
					f, err = ReadProtoFrame(r)
				} else {
					f, err = jr.Next()
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				frames = append(frames, f)
			}
			if len(frames) != 2 {
				t.Fatalf("%d frames", len(frames))
			}
			var objs []Object
			for i, f := range frames {
				var typ EventType
				var o Object
				var m Meta
				var err error
				if enc == Protobuf {
					typ, o.Type, o.Raw, err = ParseProtoEvent(f)
					if err == nil {
						m, err = ProtoMeta(o.Raw)
					}
				} else {
					typ, o.Raw, err = ParseJSONEvent(f)
					if err == nil && typ == Bookmark {
						m, err = JSONBookmarkMeta(o.Raw)
					} else if err == nil {
						o.Type, m, err = JSONMeta(o.Raw)
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				o.Enc = enc
				objs = append(objs, o)
				switch i {
				case 0:
					if typ != Added || m.Key() != "ns/pod-001" || m.ResourceVersion != "101" || (enc == Protobuf && o.Type != podType) {
						t.Errorf("event 0: %s %+v %+v", typ, o.Type, m)
					}
				case 1:
					if typ != Bookmark || m.ResourceVersion != "200" || !m.InitialEventsEnd {
						t.Errorf("event 1: %s %+v", typ, m)
					}
				}
			}

			// We encode, upstream parses.
			var ours bytes.Buffer
			ours.Write(EncodeEvent(Modified, objs[0]))
			ours.Write(EncodeEvent(Bookmark, BookmarkObject(enc, podType, "300", true)))
			var frameReader io.ReadCloser
			var embeddedDec runtime.Decoder = protoSer
			if enc == Protobuf {
				frameReader = protobuf.LengthDelimitedFramer.NewFrameReader(io.NopCloser(&ours))
			} else {
				frameReader = json.Framer.NewFrameReader(io.NopCloser(&ours))
				embeddedDec = jsonSer
			}
			dec := restwatch.NewDecoder(streaming.NewDecoder(frameReader, rawSer), embeddedDec)
			typ, obj, err := dec.Decode()
			if err != nil {
				t.Fatal(err)
			}
			got := obj.(*corev1.Pod)
			got.TypeMeta = pod.TypeMeta
			if typ != watch.Modified || !apiequality.Semantic.DeepEqual(got, pod) {
				t.Errorf("decoded %s %+v", typ, got)
			}
			typ, obj, err = dec.Decode()
			if err != nil {
				t.Fatal(err)
			}
			acc, _ := metaAccessor(obj)
			if typ != watch.Bookmark || acc.GetResourceVersion() != "300" || acc.GetAnnotations()["k8s.io/initial-events-end"] != "true" {
				t.Errorf("bookmark decoded as %s %+v", typ, obj)
			}
		})
	}
}

func metaAccessor(obj runtime.Object) (metav1.Object, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", obj)
	}
	return o, nil
}

func TestStatusAndEnvelope(t *testing.T) {
	for _, enc := range []Encoding{JSON, Protobuf} {
		body := EncodeObject(StatusObject(enc, Expired("too old")))
		var dec runtime.Decoder = jsonSer
		if enc == Protobuf {
			dec = protoSer
		}
		obj, _, err := dec.Decode(body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		st := obj.(*metav1.Status)
		if st.Code != 410 || st.Reason != metav1.StatusReasonExpired || st.Message != "too old" {
			t.Errorf("%s status = %+v", enc, st)
		}
	}
	raw, _ := testPod(3).Marshal()
	tm, got, err := ParseEnvelope(AppendEnvelope(nil, podType, raw))
	if err != nil || tm != podType || !bytes.Equal(got, raw) {
		t.Errorf("envelope round trip: %v %+v", err, tm)
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept string
		proto  bool
		want   Encoding
		ok     bool
	}{
		{"", true, JSON, true},
		{"application/vnd.kubernetes.protobuf, */*", true, Protobuf, true},
		{"application/vnd.kubernetes.protobuf, */*", false, JSON, true},
		{"application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", true, JSON, true},
		{"application/json;as=Table;v=v1;g=meta.k8s.io", true, Unknown, false},
		{"application/yaml", true, Unknown, false},
		{"application/json;q=0.5, application/vnd.kubernetes.protobuf", true, Protobuf, true},
	} {
		got, ok := Negotiate(tc.accept, tc.proto)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Negotiate(%q, %v) = %v %v, want %v %v", tc.accept, tc.proto, got, ok, tc.want, tc.ok)
		}
	}
	if EncodingOf("application/json;as=Table;g=meta.k8s.io;v=v1") != Unknown || EncodingOf("application/vnd.kubernetes.protobuf;stream=watch") != Protobuf {
		t.Error("EncodingOf")
	}
	if !reflect.DeepEqual(WithTypeMeta([]byte(`{}`), podType), []byte(`{"kind":"Pod","apiVersion":"v1"}`)) {
		t.Errorf("WithTypeMeta on empty object: %s", WithTypeMeta([]byte(`{}`), podType))
	}
	_ = podGVK
}
