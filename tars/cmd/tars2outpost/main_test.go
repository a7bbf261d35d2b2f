package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-out", dir, "-v", "../../gen/testdata/Spec.tars"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.String() != "spec/Spec.tars.go\n" {
		t.Errorf("stdout %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "spec", "Spec.tars.go")); err != nil {
		t.Error(err)
	}
	stderr.Reset()
	if code := run(nil, &stdout, &stderr); code != 2 || !bytes.Contains(stderr.Bytes(), []byte("usage: tars2outpost")) {
		t.Errorf("no arguments: exit %d, %s", code, stderr.String())
	}
}
