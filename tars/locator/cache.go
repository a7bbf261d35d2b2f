package locator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/internal/atomicfile"
)

// maxCacheFile bounds a cache file read back.
const maxCacheFile = 4 << 20

// cacheEntry is the content of one cache file, readable by people.
type cacheEntry struct {
	Object    string   `json:"object"`
	SetID     string   `json:"setId,omitempty"`
	Version   int64    `json:"version,omitempty"`
	Endpoints []string `json:"endpoints"`
}

// cacheFile names the file of obj (and set) in dir. Object names are
// checked by the registry to hold no path separators, but a locally
// given name is not, so anything unusual is replaced.
func cacheFile(dir, obj, set string) string {
	name := obj
	if set != "" {
		name += "@" + set
	}
	name = strings.Map(func(r rune) rune {
		if r == '.' || r == '@' || r == '-' || r == '_' || r == '*' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, name)
	return filepath.Join(dir, name+".endpoints.json")
}

func writeCache(dir, obj, set string, version int64, eps []endpoint.Endpoint) error {
	e := cacheEntry{Object: obj, SetID: set, Version: version, Endpoints: make([]string, len(eps))}
	for i, ep := range eps {
		e.Endpoints[i] = ep.String()
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return atomicfile.Write(cacheFile(dir, obj, set), b)
}

// readCache returns the cached endpoints of obj; none (and no error) when
// there is no file.
func readCache(dir, obj, set string) ([]endpoint.Endpoint, int64, error) {
	path := cacheFile(dir, obj, set)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return parseCache(path, b)
}

// parseCache decodes a cache file (fuzzed).
func parseCache(path string, b []byte) ([]endpoint.Endpoint, int64, error) {
	if len(b) > maxCacheFile {
		return nil, 0, fmt.Errorf("endpoint cache %s: %d bytes (max %d)", path, len(b), maxCacheFile)
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, 0, fmt.Errorf("endpoint cache %s: %w", path, err)
	}
	eps := make([]endpoint.Endpoint, 0, len(e.Endpoints))
	for _, s := range e.Endpoints {
		ep, err := endpoint.Parse(s)
		if err != nil {
			return nil, 0, fmt.Errorf("endpoint cache %s: %w", path, err)
		}
		eps = append(eps, ep)
	}
	return eps, e.Version, nil
}
