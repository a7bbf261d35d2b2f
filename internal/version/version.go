// Package version tells which Outpost and which Kubernetes this binary is.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X .../version.Version=v1.2.3".
var Version = "dev"

// Kubernetes is the upstream release whose components are embedded.
const Kubernetes = "v1.37.2"

// String is the one-line version report.
func String() string {
	commit := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = " (" + s.Value[:12] + ")"
			}
		}
	}
	return fmt.Sprintf("outpost %s%s, Kubernetes %s, %s %s/%s", Version, commit, Kubernetes, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
