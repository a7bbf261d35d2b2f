package main

// Interop.tars is a copy of the project's shared interop IDL
// (shared/interop/Interop.tars); the generated package is checked in.
//go:generate go run ../../cmd/tars2outpost -out . Interop.tars
