package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// ProtoMagic starts every protobuf-encoded Kubernetes object.
var ProtoMagic = []byte{'k', '8', 's', 0}

// MaxObjectSize bounds one object, event or list item read from a stream;
// etcd itself refuses values above 1.5 MiB, so this is generous.
const MaxObjectSize = 64 << 20

var errTooLarge = errors.New("wire: object larger than MaxObjectSize")

// Field numbers shared by every Kubernetes type.
const (
	fieldUnknownTypeMeta = 1
	fieldUnknownRaw      = 2
	fieldTypeMetaAPI     = 1
	fieldTypeMetaKind    = 2

	fieldObjectMeta = 1 // of any object
	fieldListMeta   = 1 // of any list
	fieldListItems  = 2 // of any list

	fieldMetaName        = 1
	fieldMetaNamespace   = 3
	fieldMetaUID         = 5
	fieldMetaRV          = 6
	fieldMetaAnnotations = 12

	fieldListMetaRV        = 2
	fieldListMetaContinue  = 3
	fieldListMetaRemaining = 4

	fieldEventType   = 1
	fieldEventObject = 2
	fieldRawExtRaw   = 1
)

// ParseEnvelope splits a protobuf-encoded object ("k8s\x00" + Unknown)
// into its type and the bare message of that type.
func ParseEnvelope(b []byte) (TypeMeta, []byte, error) {
	var tm TypeMeta
	if !bytes.HasPrefix(b, ProtoMagic) {
		return tm, nil, errors.New("wire: not a protobuf object (no k8s magic)")
	}
	b = b[len(ProtoMagic):]
	var raw []byte
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case fieldUnknownTypeMeta:
			var err error
			tm, err = parseTypeMeta(v)
			return err
		case fieldUnknownRaw:
			raw = v
		}
		return nil
	})
	return tm, raw, err
}

// AppendEnvelope appends the protobuf encoding of an object of type tm
// whose bare message is raw.
func AppendEnvelope(b []byte, tm TypeMeta, raw []byte) []byte {
	b = append(b, ProtoMagic...)
	b = appendTypeMeta(b, tm)
	b = protowire.AppendTag(b, fieldUnknownRaw, protowire.BytesType)
	b = protowire.AppendBytes(b, raw)
	// contentEncoding and contentType, empty, as the API server writes them.
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendVarint(b, 0)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendVarint(b, 0)
}

func appendTypeMeta(b []byte, tm TypeMeta) []byte {
	n := protowire.SizeTag(1) + protowire.SizeBytes(len(tm.APIVersion)) + protowire.SizeTag(2) + protowire.SizeBytes(len(tm.Kind))
	b = protowire.AppendTag(b, fieldUnknownTypeMeta, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = protowire.AppendTag(b, fieldTypeMetaAPI, protowire.BytesType)
	b = protowire.AppendString(b, tm.APIVersion)
	b = protowire.AppendTag(b, fieldTypeMetaKind, protowire.BytesType)
	return protowire.AppendString(b, tm.Kind)
}

func parseTypeMeta(b []byte) (TypeMeta, error) {
	var tm TypeMeta
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case fieldTypeMetaAPI:
			tm.APIVersion = string(v)
		case fieldTypeMetaKind:
			tm.Kind = string(v)
		}
		return nil
	})
	return tm, err
}

// ProtoMeta reads the metadata of a bare protobuf object message.
func ProtoMeta(msg []byte) (Meta, error) {
	var m Meta
	err := eachField(msg, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if num != fieldObjectMeta || typ != protowire.BytesType {
			return nil
		}
		return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
			if typ != protowire.BytesType {
				return nil
			}
			switch num {
			case fieldMetaName:
				m.Name = string(v)
			case fieldMetaNamespace:
				m.Namespace = string(v)
			case fieldMetaUID:
				m.UID = string(v)
			case fieldMetaRV:
				m.ResourceVersion = string(v)
			case fieldMetaAnnotations:
				k, val, err := mapEntry(v)
				if err != nil {
					return err
				}
				if k == initialEventsEndAnnotation && val == "true" {
					m.InitialEventsEnd = true
				}
			}
			return nil
		})
	})
	return m, err
}

const initialEventsEndAnnotation = "k8s.io/initial-events-end"

func mapEntry(b []byte) (k, v string, err error) {
	err = eachField(b, func(num protowire.Number, typ protowire.Type, val []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			k = string(val)
		case 2:
			v = string(val)
		}
		return nil
	})
	return k, v, err
}

// eachField calls fn for every field of a protobuf message; v is the
// payload of length-delimited fields and nil for the others.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte) error) error {
	return eachFieldVarint(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		return fn(num, typ, v)
	})
}

// eachFieldVarint is eachField that also hands over varint values.
func eachFieldVarint(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("wire: bad protobuf tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("wire: bad protobuf field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// ListHead is what a list says besides its items.
type ListHead struct {
	Type            TypeMeta // of the list: "PodList"
	ResourceVersion string
	Continue        string
	Remaining       *int64
}

// ListVisitor receives a list as it is read.
type ListVisitor struct {
	// Head is called with the list's type and metadata, before the items
	// when the encoding puts them first (the API server always does).
	Head func(ListHead) error
	// Item is called with each item: the bare protobuf message or the
	// JSON object, in a buffer the callee may keep.
	Item func(raw []byte) error
}

// headOnce returns what the list readers call when the head is complete
// (before the first item, or at the end of a list without items): it
// passes *head to v.Head the first time and does nothing after.
func (v ListVisitor) headOnce(head *ListHead) func() error {
	sent := false
	return func() error {
		if sent || v.Head == nil {
			sent = true
			return nil
		}
		sent = true
		return v.Head(*head)
	}
}

// ReadProtoList reads a protobuf list from r, item by item.
func ReadProtoList(r io.Reader, v ListVisitor) error {
	br := bufio.NewReaderSize(r, 32<<10)
	magic := make([]byte, len(ProtoMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return err
	}
	if !bytes.Equal(magic, ProtoMagic) {
		return errors.New("wire: not a protobuf list (no k8s magic)")
	}
	var head ListHead
	sendHead := v.headOnce(&head)
	for {
		num, typ, err := readTag(br)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if typ != protowire.BytesType {
			if err := skipField(br, typ); err != nil {
				return err
			}
			continue
		}
		n, err := readLen(br)
		if err != nil {
			return err
		}
		switch num {
		case fieldUnknownTypeMeta:
			b, err := readN(br, n)
			if err != nil {
				return err
			}
			if head.Type, err = parseTypeMeta(b); err != nil {
				return err
			}
		case fieldUnknownRaw:
			lr := &io.LimitedReader{R: br, N: int64(n)}
			if err := readProtoListBody(lr, &head, sendHead, v); err != nil {
				return err
			}
			if lr.N != 0 {
				return io.ErrUnexpectedEOF
			}
		default:
			if _, err := br.Discard(int(n)); err != nil {
				return err
			}
		}
	}
	return sendHead()
}

// readProtoListBody reads the fields of the list message itself.
func readProtoListBody(r *io.LimitedReader, head *ListHead, sendHead func() error, v ListVisitor) error {
	br := byteReader{r}
	for r.N > 0 {
		num, typ, err := readTag(br)
		if err != nil {
			return unexpected(err)
		}
		if typ != protowire.BytesType {
			if err := skipField(br, typ); err != nil {
				return unexpected(err)
			}
			continue
		}
		n, err := readLen(br)
		if err != nil {
			return unexpected(err)
		}
		b, err := readN(r, n)
		if err != nil {
			return unexpected(err)
		}
		switch num {
		case fieldListMeta:
			if err := parseListMeta(b, head); err != nil {
				return err
			}
		case fieldListItems:
			if err := sendHead(); err != nil {
				return err
			}
			if v.Item != nil {
				if err := v.Item(b); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func parseListMeta(b []byte, head *ListHead) error {
	return eachFieldVarint(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == fieldListMetaRV && typ == protowire.BytesType:
			head.ResourceVersion = string(v)
		case num == fieldListMetaContinue && typ == protowire.BytesType:
			head.Continue = string(v)
		case num == fieldListMetaRemaining && typ == protowire.VarintType:
			n := int64(x)
			head.Remaining = &n
		}
		return nil
	})
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// byteReader adapts a reader for binary.ReadUvarint; reads are one byte at
// a time, but r sits on a bufio.Reader.
type byteReader struct{ io.Reader }

func (b byteReader) ReadByte() (byte, error) {
	var p [1]byte
	_, err := io.ReadFull(b.Reader, p[:])
	return p[0], err
}

func readTag(r io.ByteReader) (protowire.Number, protowire.Type, error) {
	v, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, 0, err
	}
	num, typ := protowire.DecodeTag(v)
	if num < 1 {
		return 0, 0, errors.New("wire: bad protobuf field number")
	}
	return num, typ, nil
}

func readLen(r io.ByteReader) (uint64, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, unexpected(err)
	}
	if n > MaxObjectSize {
		return 0, errTooLarge
	}
	return n, nil
}

func readN(r io.Reader, n uint64) ([]byte, error) {
	if n > MaxObjectSize {
		return nil, errTooLarge
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, unexpected(err)
}

func skipField(r io.ByteReader, typ protowire.Type) error {
	var n int
	switch typ {
	case protowire.VarintType:
		_, err := binary.ReadUvarint(r)
		return err
	case protowire.Fixed32Type:
		n = 4
	case protowire.Fixed64Type:
		n = 8
	default:
		return fmt.Errorf("wire: unsupported protobuf wire type %d", typ)
	}
	for range n {
		if _, err := r.ReadByte(); err != nil {
			return err
		}
	}
	return nil
}

// ReadProtoFrame reads one frame of a protobuf watch stream: a 4-byte
// big-endian length and that many bytes.
func ReadProtoFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxObjectSize {
		return nil, errTooLarge
	}
	b := make([]byte, 4+n)
	copy(b, hdr[:])
	_, err := io.ReadFull(r, b[4:])
	return b, unexpected(err)
}

// ParseProtoEvent decodes a protobuf watch frame (with its length prefix).
func ParseProtoEvent(frame []byte) (EventType, TypeMeta, []byte, error) {
	if len(frame) < 4 {
		return "", TypeMeta{}, nil, io.ErrUnexpectedEOF
	}
	var typ EventType
	var envelope []byte
	err := eachField(frame[4:], func(num protowire.Number, wt protowire.Type, v []byte) error {
		if wt != protowire.BytesType {
			return nil
		}
		switch num {
		case fieldEventType:
			typ = EventType(v)
		case fieldEventObject:
			return eachField(v, func(num protowire.Number, wt protowire.Type, v []byte) error {
				if num == fieldRawExtRaw && wt == protowire.BytesType {
					envelope = v
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return "", TypeMeta{}, nil, err
	}
	tm, raw, err := ParseEnvelope(envelope)
	return typ, tm, raw, err
}

// AppendProtoEvent appends a protobuf watch frame for an object of type tm
// with bare message raw.
func AppendProtoEvent(b []byte, typ EventType, tm TypeMeta, raw []byte) []byte {
	env := AppendEnvelope(nil, tm, raw)
	rawExtLen := protowire.SizeTag(1) + protowire.SizeBytes(len(env))
	n := protowire.SizeTag(1) + protowire.SizeBytes(len(typ)) + protowire.SizeTag(2) + protowire.SizeBytes(rawExtLen)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = protowire.AppendTag(b, fieldEventType, protowire.BytesType)
	b = protowire.AppendString(b, string(typ))
	b = protowire.AppendTag(b, fieldEventObject, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(rawExtLen))
	b = protowire.AppendTag(b, fieldRawExtRaw, protowire.BytesType)
	return protowire.AppendBytes(b, env)
}

// ProtoBookmark is the bare message of a bookmark object: metadata with
// only a resourceVersion (and the initial-events-end annotation).
func ProtoBookmark(rv string, initialEventsEnd bool) []byte {
	var meta []byte
	meta = protowire.AppendTag(meta, fieldMetaRV, protowire.BytesType)
	meta = protowire.AppendString(meta, rv)
	if initialEventsEnd {
		var entry []byte
		entry = protowire.AppendTag(entry, 1, protowire.BytesType)
		entry = protowire.AppendString(entry, initialEventsEndAnnotation)
		entry = protowire.AppendTag(entry, 2, protowire.BytesType)
		entry = protowire.AppendString(entry, "true")
		meta = protowire.AppendTag(meta, fieldMetaAnnotations, protowire.BytesType)
		meta = protowire.AppendBytes(meta, entry)
	}
	var msg []byte
	msg = protowire.AppendTag(msg, fieldObjectMeta, protowire.BytesType)
	return protowire.AppendBytes(msg, meta)
}

// ProtoListSize is the number of bytes items of the given sizes take in a
// list, tags and lengths included.
func ProtoListSize(itemSizes ...int) int {
	n := 0
	for _, s := range itemSizes {
		n += protowire.SizeTag(fieldListItems) + protowire.SizeBytes(s)
	}
	return n
}

// ProtoItemSize is ProtoListSize of one item.
func ProtoItemSize(size int) int {
	return protowire.SizeTag(fieldListItems) + protowire.SizeBytes(size)
}

// AppendProtoListHead appends the head of a protobuf list of type tm
// whose items take itemsSize bytes (the sum of ProtoItemSize of each):
// the envelope up to the first item.
func AppendProtoListHead(b []byte, tm TypeMeta, head ListHead, itemsSize int) []byte {
	var lm []byte
	lm = protowire.AppendTag(lm, 1, protowire.BytesType) // selfLink
	lm = protowire.AppendVarint(lm, 0)
	lm = protowire.AppendTag(lm, fieldListMetaRV, protowire.BytesType)
	lm = protowire.AppendString(lm, head.ResourceVersion)
	lm = protowire.AppendTag(lm, fieldListMetaContinue, protowire.BytesType)
	lm = protowire.AppendString(lm, head.Continue)
	if head.Remaining != nil {
		lm = protowire.AppendTag(lm, fieldListMetaRemaining, protowire.VarintType)
		lm = protowire.AppendVarint(lm, uint64(*head.Remaining))
	}
	rawLen := protowire.SizeTag(fieldListMeta) + protowire.SizeBytes(len(lm)) + itemsSize
	b = append(b, ProtoMagic...)
	b = appendTypeMeta(b, tm)
	b = protowire.AppendTag(b, fieldUnknownRaw, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(rawLen))
	b = protowire.AppendTag(b, fieldListMeta, protowire.BytesType)
	return protowire.AppendBytes(b, lm)
}

// AppendProtoListItem appends one item's bare message to a protobuf list
// (ProtoItemSize(len(raw)) bytes).
func AppendProtoListItem(b, raw []byte) []byte {
	b = protowire.AppendTag(b, fieldListItems, protowire.BytesType)
	return protowire.AppendBytes(b, raw)
}

// AppendProtoListTail ends a protobuf list: the envelope's (empty)
// contentEncoding and contentType.
func AppendProtoListTail(b []byte) []byte {
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendVarint(b, 0)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendVarint(b, 0)
}
