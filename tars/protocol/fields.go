package protocol

import "github.com/outpost-edge/outpost/tars/codec"

// fieldReader reads the packets' fields leniently (every field optional)
// and keeps the first error, so that the packet readers stay flat. It does
// not hold the Reader: escape analysis tracks a struct as one location, and
// returning err from a struct holding r would move every Reader to the heap.
type fieldReader struct {
	err error
}

func (f *fieldReader) int8(r *codec.Reader, v *int8, tag byte) {
	if f.err == nil {
		f.err = r.ReadInt8(v, tag, false)
	}
}

func (f *fieldReader) int16(r *codec.Reader, v *int16, tag byte) {
	if f.err == nil {
		f.err = r.ReadInt16(v, tag, false)
	}
}

func (f *fieldReader) int32(r *codec.Reader, v *int32, tag byte) {
	if f.err == nil {
		f.err = r.ReadInt32(v, tag, false)
	}
}

func (f *fieldReader) string(r *codec.Reader, v *string, tag byte) { f.str(r, v, tag, false) }

func (f *fieldReader) str(r *codec.Reader, v *string, tag byte, require bool) {
	if f.err != nil {
		return
	}
	f.err = r.ReadString(v, tag, require)
}

func (f *fieldReader) bytes(r *codec.Reader, v *[]byte, tag byte) {
	if f.err != nil {
		return
	}
	f.err = r.ReadBytes(v, tag, false)
	if len(*v) == 0 {
		*v = nil // absent and empty read alike
	}
}

// stringMap reads a map<string,string>. A map already in *m is cleared
// and reused; otherwise an empty map reads as nil.
func (f *fieldReader) stringMap(r *codec.Reader, m *map[string]string, tag byte) {
	if f.err != nil {
		return
	}
	n, ok, err := r.ReadMapHead(tag, false)
	if err != nil {
		f.err = err
		return
	}
	clear(*m)
	if !ok || n == 0 {
		return
	}
	if *m == nil {
		*m = make(map[string]string, n)
	}
	for range n {
		var k, v string
		f.str(r, &k, 0, true)
		f.str(r, &v, 1, true)
		if f.err != nil {
			return
		}
		(*m)[k] = v
	}
}

// writeStringMap writes a map<string,string>; a nil map is an empty one.
func writeStringMap(w *codec.Writer, tag byte, m map[string]string) {
	w.WriteMapHead(tag, len(m))
	if len(m) == 0 {
		return // starting an iteration costs even for an empty map
	}
	for k, v := range m {
		w.WriteString(0, k)
		w.WriteString(1, v)
	}
}

// skipRest checks that whatever follows a packet's known fields is
// well-formed (newer peers may add fields).
func skipRest(r *codec.Reader) error {
	for r.Len() > 0 {
		if err := r.SkipField(); err != nil {
			return err
		}
	}
	return nil
}
