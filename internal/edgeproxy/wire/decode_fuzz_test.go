package wire

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	restwatch "k8s.io/client-go/rest/watch"
)

// decoderSeeds are what the API server really sends: lists, objects and
// watch streams in both encodings, so the fuzzer starts from valid input
// and mutates it.
func decoderSeeds(f *testing.F) [][]byte {
	f.Helper()
	enc := func(e runtime.Encoder, o runtime.Object) []byte {
		var buf bytes.Buffer
		if err := e.Encode(o, &buf); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	seeds := [][]byte{
		enc(protoSer, testList(3)), enc(jsonSer, testList(3)),
		enc(protoSer, testPod(1)), enc(jsonSer, testPod(1)),
		enc(protoSer, &corev1.PodList{}), enc(jsonSer, &corev1.PodList{}),
	}
	for _, proto := range []bool{true, false} {
		var stream bytes.Buffer
		var rawSer runtime.Serializer = protoRaw
		var embedded runtime.Encoder = protoSer
		framer := protobuf.LengthDelimitedFramer.NewFrameWriter(&stream)
		if !proto {
			rawSer, embedded = jsonSer, jsonSer
			framer = json.Framer.NewFrameWriter(&stream)
		}
		w := restwatch.NewEncoder(streaming.NewEncoder(framer, rawSer), embedded)
		bm := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "9", Annotations: map[string]string{"k8s.io/initial-events-end": "true"}}}
		for _, ev := range []watch.Event{{Type: watch.Added, Object: testPod(2)}, {Type: watch.Deleted, Object: testPod(3)}, {Type: watch.Bookmark, Object: bm}} {
			if err := w.Encode(&ev); err != nil {
				f.Fatal(err)
			}
		}
		seeds = append(seeds, stream.Bytes())
	}
	return seeds
}

// FuzzDecoders feeds arbitrary bytes to every decoder the proxy runs on
// what the cloud sends (lists, objects, watch frames, envelopes), in both
// encodings: none may panic or return an item larger than MaxObjectSize,
// and what a list reader accepts it reads to the end.
func FuzzDecoders(f *testing.F) {
	for _, s := range decoderSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0, 0, 0, 5, 0x0a, 0x03, 'A', 'D', 'D'})
	f.Add([]byte("k8s\x00\x0a\x02\x0a\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bound := func(what string, raw []byte) {
			if len(raw) > MaxObjectSize {
				t.Fatalf("%s: %d bytes, over MaxObjectSize", what, len(raw))
			}
		}
		visitor := ListVisitor{
			Head: func(ListHead) error { return nil },
			Item: func(raw []byte) error { bound("list item", raw); return nil },
		}
		_ = ReadProtoList(bytes.NewReader(b), visitor)
		_ = ReadJSONList(bytes.NewReader(b), visitor)
		if tm, raw, err := ParseEnvelope(b); err == nil {
			bound("envelope", raw)
			_, _ = ProtoMeta(raw)
			_ = tm.Kind
		}
		_, _ = ProtoMeta(b)
		_, _, _ = JSONMeta(b)
		_, _ = JSONBookmarkMeta(b)
		if _, obj, err := ParseJSONEvent(b); err == nil {
			bound("JSON event", obj)
		}
		if _, _, raw, err := ParseProtoEvent(b); err == nil {
			bound("protobuf event", raw)
		}
		// Streams of frames, as a watch reads them.
		jr := NewJSONFrameReader(bytes.NewReader(b))
		for range 64 {
			frame, err := jr.Next()
			if err != nil {
				break
			}
			if _, obj, err := ParseJSONEvent(frame); err == nil {
				bound("JSON frame", obj)
			}
		}
		r := bytes.NewReader(b)
		for range 64 {
			frame, err := ReadProtoFrame(r)
			if err != nil {
				break
			}
			_, _, _, _ = ParseProtoEvent(frame)
		}
	})
}
