package gen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompileGenerated writes every golden case into a scratch module that
// uses this framework module through a replace directive, then runs go vet
// and go test there: the generated code must compile, vet clean, and pass
// the round-trip and service tests in testdata/compile.
func TestCompileGenerated(t *testing.T) {
	framework, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/gentest\n\ngo 1.26\n\nrequire github.com/outpost-edge/outpost/tars v0.0.0\n\n" +
		"replace github.com/outpost-edge/outpost/tars => " + framework + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range goldenCases {
		files, err := Generate(tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := WriteFiles(dir, files); err != nil {
			t.Fatal(err)
		}
	}
	tests, _ := filepath.Glob("testdata/compile/*_test.go.in")
	for _, in := range tests {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(in), ".in")
		pkg := strings.TrimSuffix(base, "_test.go")
		if err := os.WriteFile(filepath.Join(dir, pkg, base), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("go %s:\n%s", strings.Join(args, " "), out)
	}
}
