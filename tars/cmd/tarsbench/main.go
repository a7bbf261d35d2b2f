// Command tarsbench is a load generator for TARS servants; it is
// tool/bench's Main (also embedded in the outpost CLI as "outpost bench").
// Run it without arguments for usage.
package main

import (
	"os"

	"github.com/outpost-edge/outpost/tars/tool/bench"
)

func main() { os.Exit(bench.Main("tarsbench", os.Args[1:], os.Stdout, os.Stderr)) }
