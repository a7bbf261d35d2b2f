package codec

import (
	"cmp"
	"slices"
)

// SortedKeys returns the keys of m in ascending order, for encoders that
// write map entries in a deterministic order (as TarsCpp's std::map does).
// The slice is borrowed from w, so steady-state encoding into a reused
// Writer allocates nothing: it stays valid until the matching ReleaseKeys.
// Calls nest (a map inside a map value takes another slice); every call
// must be followed by ReleaseKeys once the entries are written. Reset
// releases everything.
func SortedKeys[K cmp.Ordered, V any](w *Writer, m map[K]V) []K {
	keys := borrowKeys(w, m)
	slices.Sort(keys)
	return keys
}

// SortedKeysFunc is SortedKeys for keys ordered by compare, such as structs
// with a key[] directive.
func SortedKeysFunc[K comparable, V any](w *Writer, m map[K]V, compare func(a, b K) int) []K {
	keys := borrowKeys(w, m)
	slices.SortFunc(keys, compare)
	return keys
}

// ReleaseKeys returns the slice borrowed by the latest SortedKeys call.
func (w *Writer) ReleaseKeys() {
	if n := len(w.keysInUse); n > 0 {
		w.keysInUse = w.keysInUse[:n-1]
	}
}

// borrowKeys fills a scratch slice of key type K with m's keys. Scratch
// slices are kept as *[]K in w.keys and reused by later encodes; in-use ones
// are listed (as indexes) in w.keysInUse, a stack as short as the nesting.
func borrowKeys[K comparable, V any](w *Writer, m map[K]V) []K {
	var p *[]K
	i := 0
	for ; i < len(w.keys); i++ {
		if q, ok := w.keys[i].(*[]K); ok && !slices.Contains(w.keysInUse, i) {
			p = q
			break
		}
	}
	if p == nil {
		p = new([]K)
		w.keys = append(w.keys, p)
	}
	w.keysInUse = append(w.keysInUse, i)
	keys := (*p)[:0]
	for k := range m {
		keys = append(keys, k)
	}
	*p = keys
	return keys
}
