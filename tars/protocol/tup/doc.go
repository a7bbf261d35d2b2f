// Package tup implements the TUP ("Tars Uni-Protocol") attribute maps that
// version 2 and 3 packets carry in their Buffer instead of positional
// arguments. Gateways and mobile clients use TUP because arguments are found
// by name, so a caller needs no generated code for the exact interface.
//
// Version 3 (protocol.VersionTUP3, spoken by TarsCpp and TarsGo) maps each
// parameter name to its value encoded as a single field at tag 0:
// map<string, vector<byte>>. Version 2 (protocol.VersionTUP2, TarsJava and
// old clients) adds a level naming the value's type:
// map<string, map<string, vector<byte>>>, e.g. "a" -> {"int32" -> bytes}.
// Either map is written as the bare top-level field 0 of the Buffer.
//
// UniAttribute stores encoded values; Put and Get take callbacks that write
// or read the value at tag 0, and PutValue, GetValue, PutStruct and GetStruct
// cover the common cases, including the version 2 type names.
package tup
