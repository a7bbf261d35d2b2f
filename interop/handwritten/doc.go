// Package handwritten encodes the structs of Interop.tars with Outpost's
// codec by hand, the way generated code is expected to: a stand-in used by
// the interop tests and benchmarks until the Outpost generator (tars/gen)
// can produce the same code from Interop.tars.
package handwritten
