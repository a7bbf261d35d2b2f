// Package Interop is what tars2go 1.2.3 (TarsGo v1.4.5) generates for the
// structs of /work/shared/interop/Interop.tars, written by hand against
// TarsGo's codec and following the generator's conventions exactly:
// ResetDefault, ReadFrom/ReadBlock, WriteTo/WriteBlock; optional scalars and
// strings skipped when equal to their default (or zero value), optional
// vectors and maps skipped when empty, enums and struct fields always
// written, vector<byte> as SIMPLE_LIST and vector<unsigned byte> as a LIST
// of shorts; readers accept LIST and SIMPLE_LIST for byte vectors.
package Interop

import (
	"fmt"

	"github.com/TarsCloud/TarsGo/tars/protocol/codec"
)

// Reference imports to suppress errors if they are not otherwise used.
var _ = fmt.Errorf
var _ = codec.FromInt8

// Color enum as generated.
type Color int32

const (
	Color_RED   Color = 0
	Color_GREEN Color = 5
	Color_BLUE  Color = 6
	Color_ALIAS Color = Color_GREEN
)

// const as define in tars file
const (
	VERSION  int32  = 3
	GREETING string = "hello, edge"
)

// Point struct implement
type Point struct {
	X     int32  `json:"x" tars:"x,tag:0,require:true"`
	Y     int32  `json:"y" tars:"y,tag:1,require:true"`
	Label string `json:"label" tars:"label,tag:2,require:false"`
}

func (st *Point) ResetDefault() {
	st.Label = "origin"
}

// ReadFrom reads  from readBuf and put into struct.
func (st *Point) ReadFrom(readBuf *codec.Reader) error {
	var err error
	st.ResetDefault()

	err = readBuf.ReadInt32(&st.X, 0, true)
	if err != nil {
		return err
	}

	err = readBuf.ReadInt32(&st.Y, 1, true)
	if err != nil {
		return err
	}

	err = readBuf.ReadString(&st.Label, 2, false)
	if err != nil {
		return err
	}
	return nil
}

// ReadBlock reads struct from the given tag , require or optional.
func (st *Point) ReadBlock(readBuf *codec.Reader, tag byte, require bool) error {
	st.ResetDefault()
	have, err := readBuf.SkipTo(codec.StructBegin, tag, require)
	if err != nil {
		return err
	}
	if !have {
		if require {
			return fmt.Errorf("require Point, but not exist. tag %d", tag)
		}
		return nil
	}
	if err = st.ReadFrom(readBuf); err != nil {
		return err
	}
	return readBuf.SkipToStructEnd()
}

// WriteTo encode struct to buffer
func (st *Point) WriteTo(buf *codec.Buffer) (err error) {
	err = buf.WriteInt32(st.X, 0)
	if err != nil {
		return err
	}

	err = buf.WriteInt32(st.Y, 1)
	if err != nil {
		return err
	}

	if st.Label != "origin" {
		err = buf.WriteString(st.Label, 2)
		if err != nil {
			return err
		}
	}
	return err
}

// WriteBlock encode struct
func (st *Point) WriteBlock(buf *codec.Buffer, tag byte) error {
	if err := buf.WriteHead(codec.StructBegin, tag); err != nil {
		return err
	}
	if err := st.WriteTo(buf); err != nil {
		return err
	}
	return buf.WriteHead(codec.StructEnd, 0)
}
