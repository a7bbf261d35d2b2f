package servant

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// TUP3 carries each parameter as a separate field encoded at tag 0, keyed by
// name, in an attribute map (map<string, vector<byte>> at tag 0). Rather
// than generating a second decoder per method, the dispatcher re-tags those
// fields into the positional stream generated handlers read, and splits the
// handler's positional output back into named fields: only the field heads
// change, payloads are copied verbatim.

// tupToArgs builds the positional stream of m's in-parameters from a TUP3
// attribute map.
func tupToArgs(m *MethodDesc, body []byte) ([]byte, error) {
	attrs, err := decodeAttributes(body)
	if err != nil {
		return nil, err
	}
	w := codec.NewWriter(make([]byte, 0, len(body)))
	for i, p := range m.Params {
		if p.Out {
			continue
		}
		v, ok := attrs[p.Name]
		if !ok {
			return nil, fmt.Errorf("TUP attribute %q (parameter %d) missing", p.Name, i+1)
		}
		if from, err := retag(w, v, byte(i+1)); err != nil {
			return nil, fmt.Errorf("TUP attribute %q: %w", p.Name, err)
		} else if from != 0 {
			return nil, fmt.Errorf("TUP attribute %q: value at tag %d, want 0", p.Name, from)
		}
	}
	return w.Bytes(), nil
}

// resultsToTUP turns a handler's positional output into a TUP3 attribute
// map: the return value under "" and "tars_ret", out-parameters by name.
func resultsToTUP(m *MethodDesc, out []byte) ([]byte, error) {
	attrs := map[string][]byte{}
	r := codec.NewReader(out)
	for r.Len() > 0 {
		start := r.Offset()
		_, tag, _, err := r.PeekHead()
		if err != nil {
			return nil, err
		}
		if err := r.SkipField(); err != nil {
			return nil, err
		}
		w := codec.NewWriter(nil)
		if _, err := retag(w, out[start:r.Offset()], 0); err != nil {
			return nil, err
		}
		switch {
		case tag == 0:
			attrs[""] = w.Bytes()
			attrs[protocol.TUPReturnKey] = w.Bytes()
		case int(tag) <= len(m.Params):
			attrs[m.Params[tag-1].Name] = w.Bytes()
		default:
			return nil, fmt.Errorf("result field at tag %d has no parameter", tag)
		}
	}
	return encodeAttributes(attrs), nil
}

// retag writes the single field in field (head and payload) at tag, and
// returns the tag it had.
func retag(w *codec.Writer, field []byte, tag byte) (byte, error) {
	r := codec.NewReader(field)
	typ, from, n, err := r.PeekHead()
	if err != nil {
		return 0, err
	}
	if err := r.SkipField(); err != nil {
		return 0, err
	}
	if r.Len() != 0 {
		return 0, errors.New("value holds more than one field")
	}
	w.WriteHead(typ, tag)
	w.WriteRaw(field[n:])
	return from, nil
}

// decodeAttributes reads a TUP3 attribute map. Values alias body.
func decodeAttributes(body []byte) (map[string][]byte, error) {
	r := codec.NewReader(body)
	n, _, err := r.ReadMapHead(0, true)
	if err != nil {
		return nil, err
	}
	attrs := make(map[string][]byte, n)
	for range n {
		var k string
		var v []byte
		if err := r.ReadString(&k, 0, true); err != nil {
			return nil, err
		}
		if err := r.ReadBytesNoCopy(&v, 1, true); err != nil {
			return nil, err
		}
		attrs[k] = v
	}
	return attrs, nil
}

// encodeAttributes writes a TUP3 attribute map with sorted keys, as
// TarsCpp's std::map does.
func encodeAttributes(attrs map[string][]byte) []byte {
	w := codec.NewWriter(nil)
	w.WriteMapHead(0, len(attrs))
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		w.WriteString(0, k)
		w.WriteBytes(1, attrs[k])
	}
	return w.Bytes()
}
