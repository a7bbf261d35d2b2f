// Package bench holds the side-by-side RPC benchmark: Outpost's TARS
// runtime against TarsGo v1.4.5 and gRPC-Go on loopback, with a bare TCP
// echo as the floor and "serial TARS" (a TARS client and server with no
// concurrency at all: one request at a time per connection, decoded and
// answered on the reading goroutine) as the floor for any TARS stack. run.sh builds the programs and runs cmd/benchrun,
// which starts each server (cmd/benchserver) and load generator
// (cmd/benchclient) as separate processes, round after round, and prints
// medians and ratios. Every load generator is Outpost's bench.Run engine
// driving a different client, so all stacks see the same load.
package bench
