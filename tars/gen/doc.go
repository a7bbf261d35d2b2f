// Package gen generates Go code from checked TARS IDL (package idl).
//
// The output is meant to be read and debugged like hand-written code, and to
// be byte-compatible with TarsGo and TarsCpp peers:
//
//   - one Go package per IDL module, named after the module in lower case,
//     in directory <package>/ of the output, imported by other generated
//     packages as <ImportPrefix>/<package>; one file per IDL file and module
//     (<IDLFile>.tars.go);
//   - structs with WriteFields/ReadFields (the codec.Struct interface),
//     ResetDefault and a NewX constructor that apply IDL defaults, and a
//     TarsType descriptor used by the runtime for TUP and JSON;
//   - optional members are skipped on write exactly when TarsGo skips them
//     (equal to the IDL default, or to Go's zero value without one; empty
//     vectors and maps; enums and structs are always written), so encodings
//     match TarsGo byte for byte; map entries are written in key order, as
//     TarsCpp's std::map does;
//   - enums are typed int32 with constants Enum_MEMBER and a String method;
//     consts are typed Go constants; key[S, ...] becomes CompareS;
//   - per interface I: IServant (context first, error last, out parameters as
//     extra results), NewIDispatcher, IClient/NewIClient and IServiceDesc, all
//     built on package servant. A parameter marked routekey is also sent as
//     the STATUS_GRID_KEY status entry, as TarsCpp does.
//
// # Type mapping
//
// bool, byte, unsigned byte, short, unsigned short, int, unsigned int, long,
// float, double and string map to bool, int8, uint8, int16, uint16, int32,
// uint32, int64, float32, float64 and string. vector<T> is []T, except that
// vector<byte> and vector<unsigned byte> are both []byte (the wire still
// tells them apart: a SIMPLE_LIST and a LIST of shorts). map<K, V> is
// map[K]V when K is comparable in Go, which covers every scalar, enum and
// struct key whose members are all comparable (so map<Point, string> is
// map[Point]string). A key containing a vector or map cannot be a Go map key;
// such maps are []servant.Pair[K, V], in wire order.
//
// # Names
//
// Type, member, constant and method names get an upper-case first letter
// (a leading underscore gets an X prefix). Members that would clash with the
// generated methods get a trailing underscore, as do parameters named like
// Go keywords or like the generated code's own identifiers. Remaining clashes
// are reported as errors at the IDL position.
package gen
