package idl

// Options configures ParseFile and Load. The zero value (or a nil *Options)
// uses the defaults below.
type Options struct {
	// IncludeDirs are searched, in order, for #include files that are not
	// found next to the including file.
	IncludeDirs []string

	// ReadFile reads a source file; nil means os.ReadFile. A missing file
	// must be reported with an error that matches fs.ErrNotExist.
	ReadFile func(name string) ([]byte, error)

	MaxFileSize     int64 // bytes per file; default 8 MiB
	MaxTypeDepth    int   // nesting of vector<>/map<>; default 32
	MaxIncludeDepth int   // length of an #include chain; default 32
	MaxFiles        int   // files loaded in one run; default 1000
	MaxErrors       int   // diagnostics reported before giving up; default 100
}

// Default limits.
const (
	DefaultMaxFileSize     = 8 << 20
	DefaultMaxTypeDepth    = 32
	DefaultMaxIncludeDepth = 32
	DefaultMaxFiles        = 1000
	DefaultMaxErrors       = 100
)

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.MaxFileSize <= 0 {
		r.MaxFileSize = DefaultMaxFileSize
	}
	if r.MaxTypeDepth <= 0 {
		r.MaxTypeDepth = DefaultMaxTypeDepth
	}
	if r.MaxIncludeDepth <= 0 {
		r.MaxIncludeDepth = DefaultMaxIncludeDepth
	}
	if r.MaxFiles <= 0 {
		r.MaxFiles = DefaultMaxFiles
	}
	if r.MaxErrors <= 0 {
		r.MaxErrors = DefaultMaxErrors
	}
	return r
}
