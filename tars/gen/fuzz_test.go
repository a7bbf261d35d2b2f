package gen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outpost-edge/outpost/tars/idl"
)

// FuzzGenerate checks that every IDL program the checker accepts either
// generates Go source that parses and formats (format.Source runs on every
// file) or is refused with a positioned error; never an internal error or a
// panic.
func FuzzGenerate(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.tars")
	more, _ := filepath.Glob("testdata/multi/*/*.tars")
	for _, p := range append(paths, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		read := memRead(map[string]string{"main.tars": string(src)})
		prog, err := idl.Load(&idl.Options{ReadFile: read, MaxFileSize: 1 << 16}, "main.tars")
		if err != nil {
			return
		}
		files, err := GenerateProgram(prog, Options{ImportPrefix: "example.com/g"})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("%v\n%s", err, src)
			}
			return
		}
		for _, f := range files {
			if !strings.HasPrefix(string(f.Content), Header) {
				t.Fatalf("%s lacks the header", f.Path)
			}
		}
	})
}
