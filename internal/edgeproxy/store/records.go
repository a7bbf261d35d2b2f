package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// --- objects read by name ---

func getKey(partition, gvr, ns, name string) []byte {
	return prefixOf(partition, gvr, ns, name)
}

// PutObject records an object a client read by name. It is queued, not
// waited for.
func (s *Store) PutObject(partition, gvr, ns, name string, obj wire.Object, rv uint64) {
	var v []byte
	v = append(v, byte(obj.Enc))
	v = binary.BigEndian.AppendUint64(v, rv)
	v = binary.BigEndian.AppendUint64(v, uint64(s.opts.Now().UnixNano()))
	v = appendField(v, obj.Type.APIVersion)
	v = appendField(v, obj.Type.Kind)
	v = append(v, obj.Raw...)
	k := getKey(partition, gvr, ns, name)
	// A client reading the same version again (polling) costs no write.
	fresh := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		old := tx.Bucket(bucketGets).Get(k)
		fresh = old != nil && len(old) >= 9 && old[0] == byte(obj.Enc) && binary.BigEndian.Uint64(old[1:9]) == rv && rv != 0
		return nil
	})
	if fresh {
		return
	}
	s.submit(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketGets)
		if old := b.Get(k); old != nil && len(old) >= 9 && binary.BigEndian.Uint64(old[1:9]) > rv {
			return nil // keep the newer one
		}
		return b.Put(k, v)
	}, len(v), false)
}

// DeleteObject forgets an object read by name (the API server said it is
// gone).
func (s *Store) DeleteObject(partition, gvr, ns, name string) {
	k := getKey(partition, gvr, ns, name)
	s.submit(func(tx *bolt.Tx) error { return tx.Bucket(bucketGets).Delete(k) }, 0, false)
}

// Object returns an object recorded by PutObject.
func (s *Store) Object(partition, gvr, ns, name string) (wire.Object, uint64, bool, error) {
	var obj wire.Object
	var rv uint64
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketGets).Get(getKey(partition, gvr, ns, name))
		if v == nil {
			return nil
		}
		if len(v) < 17 {
			return errors.New("store: short object record")
		}
		obj.Enc = wire.Encoding(v[0])
		rv = binary.BigEndian.Uint64(v[1:9])
		rest := v[17:]
		var av, kind string
		var ok bool
		if av, rest, ok = readField(rest); !ok {
			return errors.New("store: bad object record")
		}
		if kind, rest, ok = readField(rest); !ok {
			return errors.New("store: bad object record")
		}
		obj.Type = wire.TypeMeta{APIVersion: av, Kind: kind}
		obj.Raw = bytes.Clone(rest)
		found = true
		return nil
	})
	return obj, rv, found, err
}

func readField(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// --- small records ---

// Record is a small value kept under a name, with an expiry.
type Record struct {
	Value   []byte
	Expires time.Time // zero: kept until unused for the TTL
	Updated time.Time
}

// PutRecord stores a record in bucket; wait tells whether to wait for it
// to be durable.
func (s *Store) PutRecord(bucket, key string, r Record, wait bool) <-chan error {
	v := make([]byte, 0, 16+len(r.Value))
	var exp int64
	if !r.Expires.IsZero() {
		exp = r.Expires.UnixNano()
	}
	v = binary.BigEndian.AppendUint64(v, uint64(exp))
	v = binary.BigEndian.AppendUint64(v, uint64(s.opts.Now().UnixNano()))
	v = append(v, r.Value...)
	return s.submit(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketKV).CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	}, len(v), wait)
}

// GetRecord reads a record; expired records are not returned.
func (s *Store) GetRecord(bucket, key string) (Record, bool, error) {
	var r Record
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		var err error
		r, err = decodeRecord(v)
		if err != nil {
			return err
		}
		found = r.Expires.IsZero() || s.opts.Now().Before(r.Expires)
		return nil
	})
	return r, found, err
}

// ForEachRecord calls fn for every unexpired record of bucket.
func (s *Store) ForEachRecord(bucket string, fn func(key string, r Record) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		now := s.opts.Now()
		return b.ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			if !r.Expires.IsZero() && !now.Before(r.Expires) {
				return nil
			}
			return fn(string(k), r)
		})
	})
}

func decodeRecord(v []byte) (Record, error) {
	if len(v) < 16 {
		return Record{}, errors.New("store: short record")
	}
	var r Record
	if exp := int64(binary.BigEndian.Uint64(v[:8])); exp != 0 {
		r.Expires = time.Unix(0, exp)
	}
	r.Updated = time.Unix(0, int64(binary.BigEndian.Uint64(v[8:16])))
	r.Value = bytes.Clone(v[16:])
	return r, nil
}
