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
	if w.keyDepth > 0 {
		w.keyDepth--
	}
}

// borrowKeys fills the scratch slice at the current depth with m's keys.
// The scratch is kept as a *[]K in an any; it is replaced (one allocation)
// only when a different key type appears at that depth.
func borrowKeys[K comparable, V any](w *Writer, m map[K]V) []K {
	if w.keyDepth == len(w.keyScratch) {
		w.keyScratch = append(w.keyScratch, nil)
	}
	p, ok := w.keyScratch[w.keyDepth].(*[]K)
	if !ok {
		p = new([]K)
		w.keyScratch[w.keyDepth] = p
	}
	w.keyDepth++
	keys := (*p)[:0]
	for k := range m {
		keys = append(keys, k)
	}
	*p = keys
	return keys
}
