package protocol

import "github.com/outpost-edge/outpost/tars/codec"

// fieldReader reads the packets' fields leniently (every field optional)
// and keeps the first error, so that the packet readers stay flat.
type fieldReader struct {
	r   *codec.Reader
	err error
}

func (f *fieldReader) int8(v *int8, tag byte) {
	if f.err == nil {
		f.err = f.r.ReadInt8(v, tag, false)
	}
}

func (f *fieldReader) int16(v *int16, tag byte) {
	if f.err == nil {
		f.err = f.r.ReadInt16(v, tag, false)
	}
}

func (f *fieldReader) int32(v *int32, tag byte) {
	if f.err == nil {
		f.err = f.r.ReadInt32(v, tag, false)
	}
}

func (f *fieldReader) string(v *string, tag byte) { f.str(v, tag, false) }

func (f *fieldReader) str(v *string, tag byte, require bool) {
	if f.err != nil {
		return
	}
	f.err = f.r.ReadString(v, tag, require)
}

func (f *fieldReader) bytes(v *[]byte, tag byte) {
	if f.err != nil {
		return
	}
	f.err = f.r.ReadBytes(v, tag, false)
	if len(*v) == 0 {
		*v = nil // absent and empty read alike
	}
}

// stringMap reads a map<string,string>. An empty map reads as nil.
func (f *fieldReader) stringMap(m *map[string]string, tag byte) {
	if f.err != nil {
		return
	}
	n, ok, err := f.r.ReadMapHead(tag, false)
	if !ok || n == 0 {
		f.err = err
		return
	}
	*m = make(map[string]string, n)
	for range n {
		var k, v string
		f.str(&k, 0, true)
		f.str(&v, 1, true)
		if f.err != nil {
			return
		}
		(*m)[k] = v
	}
}

// writeStringMap writes a map<string,string>; a nil map is an empty one.
func writeStringMap(w *codec.Writer, tag byte, m map[string]string) {
	w.WriteMapHead(tag, len(m))
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
