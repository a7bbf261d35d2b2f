#!/bin/sh
# Side-by-side RPC benchmark on loopback: Outpost's TARS runtime, TarsGo
# v1.4.5 and gRPC-Go, with a bare TCP echo as the floor. Builds the
# programs, then runs every client→server pair at every concurrency and
# payload size for several rounds and prints the medians and ratios as
# Markdown. Extra arguments go to benchrun (-rounds, -d, -conc, -sizes,
# -pairs, -raw); see `go run ./bench/cmd/benchrun -h`.
#
#   interop/bench/run.sh -rounds 5 -raw /tmp/bench.jsonl
set -eu
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/" ./bench/cmd/benchserver ./bench/cmd/benchclient ./bench/cmd/benchrun
"$bin/benchrun" -bin "$bin" "$@"
