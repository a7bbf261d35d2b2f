// Package wire reads and writes the Kubernetes API's wire formats the edge
// proxy records and serves: objects, lists and watch streams in JSON and in
// protobuf. It works on any resource, built-in or custom, without knowing
// its Go type: for protobuf it relies only on the layout every Kubernetes
// object shares (ObjectMeta is field 1 of an object; ListMeta and items are
// fields 1 and 2 of a list; objects travel in a runtime.Unknown envelope
// behind the "k8s\x00" magic). Lists are read item by item from a stream,
// so a list larger than memory is never held whole.
package wire

import (
	"mime"
	"strconv"
	"strings"
)

// Encoding is how an object is serialized.
type Encoding byte

const (
	// Unknown is any other media type (YAML, CBOR, tables...), which the
	// proxy passes through without recording.
	Unknown Encoding = iota
	JSON
	Protobuf
)

func (e Encoding) String() string {
	switch e {
	case JSON:
		return "json"
	case Protobuf:
		return "protobuf"
	}
	return "unknown"
}

// Media types.
const (
	MediaJSON          = "application/json"
	MediaProtobuf      = "application/vnd.kubernetes.protobuf"
	MediaProtobufWatch = "application/vnd.kubernetes.protobuf;stream=watch"
)

// ContentType is the media type of a response in encoding e; watch streams
// of protobuf say so.
func (e Encoding) ContentType(watch bool) string {
	switch e {
	case Protobuf:
		if watch {
			return MediaProtobufWatch
		}
		return MediaProtobuf
	default:
		return MediaJSON
	}
}

// TypeMeta is an object's apiVersion and kind.
type TypeMeta struct {
	APIVersion, Kind string
}

// Meta is what the proxy needs of an object's metadata.
type Meta struct {
	Name, Namespace, UID, ResourceVersion string
	Labels                                map[string]string
	// InitialEventsEnd is set on the bookmark that ends a watch's initial
	// events (annotation k8s.io/initial-events-end: "true").
	InitialEventsEnd bool
}

// Key is the object's key within a collection: "namespace/name", or
// "name" for cluster-scoped objects, which sorts as the API server lists.
func (m *Meta) Key() string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// RV parses a resourceVersion; the API server's are decimal integers
// (etcd revisions). Ok is false for anything else.
func RV(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// FormatRV formats a resourceVersion.
func FormatRV(rv uint64) string { return strconv.FormatUint(rv, 10) }

// Object is one object as the proxy keeps it: JSON bytes of the object,
// which always carry kind and apiVersion (see WithTypeMeta), or the bare
// protobuf message of its type (without the envelope), with its type
// alongside.
type Object struct {
	Type TypeMeta
	Enc  Encoding
	Raw  []byte
}

// EventType of a watch event.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	Bookmark EventType = "BOOKMARK"
	Error    EventType = "ERROR"
)

// EncodingOf tells the encoding of a response's Content-Type.
func EncodingOf(contentType string) Encoding {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Unknown
	}
	if params["as"] != "" {
		return Unknown // a Table or PartialObjectMetadata rendering
	}
	switch mt {
	case MediaJSON:
		return JSON
	case MediaProtobuf:
		return Protobuf
	}
	return Unknown
}

// AcceptPlain reports whether a request's Accept header asks for plain
// objects (not a server-side rendering such as a Table), which is what the
// proxy records.
func AcceptPlain(accept string) bool {
	for _, r := range strings.Split(accept, ",") {
		if strings.Contains(r, "as=") {
			return false
		}
	}
	return true
}

// Negotiate picks the encoding to answer with from an Accept header: the
// first of JSON or protobuf it allows, skipping renderings the proxy cannot
// produce (as=Table...) and other media types. protobufOK says whether the
// protobuf form can be produced. Ok is false when nothing fits.
func Negotiate(accept string, protobufOK bool) (Encoding, bool) {
	if strings.TrimSpace(accept) == "" {
		return JSON, true
	}
	best, bestQ := Unknown, -1.0
	for _, r := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(r))
		if err != nil || params["as"] != "" {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		var e Encoding
		switch mt {
		case MediaJSON, "*/*", "application/*":
			e = JSON
		case MediaProtobuf:
			if !protobufOK {
				continue
			}
			e = Protobuf
		default:
			continue
		}
		if q > bestQ && q > 0 {
			best, bestQ = e, q
		}
	}
	return best, best != Unknown
}
