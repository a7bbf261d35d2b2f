package Interop

import (
	"fmt"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
)

// Everything struct implement
type Everything struct {
	Flag    bool               `json:"flag" tars:"flag,tag:0,require:true"`
	B       int8               `json:"b" tars:"b,tag:1,require:true"`
	S       int16              `json:"s" tars:"s,tag:2,require:true"`
	I       int32              `json:"i" tars:"i,tag:3,require:true"`
	L       int64              `json:"l" tars:"l,tag:4,require:true"`
	F       float32            `json:"f" tars:"f,tag:5,require:true"`
	D       float64            `json:"d" tars:"d,tag:6,require:true"`
	Str     string             `json:"str" tars:"str,tag:7,require:true"`
	Ub      uint8              `json:"ub" tars:"ub,tag:8,require:false"`
	Us      uint16             `json:"us" tars:"us,tag:9,require:false"`
	Ui      uint32             `json:"ui" tars:"ui,tag:10,require:false"`
	Blob    []int8             `json:"blob" tars:"blob,tag:11,require:false"`
	Ublob   []uint8            `json:"ublob" tars:"ublob,tag:12,require:false"`
	Ints    []int32            `json:"ints" tars:"ints,tag:13,require:false"`
	Strs    []string           `json:"strs" tars:"strs,tag:14,require:false"`
	Counts  map[string]int32   `json:"counts" tars:"counts,tag:15,require:false"`
	ById    map[int32]Point    `json:"byId" tars:"byId,tag:16,require:false"`
	Path    []Point            `json:"path" tars:"path,tag:17,require:false"`
	Color   Color              `json:"color" tars:"color,tag:18,require:false"`
	Matrix  [][]int64          `json:"matrix" tars:"matrix,tag:19,require:false"`
	Groups  map[string][]Point `json:"groups" tars:"groups,tag:20,require:false"`
	Names   map[Point]string   `json:"names" tars:"names,tag:21,require:false"`
	FarTag  string             `json:"farTag" tars:"farTag,tag:100,require:false"`
	LastTag int64              `json:"lastTag" tars:"lastTag,tag:255,require:false"`
}

func (st *Everything) ResetDefault() {
	st.Ub = 200
	st.Us = 60000
	st.Ui = 4000000000
	st.Color = Color_BLUE
	st.FarTag = "far"
}

// readPoints reads a vector<Point> the way tars2go inlines it.
func readPoints(readBuf *codec.Reader, dst *[]Point, tag byte, require bool) error {
	have, ty, err := readBuf.SkipToNoCheck(tag, require)
	if err != nil {
		return err
	}
	if !have {
		return nil
	}
	if ty == codec.LIST {
		var length int32
		err = readBuf.ReadInt32(&length, 0, true)
		if err != nil {
			return err
		}
		*dst = make([]Point, length)
		for i, e := int32(0), length; i < e; i++ {
			err = (*dst)[i].ReadBlock(readBuf, 0, true)
			if err != nil {
				return err
			}
		}
	} else if ty == codec.SimpleList {
		return fmt.Errorf("not support SimpleList type")
	} else {
		return fmt.Errorf("require vector, but not")
	}
	return nil
}

// ReadFrom reads  from readBuf and put into struct.
func (st *Everything) ReadFrom(readBuf *codec.Reader) error {
	var (
		err    error
		length int32
		have   bool
		ty     byte
	)
	st.ResetDefault()

	if err = readBuf.ReadBool(&st.Flag, 0, true); err != nil {
		return err
	}
	if err = readBuf.ReadInt8(&st.B, 1, true); err != nil {
		return err
	}
	if err = readBuf.ReadInt16(&st.S, 2, true); err != nil {
		return err
	}
	if err = readBuf.ReadInt32(&st.I, 3, true); err != nil {
		return err
	}
	if err = readBuf.ReadInt64(&st.L, 4, true); err != nil {
		return err
	}
	if err = readBuf.ReadFloat32(&st.F, 5, true); err != nil {
		return err
	}
	if err = readBuf.ReadFloat64(&st.D, 6, true); err != nil {
		return err
	}
	if err = readBuf.ReadString(&st.Str, 7, true); err != nil {
		return err
	}
	if err = readBuf.ReadUint8(&st.Ub, 8, false); err != nil {
		return err
	}
	if err = readBuf.ReadUint16(&st.Us, 9, false); err != nil {
		return err
	}
	if err = readBuf.ReadUint32(&st.Ui, 10, false); err != nil {
		return err
	}

	// 11 vector<byte>
	have, ty, err = readBuf.SkipToNoCheck(11, false)
	if err != nil {
		return err
	}
	if have {
		if ty == codec.LIST {
			if err = readBuf.ReadInt32(&length, 0, true); err != nil {
				return err
			}
			st.Blob = make([]int8, length)
			for i0, e0 := int32(0), length; i0 < e0; i0++ {
				if err = readBuf.ReadInt8(&st.Blob[i0], 0, true); err != nil {
					return err
				}
			}
		} else if ty == codec.SimpleList {
			if _, err = readBuf.SkipTo(codec.BYTE, 0, true); err != nil {
				return err
			}
			if err = readBuf.ReadInt32(&length, 0, true); err != nil {
				return err
			}
			if err = readBuf.ReadSliceInt8(&st.Blob, length, true); err != nil {
				return err
			}
		} else {
			return fmt.Errorf("require vector, but not")
		}
	}

	// 12 vector<unsigned byte>
	have, ty, err = readBuf.SkipToNoCheck(12, false)
	if err != nil {
		return err
	}
	if have {
		if ty == codec.LIST {
			if err = readBuf.ReadInt32(&length, 0, true); err != nil {
				return err
			}
			st.Ublob = make([]uint8, length)
			for i1, e1 := int32(0), length; i1 < e1; i1++ {
				if err = readBuf.ReadUint8(&st.Ublob[i1], 0, true); err != nil {
					return err
				}
			}
		} else if ty == codec.SimpleList {
			if _, err = readBuf.SkipTo(codec.BYTE, 0, true); err != nil {
				return err
			}
			if err = readBuf.ReadInt32(&length, 0, true); err != nil {
				return err
			}
			if err = readBuf.ReadSliceUint8(&st.Ublob, length, true); err != nil {
				return err
			}
		} else {
			return fmt.Errorf("require vector, but not")
		}
	}

	// 13 vector<int>
	have, ty, err = readBuf.SkipToNoCheck(13, false)
	if err != nil {
		return err
	}
	if have {
		if ty != codec.LIST {
			return fmt.Errorf("require vector, but not")
		}
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.Ints = make([]int32, length)
		for i2, e2 := int32(0), length; i2 < e2; i2++ {
			if err = readBuf.ReadInt32(&st.Ints[i2], 0, true); err != nil {
				return err
			}
		}
	}

	// 14 vector<string>
	have, ty, err = readBuf.SkipToNoCheck(14, false)
	if err != nil {
		return err
	}
	if have {
		if ty != codec.LIST {
			return fmt.Errorf("require vector, but not")
		}
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.Strs = make([]string, length)
		for i3, e3 := int32(0), length; i3 < e3; i3++ {
			if err = readBuf.ReadString(&st.Strs[i3], 0, true); err != nil {
				return err
			}
		}
	}

	// 15 map<string, int>
	have, err = readBuf.SkipTo(codec.MAP, 15, false)
	if err != nil {
		return err
	}
	if have {
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.Counts = make(map[string]int32)
		for i4, e4 := int32(0), length; i4 < e4; i4++ {
			var k4 string
			var v4 int32
			if err = readBuf.ReadString(&k4, 0, true); err != nil {
				return err
			}
			if err = readBuf.ReadInt32(&v4, 1, true); err != nil {
				return err
			}
			st.Counts[k4] = v4
		}
	}

	// 16 map<int, Point>
	have, err = readBuf.SkipTo(codec.MAP, 16, false)
	if err != nil {
		return err
	}
	if have {
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.ById = make(map[int32]Point)
		for i5, e5 := int32(0), length; i5 < e5; i5++ {
			var k5 int32
			var v5 Point
			if err = readBuf.ReadInt32(&k5, 0, true); err != nil {
				return err
			}
			if err = v5.ReadBlock(readBuf, 1, true); err != nil {
				return err
			}
			st.ById[k5] = v5
		}
	}

	// 17 vector<Point>
	if err = readPoints(readBuf, &st.Path, 17, false); err != nil {
		return err
	}

	// 18 Color
	if err = readBuf.ReadInt32((*int32)(&st.Color), 18, false); err != nil {
		return err
	}

	// 19 vector<vector<long>>
	have, ty, err = readBuf.SkipToNoCheck(19, false)
	if err != nil {
		return err
	}
	if have {
		if ty != codec.LIST {
			return fmt.Errorf("require vector, but not")
		}
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.Matrix = make([][]int64, length)
		for i6, e6 := int32(0), length; i6 < e6; i6++ {
			_, ty, err = readBuf.SkipToNoCheck(0, true)
			if err != nil {
				return err
			}
			if ty != codec.LIST {
				return fmt.Errorf("require vector, but not")
			}
			if err = readBuf.ReadInt32(&length, 0, true); err != nil {
				return err
			}
			st.Matrix[i6] = make([]int64, length)
			for i7, e7 := int32(0), length; i7 < e7; i7++ {
				if err = readBuf.ReadInt64(&st.Matrix[i6][i7], 0, true); err != nil {
					return err
				}
			}
		}
	}

	// 20 map<string, vector<Point>>
	have, err = readBuf.SkipTo(codec.MAP, 20, false)
	if err != nil {
		return err
	}
	if have {
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.Groups = make(map[string][]Point)
		for i8, e8 := int32(0), length; i8 < e8; i8++ {
			var k8 string
			var v8 []Point
			if err = readBuf.ReadString(&k8, 0, true); err != nil {
				return err
			}
			if err = readPoints(readBuf, &v8, 1, true); err != nil {
				return err
			}
			st.Groups[k8] = v8
		}
	}

	// 21 map<Point, string>
	have, err = readBuf.SkipTo(codec.MAP, 21, false)
	if err != nil {
		return err
	}
	if have {
		if err = readBuf.ReadInt32(&length, 0, true); err != nil {
			return err
		}
		st.Names = make(map[Point]string)
		for i9, e9 := int32(0), length; i9 < e9; i9++ {
			var k9 Point
			var v9 string
			if err = k9.ReadBlock(readBuf, 0, true); err != nil {
				return err
			}
			if err = readBuf.ReadString(&v9, 1, true); err != nil {
				return err
			}
			st.Names[k9] = v9
		}
	}

	if err = readBuf.ReadString(&st.FarTag, 100, false); err != nil {
		return err
	}
	if err = readBuf.ReadInt64(&st.LastTag, 255, false); err != nil {
		return err
	}
	_ = have
	_ = ty
	return nil
}

// ReadBlock reads struct from the given tag , require or optional.
func (st *Everything) ReadBlock(readBuf *codec.Reader, tag byte, require bool) error {
	st.ResetDefault()
	have, err := readBuf.SkipTo(codec.StructBegin, tag, require)
	if err != nil {
		return err
	}
	if !have {
		if require {
			return fmt.Errorf("require Everything, but not exist. tag %d", tag)
		}
		return nil
	}
	if err = st.ReadFrom(readBuf); err != nil {
		return err
	}
	return readBuf.SkipToStructEnd()
}

// writePoints writes a vector<Point> the way tars2go inlines it.
func writePoints(buf *codec.Buffer, v []Point, tag byte) error {
	if err := buf.WriteHead(codec.LIST, tag); err != nil {
		return err
	}
	if err := buf.WriteInt32(int32(len(v)), 0); err != nil {
		return err
	}
	for _, p := range v {
		if err := p.WriteBlock(buf, 0); err != nil {
			return err
		}
	}
	return nil
}

// WriteTo encode struct to buffer
func (st *Everything) WriteTo(buf *codec.Buffer) (err error) {
	if err = buf.WriteBool(st.Flag, 0); err != nil {
		return err
	}
	if err = buf.WriteInt8(st.B, 1); err != nil {
		return err
	}
	if err = buf.WriteInt16(st.S, 2); err != nil {
		return err
	}
	if err = buf.WriteInt32(st.I, 3); err != nil {
		return err
	}
	if err = buf.WriteInt64(st.L, 4); err != nil {
		return err
	}
	if err = buf.WriteFloat32(st.F, 5); err != nil {
		return err
	}
	if err = buf.WriteFloat64(st.D, 6); err != nil {
		return err
	}
	if err = buf.WriteString(st.Str, 7); err != nil {
		return err
	}
	if st.Ub != 200 {
		if err = buf.WriteUint8(st.Ub, 8); err != nil {
			return err
		}
	}
	if st.Us != 60000 {
		if err = buf.WriteUint16(st.Us, 9); err != nil {
			return err
		}
	}
	if st.Ui != 4000000000 {
		if err = buf.WriteUint32(st.Ui, 10); err != nil {
			return err
		}
	}
	if len(st.Blob) > 0 {
		if err = buf.WriteHead(codec.SimpleList, 11); err != nil {
			return err
		}
		if err = buf.WriteHead(codec.BYTE, 0); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Blob)), 0); err != nil {
			return err
		}
		if err = buf.WriteSliceInt8(st.Blob); err != nil {
			return err
		}
	}
	if len(st.Ublob) > 0 {
		if err = buf.WriteHead(codec.LIST, 12); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Ublob)), 0); err != nil {
			return err
		}
		for _, v := range st.Ublob {
			if err = buf.WriteUint8(v, 0); err != nil {
				return err
			}
		}
	}
	if len(st.Ints) > 0 {
		if err = buf.WriteHead(codec.LIST, 13); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Ints)), 0); err != nil {
			return err
		}
		for _, v := range st.Ints {
			if err = buf.WriteInt32(v, 0); err != nil {
				return err
			}
		}
	}
	if len(st.Strs) > 0 {
		if err = buf.WriteHead(codec.LIST, 14); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Strs)), 0); err != nil {
			return err
		}
		for _, v := range st.Strs {
			if err = buf.WriteString(v, 0); err != nil {
				return err
			}
		}
	}
	if len(st.Counts) > 0 {
		if err = buf.WriteHead(codec.MAP, 15); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Counts)), 0); err != nil {
			return err
		}
		for k0, v0 := range st.Counts {
			if err = buf.WriteString(k0, 0); err != nil {
				return err
			}
			if err = buf.WriteInt32(v0, 1); err != nil {
				return err
			}
		}
	}
	if len(st.ById) > 0 {
		if err = buf.WriteHead(codec.MAP, 16); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.ById)), 0); err != nil {
			return err
		}
		for k1, v1 := range st.ById {
			if err = buf.WriteInt32(k1, 0); err != nil {
				return err
			}
			if err = v1.WriteBlock(buf, 1); err != nil {
				return err
			}
		}
	}
	if len(st.Path) > 0 {
		if err = writePoints(buf, st.Path, 17); err != nil {
			return err
		}
	}
	if err = buf.WriteInt32(int32(st.Color), 18); err != nil {
		return err
	}
	if len(st.Matrix) > 0 {
		if err = buf.WriteHead(codec.LIST, 19); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Matrix)), 0); err != nil {
			return err
		}
		for _, v := range st.Matrix {
			if err = buf.WriteHead(codec.LIST, 0); err != nil {
				return err
			}
			if err = buf.WriteInt32(int32(len(v)), 0); err != nil {
				return err
			}
			for _, v := range v {
				if err = buf.WriteInt64(v, 0); err != nil {
					return err
				}
			}
		}
	}
	if len(st.Groups) > 0 {
		if err = buf.WriteHead(codec.MAP, 20); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Groups)), 0); err != nil {
			return err
		}
		for k2, v2 := range st.Groups {
			if err = buf.WriteString(k2, 0); err != nil {
				return err
			}
			if err = writePoints(buf, v2, 1); err != nil {
				return err
			}
		}
	}
	if len(st.Names) > 0 {
		if err = buf.WriteHead(codec.MAP, 21); err != nil {
			return err
		}
		if err = buf.WriteInt32(int32(len(st.Names)), 0); err != nil {
			return err
		}
		for k3, v3 := range st.Names {
			if err = k3.WriteBlock(buf, 0); err != nil {
				return err
			}
			if err = buf.WriteString(v3, 1); err != nil {
				return err
			}
		}
	}
	if st.FarTag != "far" {
		if err = buf.WriteString(st.FarTag, 100); err != nil {
			return err
		}
	}
	if st.LastTag != 0 {
		if err = buf.WriteInt64(st.LastTag, 255); err != nil {
			return err
		}
	}
	return err
}

// WriteBlock encode struct
func (st *Everything) WriteBlock(buf *codec.Buffer, tag byte) error {
	if err := buf.WriteHead(codec.StructBegin, tag); err != nil {
		return err
	}
	if err := st.WriteTo(buf); err != nil {
		return err
	}
	return buf.WriteHead(codec.StructEnd, 0)
}
