package idl

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Program is a set of loaded, checked files.
type Program struct {
	Roots []*File // the files named in the Load call, in that order
	// Files holds every loaded file once, each file after the files it
	// includes (roots last unless another root includes them).
	Files []*File
	// Namespaces holds one entry per module name, in order of first
	// appearance in Files.
	Namespaces []*Namespace

	byName  map[string]*Namespace
	visible map[*File]map[*File]bool
}

// Namespace is everything declared under one module name, across all the
// blocks that open it.
type Namespace struct {
	Name   string
	Blocks []*Module // in Files order, then source order
	decls  map[string]NamedDecl
}

// Lookup returns the definition called name in the namespace, or nil.
func (n *Namespace) Lookup(name string) NamedDecl { return n.decls[name] }

// Namespace returns the namespace of module name, or nil.
func (p *Program) Namespace(name string) *Namespace { return p.byName[name] }

// Visible reports whether definitions in file from can be referenced from
// file to: from is to itself or reachable through to's #includes.
func (p *Program) Visible(to, from *File) bool { return p.visibleFrom(to)[from] }

func (p *Program) visibleFrom(f *File) map[*File]bool {
	if v, ok := p.visible[f]; ok {
		return v
	}
	v := map[*File]bool{}
	stack := []*File{f}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v[cur] {
			continue
		}
		v[cur] = true
		for _, inc := range cur.Includes {
			if inc.File != nil {
				stack = append(stack, inc.File)
			}
		}
	}
	p.visible[f] = v
	return v
}

// Load parses the root files and everything they include, then checks the
// whole program. The error, if any, is an ErrorList holding every problem
// found; the Program is returned even then, for tools that want a partial
// result, but it must not be used to generate code.
func Load(opts *Options, roots ...string) (*Program, error) {
	o := opts.withDefaults()
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	l := &loader{opts: o, errs: newErrorSink(o.MaxErrors), state: map[string]*loadState{}}
	prog := &Program{byName: map[string]*Namespace{}, visible: map[*File]map[*File]bool{}}
	if len(roots) == 0 {
		l.errs.add(Pos{}, "no input files")
	}
	for _, r := range roots {
		name := filepath.Clean(r)
		data, err := o.ReadFile(name)
		if err != nil {
			l.errs.add(Pos{File: name}, "cannot read file: %v", unwrapPath(err))
			continue
		}
		if f := l.load(name, data, 1); f != nil && !slices.Contains(prog.Roots, f) {
			prog.Roots = append(prog.Roots, f)
		}
	}
	prog.Files = l.files
	check(prog, l.errs)
	return prog, l.errs.result().Err()
}

type loadState struct {
	file *File
	busy bool // on the current include chain
}

type loader struct {
	opts  Options
	errs  *errorSink
	state map[string]*loadState
	files []*File
	chain []string // the include chain being loaded, for cycle messages
}

// load parses the file at name (already read into data) and, recursively,
// its includes. depth is the length of the include chain including name.
func (l *loader) load(name string, data []byte, depth int) *File {
	if st, ok := l.state[name]; ok {
		return st.file
	}
	if len(l.state) >= l.opts.MaxFiles {
		l.errs.add(Pos{File: name}, "too many files (limit %d)", l.opts.MaxFiles)
		return nil
	}
	f := parseFile(name, data, l.opts, l.errs)
	st := &loadState{file: f, busy: true}
	l.state[name] = st
	l.chain = append(l.chain, name)
	for _, inc := range f.Includes {
		l.include(f, inc, depth)
	}
	l.chain = l.chain[:len(l.chain)-1]
	st.busy = false
	l.files = append(l.files, f)
	return f
}

func (l *loader) include(f *File, inc *Include, depth int) {
	if depth >= l.opts.MaxIncludeDepth {
		l.errs.add(inc.Pos, "#include %q: includes nested more than %d deep", inc.Path, l.opts.MaxIncludeDepth)
		return
	}
	name, data, err := l.resolve(f.Name, inc.Path)
	if err != nil {
		l.errs.add(inc.Pos, "%v", err)
		return
	}
	if st, ok := l.state[name]; ok {
		if st.busy {
			l.errs.add(inc.Pos, "include cycle: %s -> %s", strings.Join(l.chainFrom(name), " -> "), name)
			return
		}
		inc.File = st.file
		return
	}
	inc.File = l.load(name, data, depth+1)
}

func (l *loader) chainFrom(name string) []string {
	for i, n := range l.chain {
		if n == name {
			return l.chain[i:]
		}
	}
	return l.chain
}

// resolve finds an included file: next to the including file first, then in
// each include directory. It returns the cleaned path and, unless the file
// is already loaded, its contents.
func (l *loader) resolve(from, path string) (string, []byte, error) {
	var candidates []string
	if filepath.IsAbs(path) {
		candidates = []string{filepath.Clean(path)}
	} else {
		candidates = append(candidates, filepath.Join(filepath.Dir(from), path))
		for _, dir := range l.opts.IncludeDirs {
			candidates = append(candidates, filepath.Join(dir, path))
		}
	}
	for _, c := range candidates {
		if _, ok := l.state[c]; ok {
			return c, nil, nil
		}
		data, err := l.opts.ReadFile(c)
		if err == nil {
			return c, data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", nil, errors.New("cannot read #include \"" + path + "\": " + unwrapPath(err).Error())
		}
	}
	return "", nil, errors.New("#include \"" + path + "\": file not found (searched " + strings.Join(candidates, ", ") + ")")
}

// unwrapPath drops the *fs.PathError wrapper, whose path the caller already
// prints.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
