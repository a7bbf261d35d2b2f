// Command tars2outpost compiles TARS IDL files (.tars) into Go packages for
// the Outpost TARS framework, so that a service needs nothing else:
//
//	//go:generate go run github.com/outpost-edge/outpost/tars/cmd/tars2outpost -I ../idl -out gen -module-prefix example.com/svc/gen Hello.tars
//
// Each IDL module becomes a package in <out>/<module, lower-cased>/, one Go
// file per IDL file. Every IDL error is printed as file:line:col: message;
// the exit status is 1 when there are any, 2 for bad usage. Run it with -h
// for the flags; the logic lives in gen.Main.
package main

import (
	"io"
	"os"

	"github.com/outpost-edge/outpost/tars/gen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return gen.Main("tars2outpost", args, stdout, stderr)
}
