package gen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/outpost-edge/outpost/tars/idl"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// Main runs the generator as a command: it parses args (flags, then .tars
// files), generates, writes the files, and returns the exit status (0, 1
// for IDL or output errors, all of which are printed to stderr, 2 for bad
// usage). name is the command name used in messages. It is the body of
// cmd/tars2outpost and of `outpost tars gen`.
func Main(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var includes, mappings listFlag
	out := fs.String("out", ".", "output `dir`ectory; module M goes to <dir>/<lower(M)>/")
	prefix := fs.String("module-prefix", "", "Go import `path` of the output directory (needed when modules refer to each other)")
	check := fs.Bool("check", false, "only check the IDL files; write nothing")
	verbose := fs.Bool("v", false, "list the files written")
	fs.Var(&includes, "I", "search `dir` for #include files (repeatable)")
	fs.Var(&mappings, "M", "`Module=importpath`: use a package generated elsewhere for Module (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [flags] file.tars...\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	opts := Options{Files: fs.Args(), IncludeDirs: includes, ImportPrefix: *prefix}
	for _, m := range mappings {
		mod, path, ok := strings.Cut(m, "=")
		if !ok || mod == "" || path == "" {
			fmt.Fprintf(stderr, "%s: -M %q: want Module=importpath\n", name, m)
			return 2
		}
		if opts.ImportMap == nil {
			opts.ImportMap = map[string]string{}
		}
		opts.ImportMap[mod] = path
	}

	if *check {
		_, err := idl.Load(&idl.Options{IncludeDirs: includes}, fs.Args()...)
		return report(name, err, stderr)
	}
	files, err := Generate(opts)
	if code := report(name, err, stderr); code != 0 {
		return code
	}
	if err := WriteFiles(*out, files); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
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
func report(name string, err error, stderr io.Writer) int {
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
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
