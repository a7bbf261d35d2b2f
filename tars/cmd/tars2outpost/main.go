// Command tars2outpost compiles TARS IDL files (.tars) into Go packages for
// the Outpost TARS framework, so that a service needs nothing else:
//
//	//go:generate go run github.com/outpost-edge/outpost/tars/cmd/tars2outpost -I ../idl -out gen -module-prefix example.com/svc/gen Hello.tars
//
// Each IDL module becomes a package in <out>/<module, lower-cased>/, one Go
// file per IDL file. Every IDL error is printed as file:line:col: message;
// the exit status is 1 when there are any, 2 for bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/outpost-edge/outpost/tars/gen"
	"github.com/outpost-edge/outpost/tars/idl"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tars2outpost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var includes, mappings listFlag
	out := fs.String("out", ".", "output `dir`ectory; module M goes to <dir>/<lower(M)>/")
	prefix := fs.String("module-prefix", "", "Go import `path` of the output directory (needed when modules refer to each other)")
	check := fs.Bool("check", false, "only check the IDL files; write nothing")
	verbose := fs.Bool("v", false, "list the files written")
	fs.Var(&includes, "I", "search `dir` for #include files (repeatable)")
	fs.Var(&mappings, "M", "`Module=importpath`: use a package generated elsewhere for Module (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tars2outpost [flags] file.tars...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	opts := gen.Options{Files: fs.Args(), IncludeDirs: includes, ImportPrefix: *prefix}
	for _, m := range mappings {
		mod, path, ok := strings.Cut(m, "=")
		if !ok || mod == "" || path == "" {
			fmt.Fprintf(stderr, "tars2outpost: -M %q: want Module=importpath\n", m)
			return 2
		}
		if opts.ImportMap == nil {
			opts.ImportMap = map[string]string{}
		}
		opts.ImportMap[mod] = path
	}

	if *check {
		_, err := idl.Load(&idl.Options{IncludeDirs: includes}, fs.Args()...)
		return report(err, stderr)
	}
	files, err := gen.Generate(opts)
	if code := report(err, stderr); code != 0 {
		return code
	}
	if err := gen.WriteFiles(*out, files); err != nil {
		fmt.Fprintf(stderr, "tars2outpost: %v\n", err)
		return 1
	}
	if *verbose {
		for _, f := range files {
			fmt.Fprintln(stdout, f.Path)
		}
	}
	return 0
}

// report prints every diagnostic of err, one per line, and returns the exit
// status.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var list idl.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
		if len(list) > 1 {
			fmt.Fprintf(stderr, "%d errors\n", len(list))
		}
		return 1
	}
	fmt.Fprintf(stderr, "tars2outpost: %v\n", err)
	return 1
}
