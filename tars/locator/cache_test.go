package locator

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

func TestCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	eps := []endpoint.Endpoint{{Proto: endpoint.TCP, Host: "10.0.0.1", Port: 1, Weight: -1},
		{Proto: endpoint.TCP, Host: "10.0.0.1", Port: 2, Weight: 30, WeightType: 1}}
	if err := writeCache(dir, "A.B.C", "x.y.*", 7, eps); err != nil {
		t.Fatal(err)
	}
	got, v, err := readCache(dir, "A.B.C", "x.y.*")
	if err != nil || v != 7 || !slices.Equal(got, eps) {
		t.Fatalf("%v %d %v", got, v, err)
	}
	if got, _, err := readCache(dir, "A.B.C", ""); err != nil || got != nil {
		t.Fatalf("other set: %v %v", got, err)
	}
	// Names cannot escape the directory.
	if f := cacheFile(dir, "../../etc/passwd", ""); filepath.Dir(f) != dir {
		t.Fatalf("cache file %s outside %s", f, dir)
	}
}

// FuzzParseCache: a corrupt cache file is an error, never a panic.
func FuzzParseCache(f *testing.F) {
	f.Add([]byte(`{"object":"A.B.C","endpoints":["tcp -h 1.2.3.4 -p 5"]}`))
	f.Add([]byte(`{"endpoints":["tcp -h"]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		eps, _, err := parseCache("f", b)
		if err != nil {
			return
		}
		for _, ep := range eps {
			if _, err := endpoint.Parse(ep.String()); err != nil {
				t.Fatalf("cached endpoint %v does not reparse: %v", ep, err)
			}
		}
	})
}
