package store

import (
	"bytes"
	"encoding/binary"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Collect enforces the TTL and the size cap now (it also runs every
// GCInterval), after the changes queued before, and returns once done.
func (s *Store) Collect() {
	o := &op{collect: true, done: make(chan error, 1)}
	select {
	case s.ops <- o:
		<-o.done
	case <-s.quit:
	}
}

// persistUsed writes the last-read times kept in memory into the views.
func (s *Store) persistUsed() {
	s.mu.Lock()
	used := s.used
	s.used = map[uint64]time.Time{}
	s.mu.Unlock()
	if len(used) == 0 {
		return
	}
	_ = s.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketV)
		for id, t := range used {
			vb := v.Bucket(u64(id))
			if vb == nil {
				continue
			}
			m, err := readMeta(vb)
			if err != nil || !t.After(m.Used) {
				continue
			}
			m.Used = t
			if err := writeMeta(vb, &m); err != nil {
				return err
			}
		}
		return nil
	})
}

type viewUse struct {
	key  []byte // index key
	id   []byte
	last time.Time
	size int64
}

// collect drops what has not been used for the TTL, then evicts the least
// recently used views while the data exceeds the cap. It runs on the writer
// goroutine.
func (s *Store) collect() {
	s.persistUsed()
	now := s.opts.Now()
	cutoff := now.Add(-s.opts.TTL)
	var views []viewUse
	err := s.db.Update(func(tx *bolt.Tx) error {
		idx, v := tx.Bucket(bucketViews), tx.Bucket(bucketV)
		var drop []viewUse
		err := idx.ForEach(func(k, id []byte) error {
			vb := v.Bucket(id)
			if vb == nil {
				drop = append(drop, viewUse{key: bytes.Clone(k), id: bytes.Clone(id)})
				return nil
			}
			m, err := readMeta(vb)
			if err != nil {
				return err
			}
			last := m.Updated
			if m.Used.After(last) {
				last = m.Used
			}
			u := viewUse{key: bytes.Clone(k), id: bytes.Clone(id), last: last}
			if last.Before(cutoff) {
				drop = append(drop, u)
			} else {
				views = append(views, u)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, d := range drop {
			if err := dropView(tx, d); err != nil {
				return err
			}
		}
		if err := expireGets(tx, cutoff); err != nil {
			return err
		}
		return expireRecords(tx, now, cutoff)
	})
	if err != nil {
		s.log.Warn("edge cache collection failed", "err", err)
	}
	s.refreshStats()
	if s.opts.MaxBytes > 0 && s.Stats().Bytes > s.opts.MaxBytes {
		s.evict(views)
	}
	s.refreshStats()
}

func dropView(tx *bolt.Tx, u viewUse) error {
	if err := tx.Bucket(bucketViews).Delete(u.key); err != nil {
		return err
	}
	if tx.Bucket(bucketV).Bucket(u.id) == nil {
		return nil
	}
	return tx.Bucket(bucketV).DeleteBucket(u.id)
}

func expireGets(tx *bolt.Tx, cutoff time.Time) error {
	return deleteWhere(tx.Bucket(bucketGets), func(_, v []byte) bool {
		return len(v) >= 17 && time.Unix(0, int64(binary.BigEndian.Uint64(v[9:17]))).Before(cutoff)
	})
}

// deleteWhere deletes the keys of b for which drop is true (collected
// first: bbolt forbids deleting while iterating).
func deleteWhere(b *bolt.Bucket, drop func(k, v []byte) bool) error {
	var keys [][]byte
	_ = b.ForEach(func(k, v []byte) error {
		if drop(k, v) {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func expireRecords(tx *bolt.Tx, now, cutoff time.Time) error {
	kv := tx.Bucket(bucketKV)
	return kv.ForEachBucket(func(name []byte) error {
		return deleteWhere(kv.Bucket(name), func(_, v []byte) bool {
			r, err := decodeRecord(v)
			return err != nil || (!r.Expires.IsZero() && !now.Before(r.Expires)) || r.Updated.Before(cutoff)
		})
	})
}

// evict drops least recently used views until the data fits in 90% of the
// cap, measuring what each view occupies.
func (s *Store) evict(views []viewUse) {
	_ = s.db.View(func(tx *bolt.Tx) error {
		for i := range views {
			if vb := tx.Bucket(bucketV).Bucket(views[i].id); vb != nil {
				st := vb.Stats()
				views[i].size = int64(st.LeafAlloc + st.BranchAlloc)
			}
		}
		return nil
	})
	sort.Slice(views, func(i, j int) bool { return views[i].last.Before(views[j].last) })
	excess := s.Stats().Bytes - s.opts.MaxBytes*9/10
	var victims []viewUse
	for _, v := range views {
		if excess <= 0 {
			break
		}
		victims = append(victims, v)
		excess -= v.size
	}
	if len(victims) == 0 && excess <= 0 {
		return
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, v := range victims {
			if err := dropView(tx, v); err != nil {
				return err
			}
		}
		if excess > 0 {
			// Views alone do not suffice: objects read by name go too,
			// oldest first.
			return evictGets(tx, excess)
		}
		return nil
	})
	if err != nil {
		s.log.Warn("edge cache eviction failed", "err", err)
		return
	}
	s.mu.Lock()
	s.stats.Evictions += int64(len(victims))
	s.mu.Unlock()
	s.log.Info("edge cache over its cap: evicted least recently used views", "views", len(victims), "capBytes", s.opts.MaxBytes)
}

func evictGets(tx *bolt.Tx, excess int64) error {
	type get struct {
		k    []byte
		at   int64
		size int64
	}
	var gets []get
	b := tx.Bucket(bucketGets)
	_ = b.ForEach(func(k, v []byte) error {
		if len(v) >= 17 {
			gets = append(gets, get{bytes.Clone(k), int64(binary.BigEndian.Uint64(v[9:17])), int64(len(k) + len(v))})
		}
		return nil
	})
	sort.Slice(gets, func(i, j int) bool { return gets[i].at < gets[j].at })
	for _, g := range gets {
		if excess <= 0 {
			break
		}
		if err := b.Delete(g.k); err != nil {
			return err
		}
		excess -= g.size
	}
	return nil
}
