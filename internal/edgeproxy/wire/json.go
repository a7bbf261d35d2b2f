package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	kjson "sigs.k8s.io/json"
)

type jsonHead struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name            string `json:"name"`
		Namespace       string `json:"namespace"`
		UID             string `json:"uid"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
}

type jsonBookmarkHead struct {
	Metadata struct {
		ResourceVersion string            `json:"resourceVersion"`
		Annotations     map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// JSONMeta reads the type and metadata of a JSON object.
func JSONMeta(obj []byte) (TypeMeta, Meta, error) {
	return jsonMetaFast(obj)
}

// jsonMetaSlow is JSONMeta by the decoder Kubernetes uses (case-sensitive
// keys); tests compare the two.
func jsonMetaSlow(obj []byte) (TypeMeta, Meta, error) {
	var h jsonHead
	if err := kjson.UnmarshalCaseSensitivePreserveInts(obj, &h); err != nil {
		return TypeMeta{}, Meta{}, err
	}
	return TypeMeta{APIVersion: h.APIVersion, Kind: h.Kind}, Meta{
		Name: h.Metadata.Name, Namespace: h.Metadata.Namespace, UID: h.Metadata.UID,
		ResourceVersion: h.Metadata.ResourceVersion,
	}, nil
}

// WithTypeMeta returns a JSON object that lacks kind and apiVersion (items
// of a list come without them) with them set first, as the API server
// writes single objects.
func WithTypeMeta(obj []byte, tm TypeMeta) []byte {
	if tm.Kind == "" || len(obj) < 2 || obj[0] != '{' {
		return obj
	}
	out := make([]byte, 0, len(obj)+len(tm.Kind)+len(tm.APIVersion)+32)
	out = append(out, `{"kind":`...)
	out = strconv.AppendQuote(out, tm.Kind)
	out = append(out, `,"apiVersion":`...)
	out = strconv.AppendQuote(out, tm.APIVersion)
	rest := bytes.TrimLeft(obj[1:], " \t\r\n")
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}

// ReadJSONList reads a JSON list from r, item by item.
func ReadJSONList(r io.Reader, v ListVisitor) error {
	return readJSONListFast(r, v)
}

// jsonListMeta is what a list reader keeps of a JSON list's metadata.
type jsonListMeta struct {
	ResourceVersion    string `json:"resourceVersion"`
	Continue           string `json:"continue"`
	RemainingItemCount *int64 `json:"remainingItemCount"`
}

func (lm *jsonListMeta) setIn(head *ListHead) {
	head.ResourceVersion, head.Continue, head.Remaining = lm.ResourceVersion, lm.Continue, lm.RemainingItemCount
}

// readJSONListSlow is ReadJSONList by encoding/json (tests compare the two).
func readJSONListSlow(r io.Reader, v ListVisitor) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 32<<10))
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	var head ListHead
	sendHead := v.headOnce(&head)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("wire: JSON list: unexpected %v", tok)
		}
		switch key {
		case "kind":
			if err := dec.Decode(&head.Type.Kind); err != nil {
				return err
			}
		case "apiVersion":
			if err := dec.Decode(&head.Type.APIVersion); err != nil {
				return err
			}
		case "metadata":
			var lm jsonListMeta
			if err := dec.Decode(&lm); err != nil {
				return err
			}
			lm.setIn(&head)
		case "items":
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			if tok == nil {
				continue // "items": null
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fmt.Errorf("wire: JSON list: items is %v, not an array", tok)
			}
			if err := sendHead(); err != nil {
				return err
			}
			for dec.More() {
				var item json.RawMessage
				if err := dec.Decode(&item); err != nil {
					return err
				}
				if v.Item != nil {
					if err := v.Item(item); err != nil {
						return err
					}
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	return sendHead()
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return unexpected(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("wire: JSON: want %v, got %v", want, tok)
	}
	return nil
}

// AppendJSONListHead appends the head of a JSON list: what comes before
// its first item.
func AppendJSONListHead(b []byte, tm TypeMeta, head ListHead) []byte {
	b = append(b, `{"kind":`...)
	b = strconv.AppendQuote(b, tm.Kind)
	b = append(b, `,"apiVersion":`...)
	b = strconv.AppendQuote(b, tm.APIVersion)
	b = append(b, `,"metadata":{"resourceVersion":`...)
	b = strconv.AppendQuote(b, head.ResourceVersion)
	if head.Continue != "" {
		b = append(b, `,"continue":`...)
		b = strconv.AppendQuote(b, head.Continue)
	}
	if head.Remaining != nil {
		b = append(b, `,"remainingItemCount":`...)
		b = strconv.AppendInt(b, *head.Remaining, 10)
	}
	return append(b, `},"items":[`...)
}

// AppendJSONListItem appends one object of a JSON list (first: the list's
// first item, which takes no comma).
func AppendJSONListItem(b []byte, first bool, obj []byte) []byte {
	if !first {
		b = append(b, ',')
	}
	return append(b, obj...)
}

// JSONListTail ends a JSON list.
const JSONListTail = "]}\n"

// JSONFrameReader reads the events of a JSON watch stream.
type JSONFrameReader struct{ dec *json.Decoder }

// NewJSONFrameReader reads frames from r.
func NewJSONFrameReader(r io.Reader) *JSONFrameReader {
	return &JSONFrameReader{dec: json.NewDecoder(r)}
}

// Next returns the next event's JSON bytes.
func (f *JSONFrameReader) Next() ([]byte, error) {
	var raw json.RawMessage
	if err := f.dec.Decode(&raw); err != nil {
		return nil, err
	}
	if len(raw) > MaxObjectSize {
		return nil, errTooLarge
	}
	return raw, nil
}

// ParseJSONEvent decodes a JSON watch event.
func ParseJSONEvent(frame []byte) (EventType, []byte, error) {
	var typ string
	var obj []byte
	err := eachMember(frame, func(key string, val []byte) error {
		switch key {
		case "type":
			s, err := stringValue(val)
			typ = s
			return err
		case "object":
			obj = val
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if typ == "" || len(obj) == 0 {
		return "", nil, errors.New("wire: JSON watch event without type or object")
	}
	return EventType(typ), obj, nil
}

// JSONBookmarkMeta reads the resourceVersion and initial-events-end mark of
// a bookmark object.
func JSONBookmarkMeta(obj []byte) (Meta, error) {
	var h jsonBookmarkHead
	if err := json.Unmarshal(obj, &h); err != nil {
		return Meta{}, err
	}
	return Meta{
		ResourceVersion:  h.Metadata.ResourceVersion,
		InitialEventsEnd: h.Metadata.Annotations[initialEventsEndAnnotation] == "true",
	}, nil
}

// AppendJSONEvent appends a JSON watch event, newline-terminated as the API
// server writes them.
func AppendJSONEvent(b []byte, typ EventType, obj []byte) []byte {
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, string(typ))
	b = append(b, `,"object":`...)
	b = append(b, obj...)
	return append(b, "}\n"...)
}

// JSONBookmark is a bookmark object of type tm.
func JSONBookmark(tm TypeMeta, rv string, initialEventsEnd bool) []byte {
	b := []byte(`{"kind":`)
	b = strconv.AppendQuote(b, tm.Kind)
	b = append(b, `,"apiVersion":`...)
	b = strconv.AppendQuote(b, tm.APIVersion)
	b = append(b, `,"metadata":{"resourceVersion":`...)
	b = strconv.AppendQuote(b, rv)
	if initialEventsEnd {
		b = append(b, `,"annotations":{"k8s.io/initial-events-end":"true"}`...)
	}
	return append(b, `}}`...)
}
