package codec

import (
	"cmp"
	"slices"
)

// Entry is one map entry, as returned by SortedEntries.
type Entry[K comparable, V any] struct {
	Key   K
	Value V
}

// SortedEntries returns the entries of m in ascending key order (the order
// of SortedKeys). Like SortedKeys it borrows its slice from w, so
// steady-state encoding into a reused Writer allocates nothing, and every
// call must be followed by ReleaseKeys once the entries are written; unlike
// SortedKeys followed by a lookup per key, it reads the map only once.
func SortedEntries[K cmp.Ordered, V any](w *Writer, m map[K]V) []Entry[K, V] {
	es := borrowEntries(w, m)
	if len(es) <= 12 {
		// Insertion sort with the operator inlined: small maps are the
		// common case, and a comparison function call per step would
		// dominate. a != a holds only for NaN, which sorts first as in
		// slices.Sort.
		for i := 1; i < len(es); i++ {
			for j := i; j > 0; j-- {
				a, b := es[j].Key, es[j-1].Key
				if !(a < b || (a != a && b == b)) {
					break
				}
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
		return es
	}
	slices.SortFunc(es, func(a, b Entry[K, V]) int { return cmp.Compare(a.Key, b.Key) })
	return es
}

// SortedEntriesFunc is SortedEntries for keys ordered by compare, such as
// structs with a key[] directive.
func SortedEntriesFunc[K comparable, V any](w *Writer, m map[K]V, compare func(a, b K) int) []Entry[K, V] {
	es := borrowEntries(w, m)
	if len(es) <= 12 {
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && compare(es[j].Key, es[j-1].Key) < 0; j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
		return es
	}
	slices.SortFunc(es, func(a, b Entry[K, V]) int { return compare(a.Key, b.Key) })
	return es
}

// borrowEntries fills a scratch slice with m's entries. The scratch is
// shared with SortedKeys (w.keys holds *[]Entry[K, V] next to *[]K), so
// ReleaseKeys and Reset release it alike.
func borrowEntries[K comparable, V any](w *Writer, m map[K]V) []Entry[K, V] {
	var p *[]Entry[K, V]
	i := 0
	for ; i < len(w.keys); i++ {
		if q, ok := w.keys[i].(*[]Entry[K, V]); ok && !slices.Contains(w.keysInUse, i) {
			p = q
			break
		}
	}
	if p == nil {
		p = new([]Entry[K, V])
		w.keys = append(w.keys, p)
	}
	w.keysInUse = append(w.keysInUse, i)
	es := (*p)[:0]
	for k, v := range m {
		es = append(es, Entry[K, V]{k, v})
	}
	*p = es
	return es
}
