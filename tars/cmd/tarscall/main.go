// Command tarscall calls any function of a TARS servant with JSON
// arguments typed by its .tars file; it is tool/call's Main (also embedded
// in the outpost CLI as "outpost call"). Run it without arguments for
// usage.
package main

import (
	"os"

	"github.com/outpost-edge/outpost/tars/tool/call"
)

func main() { os.Exit(call.Main("tarscall", os.Args[1:], os.Stdout, os.Stderr)) }
