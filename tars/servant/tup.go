package servant

import (
	"errors"
	"fmt"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/protocol/tup"
)

// TUP3 carries each parameter as a separate field encoded at tag 0, keyed by
// name, in an attribute map (package tup). Rather than generating a second
// decoder per method, the dispatcher re-tags those fields into the
// positional stream generated handlers read, and splits the handler's
// positional output back into named fields: only the field heads change,
// payloads are copied verbatim.

// tupToArgs builds the positional stream of m's in-parameters from a TUP3
// attribute map.
func tupToArgs(m *MethodDesc, body []byte) ([]byte, error) {
	attrs, err := tup.Decode(protocol.VersionTUP3, body)
	if err != nil {
		return nil, err
	}
	w := codec.NewWriter(make([]byte, 0, len(body)))
	for i, p := range m.Params {
		if p.Out {
			continue
		}
		v, err := attrs.GetRaw(p.Name)
		if errors.Is(err, tup.ErrNotFound) {
			return nil, fmt.Errorf("TUP attribute %q (parameter %d) missing", p.Name, i+1)
		} else if err != nil {
			return nil, err
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
	attrs, err := tup.New(protocol.VersionTUP3)
	if err != nil {
		return nil, err
	}
	r := codec.NewReader(out)
	var w codec.Writer
	for r.Len() > 0 {
		start := r.Offset()
		_, tag, _, err := r.PeekHead()
		if err != nil {
			return nil, err
		}
		if err := r.SkipField(); err != nil {
			return nil, err
		}
		w.Reset()
		if _, err := retag(&w, out[start:r.Offset()], 0); err != nil {
			return nil, err
		}
		switch {
		case tag == 0:
			attrs.PutRaw("", "", w.Bytes())
			attrs.PutRaw(protocol.TUPReturnKey, "", w.Bytes())
		case int(tag) <= len(m.Params):
			attrs.PutRaw(m.Params[tag-1].Name, "", w.Bytes())
		default:
			return nil, fmt.Errorf("result field at tag %d has no parameter", tag)
		}
	}
	return attrs.Bytes()
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
