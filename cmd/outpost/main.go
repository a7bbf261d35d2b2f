// Command outpost is the single binary of the Outpost edge platform: the
// cloud-side server, the edge agent and the developer tools.
package main

import (
	"os"

	"github.com/outpost-edge/outpost/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
