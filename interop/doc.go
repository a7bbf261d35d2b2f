// Package interop holds test-only checks that Outpost's TARS implementation
// is byte-compatible with TarsGo v1.4.5, the reference peer (see the
// protocol reference, section 12), and benchmarks that compare the two.
//
// It is its own module so that TarsGo never becomes a dependency of a
// product module: nothing may import this module. The tests run both
// implementations in one process and check both directions, Outpost writes
// and TarsGo reads, TarsGo writes and Outpost reads, for every primitive and
// container, the request and response packets, TUP3 attribute maps and the
// structs and RPC argument buffers of Interop.tars.
//
// The Outpost side of the struct and argument tests is gen/interop,
// generated from Interop.tars by tars/gen (go generate, see generate.go),
// driven through its EchoClient and EchoDispatcher. Subpackage
// tarsgo/Interop is the code tars2go would generate for Interop.tars,
// written by hand against TarsGo's codec (tars2go itself is a separate
// module not used here). Package handwritten encodes the same structs with
// the codec by hand, as a reference point for the benchmarks.
package interop
