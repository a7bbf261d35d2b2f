// Package handwritten encodes the structs of Interop.tars with Outpost's
// codec by hand. The interop benchmarks run it beside the generated code as
// a reference for what the codec itself costs: it calls the nested structs'
// methods directly (no interface call, so nothing escapes to the heap) and
// writes map entries in Go's iteration order instead of sorting the keys.
package handwritten
