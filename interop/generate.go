package interop

// The Outpost side of the struct and argument tests is generated from the
// shared Interop.tars (checked out beside the repository as shared/).
//go:generate go run github.com/outpost-edge/outpost/tars/cmd/tars2outpost -out gen -module-prefix github.com/outpost-edge/outpost/interop/gen ../../shared/interop/Interop.tars
