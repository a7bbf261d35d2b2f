package balance

import (
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

// virtualNodes is the number of ketama virtual nodes per endpoint (TARS:
// 100); each MD5 digest gives 4 points, so 25 digests per endpoint.
const virtualNodes = 100

// ring is a ketama consistent-hash ring: points sorted by hash, kept as
// two slices so that the search runs over a plain []uint32.
type ring struct {
	hashes []uint32
	eps    []int32
	n      int
}

type point struct {
	hash uint32
	ep   int
}

func newRing(eps []endpoint.Endpoint, weighted bool) *ring {
	r := &ring{n: len(eps)}
	var points []point
	for i, ep := range eps {
		vn := virtualNodes
		if weighted {
			// Scale by weight relative to 100, at least one digest.
			vn = max(virtualNodes*normWeight(ep.Weight)/100, 4)
		}
		key := Key(ep)
		for j := range vn / 4 {
			d := md5.Sum([]byte(key + "_" + strconv.Itoa(j)))
			for k := range 4 {
				points = append(points, point{binary.LittleEndian.Uint32(d[k*4:]), i})
			}
		}
	}
	slices.SortFunc(points, func(a, b point) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.ep, b.ep))
	})
	r.hashes = make([]uint32, len(points))
	r.eps = make([]int32, len(points))
	for i, p := range points {
		r.hashes[i], r.eps[i] = p.hash, int32(p.ep)
	}
	return r
}

// pick returns the first endpoint at or after code's point on the ring
// that ok accepts, or -1.
func (r *ring) pick(code uint64, ok func(int) bool) int {
	n := len(r.hashes)
	if n == 0 {
		return -1
	}
	h := uint32(code) ^ uint32(code>>32)
	start, _ := slices.BinarySearch(r.hashes, h)
	for k := range n {
		if ep := int(r.eps[(start+k)%n]); ok(ep) {
			return ep
		}
	}
	return -1
}
