// Package gentest holds code generated from gen/testdata (Interop.tars and
// Spec.tars, the protocol reference's worked examples), checked in so that
// ordinary tests can exercise generated code against exact bytes and the
// servant dispatch glue in every protocol version. TestCommitted in package
// gen keeps it current; regenerate with go test ./gen -update.
package gentest
