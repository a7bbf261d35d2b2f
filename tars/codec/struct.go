package codec

// Struct is implemented by generated TARS structs (and by the framework
// packets), so that containers of structs, RPC arguments and packets can be
// encoded uniformly.
//
// WriteFields writes the struct's fields, bare (without STRUCT_BEGIN and
// STRUCT_END), in ascending tag order. Required fields are always written;
// optional fields may be omitted when equal to their IDL default.
//
// ReadFields first resets every field to its IDL default, then reads the
// bare field sequence, stopping (without consuming it) at STRUCT_END or at
// the end of the input. Unknown fields are skipped.
//
// Use Writer.WriteStruct and Reader.ReadStruct for the framed (nested) form.
type Struct interface {
	WriteFields(w *Writer) error
	ReadFields(r *Reader) error
}
