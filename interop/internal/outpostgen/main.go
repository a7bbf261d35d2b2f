// Command outpostgen runs Outpost's TARS code generator (package tars/gen)
// over .tars files. It stands in for the standalone generator command until
// that exists; the interop module's go:generate line uses it.
//
//	go run ./internal/outpostgen -out DIR -prefix IMPORTPATH FILE.tars...
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/outpost-edge/outpost/tars/gen"
)

func main() {
	out := flag.String("out", ".", "output directory")
	prefix := flag.String("prefix", "", "Go import path of the output directory")
	flag.Parse()
	files, err := gen.Generate(gen.Options{Files: flag.Args(), ImportPrefix: *prefix})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range files {
		path := filepath.Join(*out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
