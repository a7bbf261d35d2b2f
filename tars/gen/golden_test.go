package gen

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and the committed generated packages")

// goldenCases are the inputs whose complete output is committed under
// testdata/<name>.golden.
var goldenCases = []struct {
	name string
	opts Options
}{
	{"interop", Options{Files: []string{"testdata/Interop.tars"}, ImportPrefix: "example.com/gentest"}},
	{"hello", Options{Files: []string{"testdata/Hello.tars"}, ImportPrefix: "example.com/gentest"}},
	{"multi", Options{Files: []string{"testdata/multi/app.tars"}, IncludeDirs: []string{"testdata/multi/inc"},
		ImportPrefix: "example.com/gentest/"}},
	{"keywords", Options{Files: []string{"testdata/keywords.tars"}, ImportPrefix: "example.com/gentest"}},
}

// committedPrefix is the import path of internal/gentest, where the
// generated code of committedFiles is checked in so that ordinary tests in
// this module can use it.
const committedPrefix = "github.com/outpost-edge/outpost/tars/gen/internal/gentest"

var committedFiles = []string{"testdata/Interop.tars", "testdata/Spec.tars"}

// TestCommitted checks that internal/gentest holds the current output (and
// rewrites it with -update).
func TestCommitted(t *testing.T) {
	files, err := Generate(Options{Files: committedFiles, ImportPrefix: committedPrefix})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("internal", "gentest")
	if *update {
		if err := WriteFiles(dir, files); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatalf("%v (run go test ./gen -update)", err)
		}
		if !bytes.Equal(f.Content, want) {
			t.Errorf("%s is stale; run go test ./gen -update\n%s", f.Path, firstDiff(f.Content, want))
		}
	}
}

// archive renders files in txtar form: "-- path --" lines before each file.
func archive(files []File) []byte {
	var b bytes.Buffer
	for _, f := range files {
		fmt.Fprintf(&b, "-- %s --\n", f.Path)
		b.Write(f.Content)
	}
	return b.Bytes()
}

// unarchive splits a txtar archive back into files.
func unarchive(data []byte) []File {
	var files []File
	for _, part := range strings.Split("\n"+string(data), "\n-- ")[1:] {
		header, body, _ := strings.Cut(part, " --\n")
		files = append(files, File{Path: header, Content: []byte(body)})
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Generate(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if !bytes.HasPrefix(f.Content, []byte(Header+"\n")) {
					t.Errorf("%s: missing header", f.Path)
				}
			}
			got := archive(files)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./gen -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s; run go test ./gen -update and review the diff\n%s", path, firstDiff(got, want))
			}
			// Generating twice gives the same bytes.
			again, _ := Generate(tc.opts)
			if !bytes.Equal(archive(again), got) {
				t.Error("output is not deterministic")
			}
		})
	}
}

// firstDiff describes the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return ""
}
