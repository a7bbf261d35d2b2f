package tup

import (
	"errors"
	"fmt"

	"github.com/outpost-edge/outpost/tars/codec"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// ErrNotFound is returned by Get for a name that is not in the map.
var ErrNotFound = errors.New("tup: attribute not found")

// ErrAmbiguous is returned by a version 2 Get when a name holds values of
// several types; use GetRawTyped.
var ErrAmbiguous = errors.New("tup: attribute has several types")

// UniAttribute is a TUP attribute map of version 2 or 3. It is not safe for
// concurrent use.
type UniAttribute struct {
	version int16
	v3      map[string][]byte
	v2      map[string]map[string][]byte
	scratch codec.Writer
}

var _ codec.Struct = (*UniAttribute)(nil)

// New returns an empty attribute map of the given version, which must be
// protocol.VersionTUP2 or protocol.VersionTUP3.
func New(version int16) (*UniAttribute, error) {
	if version != protocol.VersionTUP2 && version != protocol.VersionTUP3 {
		return nil, fmt.Errorf("tup: unsupported version %d", version)
	}
	return &UniAttribute{version: version}, nil
}

// Decode parses a packet Buffer holding an attribute map of the given
// version. Values are copied.
func Decode(version int16, buf []byte) (*UniAttribute, error) {
	u, err := New(version)
	if err != nil {
		return nil, err
	}
	return u, u.ReadFields(codec.NewReader(buf))
}

// Version returns protocol.VersionTUP2 or protocol.VersionTUP3.
func (u *UniAttribute) Version() int16 { return u.version }

// Len returns the number of names in the map.
func (u *UniAttribute) Len() int {
	if u.version == protocol.VersionTUP2 {
		return len(u.v2)
	}
	return len(u.v3)
}

// Names returns the names in the map, in no particular order.
func (u *UniAttribute) Names() []string {
	var names []string
	for k := range u.v3 {
		names = append(names, k)
	}
	for k := range u.v2 {
		names = append(names, k)
	}
	return names
}

// Delete removes name.
func (u *UniAttribute) Delete(name string) {
	delete(u.v3, name)
	delete(u.v2, name)
}

// Put stores under name the value that enc writes at tag 0. typeName is the
// version 2 type name (see TypeName); version 3 ignores it. For version 2 it
// replaces any value of another type stored under name.
func (u *UniAttribute) Put(name, typeName string, enc func(w *codec.Writer)) error {
	u.scratch.Reset()
	enc(&u.scratch)
	if err := u.scratch.Err(); err != nil {
		return err
	}
	u.PutRaw(name, typeName, u.scratch.Bytes())
	return nil
}

// PutRaw stores a copy of an already encoded value under name.
func (u *UniAttribute) PutRaw(name, typeName string, encoded []byte) {
	v := append([]byte{}, encoded...)
	if u.version == protocol.VersionTUP2 {
		if u.v2 == nil {
			u.v2 = make(map[string]map[string][]byte)
		}
		u.v2[name] = map[string][]byte{typeName: v}
		return
	}
	if u.v3 == nil {
		u.v3 = make(map[string][]byte)
	}
	u.v3[name] = v
}

// GetRaw returns the encoded value stored under name. For version 2 the
// name must hold exactly one type.
func (u *UniAttribute) GetRaw(name string) ([]byte, error) {
	if u.version != protocol.VersionTUP2 {
		v, ok := u.v3[name]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
		}
		return v, nil
	}
	types, ok := u.v2[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if len(types) != 1 {
		return nil, fmt.Errorf("%w: %q", ErrAmbiguous, name)
	}
	var v []byte
	for _, v = range types {
	}
	return v, nil
}

// GetRawTyped returns the version 2 value stored under name and typeName.
func (u *UniAttribute) GetRawTyped(name, typeName string) ([]byte, error) {
	v, ok := u.v2[name][typeName]
	if !ok {
		return nil, fmt.Errorf("%w: %q of type %q", ErrNotFound, name, typeName)
	}
	return v, nil
}

// Get finds the value stored under name and calls dec with a Reader over
// it; dec reads the value at tag 0.
func (u *UniAttribute) Get(name string, dec func(r *codec.Reader) error) error {
	v, err := u.GetRaw(name)
	if err != nil {
		return err
	}
	return dec(codec.NewReader(v))
}

// WriteFields writes the attribute map as field 0 (the whole packet Buffer).
func (u *UniAttribute) WriteFields(w *codec.Writer) error {
	if u.version == protocol.VersionTUP2 {
		w.WriteMapHead(0, len(u.v2))
		for name, types := range u.v2 {
			w.WriteString(0, name)
			w.WriteMapHead(1, len(types))
			for typ, v := range types {
				w.WriteString(0, typ)
				w.WriteBytes(1, v)
			}
		}
	} else {
		w.WriteMapHead(0, len(u.v3))
		for name, v := range u.v3 {
			w.WriteString(0, name)
			w.WriteBytes(1, v)
		}
	}
	return w.Err()
}

// Bytes returns the encoded attribute map, ready for a packet's Buffer.
func (u *UniAttribute) Bytes() ([]byte, error) {
	var w codec.Writer
	if err := u.WriteFields(&w); err != nil {
		return nil, err
	}
	return w.Bytes(), nil
}

// ReadFields replaces the map's contents with the map read from r. A
// missing map reads as empty.
func (u *UniAttribute) ReadFields(r *codec.Reader) error {
	u.v2, u.v3 = nil, nil
	n, ok, err := r.ReadMapHead(0, false)
	if !ok {
		return err
	}
	for range n {
		var name string
		if err := r.ReadString(&name, 0, true); err != nil {
			return err
		}
		if u.version != protocol.VersionTUP2 {
			var v []byte
			if err := r.ReadBytes(&v, 1, true); err != nil {
				return err
			}
			if u.v3 == nil {
				u.v3 = make(map[string][]byte, n)
			}
			u.v3[name] = v
			continue
		}
		types, err := readTypes(r)
		if err != nil {
			return err
		}
		if u.v2 == nil {
			u.v2 = make(map[string]map[string][]byte, n)
		}
		u.v2[name] = types
	}
	return nil
}

// readTypes reads a version 2 inner map<string, vector<byte>> at tag 1.
func readTypes(r *codec.Reader) (map[string][]byte, error) {
	n, _, err := r.ReadMapHead(1, true)
	if err != nil {
		return nil, err
	}
	types := make(map[string][]byte, n)
	for range n {
		var typ string
		var v []byte
		if err := r.ReadString(&typ, 0, true); err != nil {
			return nil, err
		}
		if err := r.ReadBytes(&v, 1, true); err != nil {
			return nil, err
		}
		types[typ] = v
	}
	return types, nil
}
