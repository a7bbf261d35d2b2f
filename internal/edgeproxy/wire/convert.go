package wire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

type protoMarshaler interface{ Marshal() ([]byte, error) }
type protoUnmarshaler interface{ Unmarshal([]byte) error }

// CanConvert reports whether objects of type tm can be converted between
// JSON and protobuf: true for the built-in types this binary knows.
// Custom resources have no protobuf form at all.
func CanConvert(tm TypeMeta) bool {
	_, ok := typed(tm)
	return ok
}

func typed(tm TypeMeta) (runtime.Object, bool) {
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil || tm.Kind == "" {
		return nil, false
	}
	obj, err := scheme.Scheme.New(gv.WithKind(tm.Kind))
	if err != nil {
		return nil, false
	}
	if _, ok := obj.(protoMarshaler); !ok {
		return nil, false
	}
	if _, ok := obj.(protoUnmarshaler); !ok {
		return nil, false
	}
	return obj, true
}

// Convert returns the object in encoding to.
func Convert(o Object, to Encoding) (Object, error) {
	if o.Enc == to {
		return o, nil
	}
	obj, ok := typed(o.Type)
	if !ok {
		return Object{}, fmt.Errorf("wire: cannot convert %s %s from %s to %s", o.Type.APIVersion, o.Type.Kind, o.Enc, to)
	}
	out := Object{Type: o.Type, Enc: to}
	var err error
	switch to {
	case Protobuf:
		if err = json.Unmarshal(o.Raw, obj); err == nil {
			out.Raw, err = obj.(protoMarshaler).Marshal()
		}
	case JSON:
		if err = obj.(protoUnmarshaler).Unmarshal(o.Raw); err == nil {
			gv, _ := schema.ParseGroupVersion(o.Type.APIVersion)
			obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(o.Type.Kind))
			out.Raw, err = json.Marshal(obj)
		}
	default:
		err = fmt.Errorf("wire: cannot convert to %s", to)
	}
	if err != nil {
		return Object{}, fmt.Errorf("wire: converting %s %s to %s: %w", o.Type.APIVersion, o.Type.Kind, to, err)
	}
	return out, nil
}

// EncodeObject is the body of a response holding one object.
func EncodeObject(o Object) []byte {
	if o.Enc == Protobuf {
		return AppendEnvelope(nil, o.Type, o.Raw)
	}
	return o.Raw
}

// EncodeEvent is one watch frame.
func EncodeEvent(typ EventType, o Object) []byte {
	if o.Enc == Protobuf {
		return AppendProtoEvent(nil, typ, o.Type, o.Raw)
	}
	return AppendJSONEvent(nil, typ, o.Raw)
}

// BookmarkObject is a bookmark for a watch of objects of type tm.
func BookmarkObject(enc Encoding, tm TypeMeta, rv string, initialEventsEnd bool) Object {
	if enc == Protobuf {
		return Object{Type: tm, Enc: Protobuf, Raw: ProtoBookmark(rv, initialEventsEnd)}
	}
	return Object{Type: tm, Enc: JSON, Raw: JSONBookmark(tm, rv, initialEventsEnd)}
}

var statusType = TypeMeta{APIVersion: "v1", Kind: "Status"}

// StatusObject is a failure Status in encoding enc.
func StatusObject(enc Encoding, s *metav1.Status) Object {
	s.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}
	s.Status = metav1.StatusFailure
	if enc == Protobuf {
		raw, err := s.Marshal()
		if err == nil {
			return Object{Type: statusType, Enc: Protobuf, Raw: raw}
		}
	}
	raw, _ := json.Marshal(s)
	return Object{Type: statusType, Enc: JSON, Raw: raw}
}

// Unavailable is the Status of a request the proxy cannot serve while the
// cloud is unreachable.
func Unavailable(msg string, retryAfter int) *metav1.Status {
	return &metav1.Status{
		Code: http.StatusServiceUnavailable, Reason: metav1.StatusReasonServiceUnavailable, Message: msg,
		Details: &metav1.StatusDetails{RetryAfterSeconds: int32(retryAfter)},
	}
}

// Expired is the Status of a request for a resourceVersion older than the
// proxy keeps (410 Gone): the client must list again.
func Expired(msg string) *metav1.Status {
	return &metav1.Status{Code: http.StatusGone, Reason: metav1.StatusReasonExpired, Message: msg}
}

// TooLargeResourceVersion is the Status the API server answers a request
// for a resourceVersion newer than it has seen; clients then list afresh.
func TooLargeResourceVersion(rv uint64) *metav1.Status {
	return &metav1.Status{
		Code: http.StatusGatewayTimeout, Reason: metav1.StatusReasonTimeout,
		Message: "Too large resource version: " + strconv.FormatUint(rv, 10),
		Details: &metav1.StatusDetails{
			Causes:            []metav1.StatusCause{{Type: metav1.CauseTypeResourceVersionTooLarge, Message: "Too large resource version"}},
			RetryAfterSeconds: 1,
		},
	}
}

// NotFound is the Status of a missing object.
func NotFound(group, resource, name string) *metav1.Status {
	return &metav1.Status{
		Code: http.StatusNotFound, Reason: metav1.StatusReasonNotFound,
		Message: fmt.Sprintf("%s %q not found", qualified(group, resource), name),
		Details: &metav1.StatusDetails{Name: name, Group: group, Kind: resource},
	}
}

// AlreadyExists is the Status of a create of an existing object.
func AlreadyExists(group, resource, name string) *metav1.Status {
	return &metav1.Status{
		Code: http.StatusConflict, Reason: metav1.StatusReasonAlreadyExists,
		Message: fmt.Sprintf("%s %q already exists", qualified(group, resource), name),
		Details: &metav1.StatusDetails{Name: name, Group: group, Kind: resource},
	}
}

func qualified(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}
