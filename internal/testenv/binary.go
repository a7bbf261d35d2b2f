package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

// Binary returns the path of the outpost binary: $OUTPOST_BIN, or one built
// from this checkout on first call.
func Binary() (string, error) {
	if p := os.Getenv("OUTPOST_BIN"); p != "" {
		return p, nil
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "outpost-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "outpost")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/outpost")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building outpost: %v\n%s", err, out)
		}
	})
	return binPath, buildErr
}

// moduleRoot is the root of the outpost module, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
