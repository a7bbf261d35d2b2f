#!/bin/bash
# Contention-resistant cost of the codec benchmarks in interop/bench_test.go
# (Outpost vs TarsGo), for a shared machine where wall-clock ns/op swing 2-3x:
#
#   cpu    CPU time (user + system, all threads, GC included) per operation:
#          each row run with -test.benchtime Nx, minus a 1x run; ROUNDS
#          interleaved rounds, median.
#   instr  instructions per operation under valgrind --tool=callgrind
#          (repeatable to 1-2%: map hashing is randomised; blind to cache misses): runs of N1 and N2
#          iterations, difference / (N2 - N1). Needs valgrind; the binary is
#          built with CGO_ENABLED=0 and run with GOMAXPROCS=1 and async
#          preemption off, without which valgrind crashes on Go binaries.
#
#   interop/bench/codec-cost.sh [cpu|instr|both] [ROUNDS]
set -eu
mode=${1:-both}
rounds=${2:-3}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# benchmark impl iterations (for cpu; instr uses 2,000 and 12,000)
rows="EncodeEverything Outpost 100000
EncodeEverything OutpostHandwritten 100000
EncodeEverything TarsGo 100000
DecodeEverything Outpost 50000
DecodeEverything OutpostNoCopy 50000
DecodeEverything OutpostCopyOnce 50000
DecodeEverything OutpostHandwritten 50000
DecodeEverything TarsGo 50000
EncodeRequest1KiB Outpost 1000000
EncodeRequest1KiB TarsGo 1000000
DecodeRequest1KiB Outpost 500000
DecodeRequest1KiB OutpostNoCopy 500000
DecodeRequest1KiB TarsGo 500000"

# cputime BIN BENCH IMPL N: CPU seconds of one run, as "user+sys".
cputime() {
	local TIMEFORMAT='%3U+%3S'
	{ time "$1" -test.run '^$' -test.bench "^Benchmark$2\$/^impl=$3\$" -test.benchtime "$4x" >/dev/null; } 2>&1
}

if [ "$mode" = cpu ] || [ "$mode" = both ]; then
	go test -c -o "$dir/cpu.test" .
	for r in $(seq "$rounds"); do
		echo "$rows" | while read -r b i n; do
			t=$(cputime "$dir/cpu.test" "$b" "$i" "$n")
			t1=$(cputime "$dir/cpu.test" "$b" "$i" 1)
			echo "$b $i $(echo "($t - ($t1)) * 1000000000 / $n" | bc)" >>"$dir/cpu.txt"
		done
	done
	echo "CPU ns/op (median of $rounds):"
	echo "$rows" | while read -r b i n; do
		grep "^$b $i " "$dir/cpu.txt" | awk '{print $3}' | sort -n |
			awk -v k="$b $i" '{v[NR]=$1} END {print k, v[int((NR+1)/2)]}'
	done
fi

if [ "$mode" = instr ] || [ "$mode" = both ]; then
	CGO_ENABLED=0 go test -c -o "$dir/instr.test" .
	instr() {
		GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$dir/instr.test" -test.run '^$' -test.bench "^Benchmark$1\$/^impl=$2\$" -test.benchtime "$3x" 2>&1 |
			grep -o 'Collected : [0-9]*' | awk '{print $3}'
	}
	echo "instructions/op:"
	echo "$rows" | while read -r b i _; do
		a=$(instr "$b" "$i" 2000)
		z=$(instr "$b" "$i" 12000)
		echo "$b $i $(((z - a) / 10000))"
	done
fi
