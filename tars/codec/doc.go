// Package codec implements the TARS binary encoding ("Tars stream", formerly
// JCE): the tagged field format shared by TarsCpp, TarsGo and TarsJava.
//
// # Why a new codec
//
// Outpost must be byte-compatible with existing TARS peers, but it must not
// inherit their weaknesses. TarsGo's codec wraps bytes.Buffer and
// bytes.Reader, formats an error on every mismatch and trusts every count and
// length it reads: a five-byte input can ask for a two-gigabyte slice, and a
// deeply nested input can exhaust the stack. This package keeps the wire
// format exactly and changes the implementation:
//
//   - The Writer appends to a plain []byte. Its methods cannot fail, so they
//     return nothing and the fast paths inline; encoding into a reused buffer
//     does not allocate.
//   - The Reader works on an offset into a []byte. Every count and length is
//     checked against the bytes that remain (N list elements need at least N
//     bytes, a map of N entries at least 2N), negative counts and the unused
//     type codes 14 and 15 are rejected, and nesting is capped (DefaultMaxDepth,
//     adjustable with SetMaxDepth). Every failure is a *Error carrying the
//     offset, the tag, what was expected and what was found; nothing panics on
//     malformed input.
//
// # Wire rules in brief
//
// A field is a head (tag and type; one byte for tags below 15, two bytes for
// tags 15 to 255) followed by a payload. Integers are always written in the
// narrowest type that holds the value, 0 as the payload-less ZERO type, and
// read back into any wider Go type. bool and byte are int8 on the wire.
// Unsigned IDL types are written as the next wider signed type (unsigned byte
// as short, unsigned short as int, unsigned int as long). Floats and doubles
// are never compacted but ZERO is accepted on read. vector<byte> is a
// SIMPLE_LIST (WriteBytes) and is read from either a SIMPLE_LIST or a LIST of
// int8; vector<unsigned byte> is a LIST of compacted shorts (WriteUint8s).
// Container elements, list and map counts and map keys use tag 0; map values
// use tag 1.
//
// Map entries may be written in any order; SortedKeys and SortedKeysFunc
// give encoders a deterministic key order without allocating, and
// SortedEntries and SortedEntriesFunc the entries themselves in that order
// (what generated code uses: one pass over the map, no lookups).
//
// # Reading fields
//
// Struct fields must be written in ascending tag order, and every Read method
// relies on it: ReadX(v, tag, require) walks forward, skipping fields with a
// smaller tag (this is how unknown fields are ignored), and stops without
// consuming anything at a larger tag or at STRUCT_END. A missing optional
// field leaves *v unchanged, so defaults preset by the caller survive; a
// missing required field is an error wrapping ErrRequiredMissing.
//
// # Structs
//
// Generated code implements Struct. WriteFields and ReadFields handle the bare
// field sequence, which is the form used at the top level of a frame (request
// and response packets) and of TUP attribute maps. Nested structs (fields,
// container elements, RPC arguments) are framed by STRUCT_BEGIN and
// STRUCT_END; Writer.WriteStruct and Reader.ReadStruct add that framing and
// skip unknown trailing fields before STRUCT_END. The methods are not named
// WriteTo and ReadFrom, as in TarsGo, because in Go those names promise the
// io.WriterTo and io.ReaderFrom signatures.
package codec
