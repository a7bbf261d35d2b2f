package handwritten

import "github.com/outpost-edge/outpost/tars/codec"

// Color is the IDL enum Interop::Color, int32 on the wire.
type Color int32

// Color values.
const (
	ColorRed   Color = 0
	ColorGreen Color = 5
	ColorBlue  Color = 6
	ColorAlias Color = ColorGreen
)

// Point is Interop::Point.
type Point struct {
	X     int32  // 0 require
	Y     int32  // 1 require
	Label string // 2 optional = "origin"
}

// Everything is Interop::Everything.
type Everything struct {
	Flag    bool               // 0 require
	B       int8               // 1 require
	S       int16              // 2 require
	I       int32              // 3 require
	L       int64              // 4 require
	F       float32            // 5 require
	D       float64            // 6 require
	Str     string             // 7 require
	Ub      uint8              // 8 optional = 200
	Us      uint16             // 9 optional = 60000
	Ui      uint32             // 10 optional = 4000000000
	Blob    []byte             // 11 optional vector<byte>
	Ublob   []uint8            // 12 optional vector<unsigned byte>
	Ints    []int32            // 13 optional
	Strs    []string           // 14 optional
	Counts  map[string]int32   // 15 optional
	ByID    map[int32]Point    // 16 optional
	Path    []Point            // 17 optional
	Color   Color              // 18 optional = BLUE
	Matrix  [][]int64          // 19 optional
	Groups  map[string][]Point // 20 optional
	Names   map[Point]string   // 21 optional
	FarTag  string             // 100 optional = "far"
	LastTag int64              // 255 optional
}

// ResetDefault sets the IDL defaults.
func (p *Point) ResetDefault() { *p = Point{Label: "origin"} }

// WriteFields implements codec.Struct.
func (p *Point) WriteFields(w *codec.Writer) error {
	w.WriteInt32(0, p.X)
	w.WriteInt32(1, p.Y)
	if p.Label != "origin" {
		w.WriteString(2, p.Label)
	}
	return nil
}

// ReadFields implements codec.Struct.
func (p *Point) ReadFields(r *codec.Reader) error {
	p.ResetDefault()
	if err := r.ReadInt32(&p.X, 0, true); err != nil {
		return err
	}
	if err := r.ReadInt32(&p.Y, 1, true); err != nil {
		return err
	}
	return r.ReadString(&p.Label, 2, false)
}

// ResetDefault sets the IDL defaults.
func (e *Everything) ResetDefault() {
	*e = Everything{Ub: 200, Us: 60000, Ui: 4000000000, Color: ColorBlue, FarTag: "far"}
}

// writePoint and readPoint frame a nested Point. Calling the methods on the
// concrete type, rather than through Writer.WriteStruct and
// Reader.ReadStruct, keeps map keys and values from escaping to the heap.
func writePoint(w *codec.Writer, tag byte, p *Point) {
	w.WriteStructBegin(tag)
	_ = p.WriteFields(w)
	w.WriteStructEnd()
}

func readPoint(r *codec.Reader, tag byte, require bool, p *Point) error {
	ok, err := r.ReadStructBegin(tag, require)
	if !ok {
		return err
	}
	if err := p.ReadFields(r); err != nil {
		return err
	}
	return r.SkipToStructEnd()
}

func writePoints(w *codec.Writer, tag byte, v []Point) {
	w.WriteListHead(tag, len(v))
	for i := range v {
		writePoint(w, 0, &v[i])
	}
}

func readPoints(r *codec.Reader, tag byte, require bool, v *[]Point) error {
	n, ok, err := r.ReadListHead(tag, require)
	if !ok {
		return err
	}
	s := make([]Point, n)
	for i := range s {
		if err := readPoint(r, 0, true, &s[i]); err != nil {
			return err
		}
	}
	*v = s
	return nil
}

// WriteFields implements codec.Struct.
func (e *Everything) WriteFields(w *codec.Writer) error {
	w.WriteBool(0, e.Flag)
	w.WriteInt8(1, e.B)
	w.WriteInt16(2, e.S)
	w.WriteInt32(3, e.I)
	w.WriteInt64(4, e.L)
	w.WriteFloat32(5, e.F)
	w.WriteFloat64(6, e.D)
	w.WriteString(7, e.Str)
	if e.Ub != 200 {
		w.WriteUint8(8, e.Ub)
	}
	if e.Us != 60000 {
		w.WriteUint16(9, e.Us)
	}
	if e.Ui != 4000000000 {
		w.WriteUint32(10, e.Ui)
	}
	if len(e.Blob) > 0 {
		w.WriteBytes(11, e.Blob)
	}
	if len(e.Ublob) > 0 {
		w.WriteUint8s(12, e.Ublob)
	}
	if len(e.Ints) > 0 {
		w.WriteListHead(13, len(e.Ints))
		for _, v := range e.Ints {
			w.WriteInt32(0, v)
		}
	}
	if len(e.Strs) > 0 {
		w.WriteListHead(14, len(e.Strs))
		for _, v := range e.Strs {
			w.WriteString(0, v)
		}
	}
	if len(e.Counts) > 0 {
		w.WriteMapHead(15, len(e.Counts))
		for k, v := range e.Counts {
			w.WriteString(0, k)
			w.WriteInt32(1, v)
		}
	}
	if len(e.ByID) > 0 {
		w.WriteMapHead(16, len(e.ByID))
		for k, v := range e.ByID {
			w.WriteInt32(0, k)
			writePoint(w, 1, &v)
		}
	}
	if len(e.Path) > 0 {
		writePoints(w, 17, e.Path)
	}
	if e.Color != ColorBlue {
		w.WriteInt32(18, int32(e.Color))
	}
	if len(e.Matrix) > 0 {
		w.WriteListHead(19, len(e.Matrix))
		for _, row := range e.Matrix {
			w.WriteListHead(0, len(row))
			for _, v := range row {
				w.WriteInt64(0, v)
			}
		}
	}
	if len(e.Groups) > 0 {
		w.WriteMapHead(20, len(e.Groups))
		for k, v := range e.Groups {
			w.WriteString(0, k)
			writePoints(w, 1, v)
		}
	}
	if len(e.Names) > 0 {
		w.WriteMapHead(21, len(e.Names))
		for k, v := range e.Names {
			writePoint(w, 0, &k)
			w.WriteString(1, v)
		}
	}
	if e.FarTag != "far" {
		w.WriteString(100, e.FarTag)
	}
	if e.LastTag != 0 {
		w.WriteInt64(255, e.LastTag)
	}
	return w.Err()
}

// ReadFields implements codec.Struct.
func (e *Everything) ReadFields(r *codec.Reader) error {
	e.ResetDefault()
	if err := r.ReadBool(&e.Flag, 0, true); err != nil {
		return err
	}
	if err := r.ReadInt8(&e.B, 1, true); err != nil {
		return err
	}
	if err := r.ReadInt16(&e.S, 2, true); err != nil {
		return err
	}
	if err := r.ReadInt32(&e.I, 3, true); err != nil {
		return err
	}
	if err := r.ReadInt64(&e.L, 4, true); err != nil {
		return err
	}
	if err := r.ReadFloat32(&e.F, 5, true); err != nil {
		return err
	}
	if err := r.ReadFloat64(&e.D, 6, true); err != nil {
		return err
	}
	if err := r.ReadString(&e.Str, 7, true); err != nil {
		return err
	}
	if err := r.ReadUint8(&e.Ub, 8, false); err != nil {
		return err
	}
	if err := r.ReadUint16(&e.Us, 9, false); err != nil {
		return err
	}
	if err := r.ReadUint32(&e.Ui, 10, false); err != nil {
		return err
	}
	if err := r.ReadBytes(&e.Blob, 11, false); err != nil {
		return err
	}
	if err := r.ReadUint8s(&e.Ublob, 12, false); err != nil {
		return err
	}
	if n, ok, err := r.ReadListHead(13, false); err != nil {
		return err
	} else if ok {
		e.Ints = make([]int32, n)
		for i := range e.Ints {
			if err := r.ReadInt32(&e.Ints[i], 0, true); err != nil {
				return err
			}
		}
	}
	if n, ok, err := r.ReadListHead(14, false); err != nil {
		return err
	} else if ok {
		e.Strs = make([]string, n)
		for i := range e.Strs {
			if err := r.ReadString(&e.Strs[i], 0, true); err != nil {
				return err
			}
		}
	}
	if n, ok, err := r.ReadMapHead(15, false); err != nil {
		return err
	} else if ok {
		e.Counts = make(map[string]int32, n)
		for range n {
			var k string
			var v int32
			if err := r.ReadString(&k, 0, true); err != nil {
				return err
			}
			if err := r.ReadInt32(&v, 1, true); err != nil {
				return err
			}
			e.Counts[k] = v
		}
	}
	if n, ok, err := r.ReadMapHead(16, false); err != nil {
		return err
	} else if ok {
		e.ByID = make(map[int32]Point, n)
		for range n {
			var k int32
			var v Point
			if err := r.ReadInt32(&k, 0, true); err != nil {
				return err
			}
			if err := readPoint(r, 1, true, &v); err != nil {
				return err
			}
			e.ByID[k] = v
		}
	}
	if err := readPoints(r, 17, false, &e.Path); err != nil {
		return err
	}
	color := int32(e.Color)
	if err := r.ReadInt32(&color, 18, false); err != nil {
		return err
	}
	e.Color = Color(color)
	if n, ok, err := r.ReadListHead(19, false); err != nil {
		return err
	} else if ok {
		e.Matrix = make([][]int64, n)
		for i := range e.Matrix {
			m, _, err := r.ReadListHead(0, true)
			if err != nil {
				return err
			}
			e.Matrix[i] = make([]int64, m)
			for j := range e.Matrix[i] {
				if err := r.ReadInt64(&e.Matrix[i][j], 0, true); err != nil {
					return err
				}
			}
		}
	}
	if n, ok, err := r.ReadMapHead(20, false); err != nil {
		return err
	} else if ok {
		e.Groups = make(map[string][]Point, n)
		for range n {
			var k string
			var v []Point
			if err := r.ReadString(&k, 0, true); err != nil {
				return err
			}
			if err := readPoints(r, 1, true, &v); err != nil {
				return err
			}
			e.Groups[k] = v
		}
	}
	if n, ok, err := r.ReadMapHead(21, false); err != nil {
		return err
	} else if ok {
		e.Names = make(map[Point]string, n)
		for range n {
			var k Point
			var v string
			if err := readPoint(r, 0, true, &k); err != nil {
				return err
			}
			if err := r.ReadString(&v, 1, true); err != nil {
				return err
			}
			e.Names[k] = v
		}
	}
	if err := r.ReadString(&e.FarTag, 100, false); err != nil {
		return err
	}
	return r.ReadInt64(&e.LastTag, 255, false)
}
