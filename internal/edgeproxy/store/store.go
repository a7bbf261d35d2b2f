// Package store is the edge proxy's durable cache: a bbolt database that
// keeps, per identity, the collections ("views") clients listed and
// watched, the changes seen on them, the objects they got by name, and a
// few small records (tokens, discovery documents).
//
// Layout (all keys binary, length-prefixed where composite):
//
//	views   canonical view key            -> view id (8 bytes)
//	v       view id -> bucket {
//	            "m"      view metadata (JSON)
//	            g<gen>   object key ("ns/name") -> [enc][rv:8][bytes]
//	            log      rv:8 -> [type][enc][keylen:2][key][bytes]
//	        }
//	gets    partition|gvr|ns|name         -> [enc][rv:8][apiVersion][kind][bytes]
//	kv      bucket name -> key -> value   small records of the proxy
//
// A view's objects live in generation buckets: a new list is written into a
// fresh generation item by item, and only the commit flips the view to it,
// so a list larger than memory is never held whole and a crash mid-list
// leaves the previous state intact. Every change goes through one writer
// goroutine, in the order the proxy saw it, and is committed in batches
// (bbolt fsyncs each commit).
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

var (
	bucketViews = []byte("views")
	bucketV     = []byte("v")
	bucketGets  = []byte("gets")
	bucketKV    = []byte("kv")
	bucketMeta  = []byte("meta")
	keyMeta     = []byte("m")
	bucketLog   = []byte("log")
	keyFormat   = []byte("format")
)

const formatVersion = "2"

// ErrClosed is returned by operations after Close.
var ErrClosed = errors.New("store: closed")

// Options tune a store.
type Options struct {
	// MaxBytes caps the data kept; least recently used views are evicted
	// beyond it (0: no cap).
	MaxBytes int64
	// LogLimit is how many changes are kept per view for watch replay
	// (default 1000). A watch from before the oldest kept change is told
	// to list again (410 Gone), as the API server does.
	LogLimit int
	// TTL drops views, objects and records unused for that long
	// (default 7 days).
	TTL time.Duration
	// GCInterval is how often the cap and TTL are enforced (default 1m).
	GCInterval time.Duration
	// NoSync skips fsync on commit: for tests and benchmarks only.
	NoSync bool
	// Now is the clock (tests).
	Now func() time.Time
}

func (o *Options) complete() {
	if o.LogLimit <= 0 {
		o.LogLimit = 1000
	}
	if o.TTL <= 0 {
		o.TTL = 7 * 24 * time.Hour
	}
	if o.GCInterval <= 0 {
		o.GCInterval = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Store is the durable cache.
type Store struct {
	db   *bolt.DB
	opts Options
	log  *slog.Logger

	ops    chan *op
	queued queue // bytes in ops not committed yet
	quit   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	closed   bool
	used     map[uint64]time.Time // view id -> last read, persisted by GC
	stats    Stats
	onChange func(Stats)
}

// Stats describe the store.
type Stats struct {
	Views       int
	Bytes       int64 // data in use
	FileBytes   int64 // file size, free pages included
	Evictions   int64
	WriteErrors int64
}

type op struct {
	fn      func(tx *bolt.Tx) error
	done    chan error // nil: nobody waits
	size    int
	collect bool // run a collection instead of fn
}

// Open opens or creates the store at path.
func Open(path string, opts Options, log *slog.Logger) (*Store, error) {
	opts.complete()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, NoSync: opts.NoSync, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("opening edge cache %s: %w", path, err)
	}
	s := &Store{db: db, opts: opts, log: log, ops: make(chan *op, 1024), quit: make(chan struct{}), done: make(chan struct{}), used: map[uint64]time.Time{}}
	if err := db.Update(s.initTx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening edge cache %s: %w", path, err)
	}
	s.refreshStats()
	go s.writer()
	return s, nil
}

// initTx creates the buckets, checks the format, and drops generations a
// crash left behind (lists that were being written).
func (s *Store) initTx(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketViews, bucketV, bucketGets, bucketKV, bucketMeta} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if f := meta.Get(keyFormat); f != nil && string(f) != formatVersion {
		return fmt.Errorf("cache format %q, this binary reads %q (delete the file to start afresh)", f, formatVersion)
	}
	if err := meta.Put(keyFormat, []byte(formatVersion)); err != nil {
		return err
	}
	v := tx.Bucket(bucketV)
	return v.ForEachBucket(func(id []byte) error {
		vb := v.Bucket(id)
		m, err := readMeta(vb)
		if err != nil {
			return err
		}
		var stale [][]byte
		_ = vb.ForEachBucket(func(name []byte) error {
			if name[0] == 'g' && !bytes.Equal(name, genName(m.Gen)) {
				stale = append(stale, bytes.Clone(name))
			}
			return nil
		})
		for _, name := range stale {
			if err := vb.DeleteBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close stops the writer after the queued changes and closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	s.persistUsed()
	return s.db.Close()
}

// OnStats registers a function called with fresh stats after each batch of
// writes and each collection.
func (s *Store) OnStats(fn func(Stats)) {
	s.mu.Lock()
	s.onChange = fn
	s.mu.Unlock()
	s.refreshStats()
}

// Stats returns the latest stats.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Path is the database file.
func (s *Store) Path() string { return s.db.Path() }

// submit queues fn; the returned channel, if wait, gets its outcome once
// committed.
func (s *Store) submit(fn func(tx *bolt.Tx) error, size int, wait bool) <-chan error {
	o := &op{fn: fn, size: size}
	if wait {
		o.done = make(chan error, 1)
	}
	if size > 0 && !s.queued.reserve(size, s.quit) {
		if o.done != nil {
			o.done <- ErrClosed
		}
		return o.done
	}
	select {
	case s.ops <- o:
	case <-s.quit:
		if o.done != nil {
			o.done <- ErrClosed
		}
	}
	return o.done
}

// Barrier returns a channel that gets nil once everything queued before it
// is committed.
func (s *Store) Barrier() <-chan error {
	return s.submit(func(*bolt.Tx) error { return nil }, 0, true)
}

const (
	maxBatchOps   = 512
	maxBatchBytes = 8 << 20
)

func (s *Store) writer() {
	defer close(s.done)
	gc := time.NewTicker(s.opts.GCInterval)
	defer gc.Stop()
	for {
		var first *op
		select {
		case first = <-s.ops:
			if first.collect {
				s.collect()
				first.done <- nil
				continue
			}
		case <-gc.C:
			s.collect()
			continue
		case <-s.quit:
			// Commit what is queued, then stop.
			var rest []*op
			for {
				select {
				case o := <-s.ops:
					if o.collect {
						o.done <- nil
						continue
					}
					rest = append(rest, o)
				default:
					if len(rest) > 0 {
						s.commit(rest)
					}
					return
				}
			}
		}
		batch, size := []*op{first}, first.size
		var collect *op
	drain:
		for len(batch) < maxBatchOps && size < maxBatchBytes {
			select {
			case o := <-s.ops:
				if o.collect {
					collect = o
					break drain
				}
				batch = append(batch, o)
				size += o.size
			default:
				break drain
			}
		}
		s.commit(batch)
		if collect != nil {
			s.collect()
			collect.done <- nil
		}
	}
}

func (s *Store) commit(batch []*op) {
	errs := make([]error, len(batch))
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, o := range batch {
			errs[i] = o.fn(tx)
		}
		return nil
	})
	// The bytes are released before anyone hears of the commit, so a
	// caller that waited for it sees them gone from the budget.
	size := 0
	for _, o := range batch {
		size += o.size
	}
	s.queued.release(size)
	for i, o := range batch {
		e := errs[i]
		if err != nil {
			e = err
		}
		if e != nil {
			s.mu.Lock()
			s.stats.WriteErrors++
			s.mu.Unlock()
			s.log.Warn("edge cache write failed", "err", e)
		}
		if o.done != nil {
			o.done <- e
		}
	}
	s.refreshStats()
}

func (s *Store) refreshStats() {
	var st Stats
	_ = s.db.View(func(tx *bolt.Tx) error {
		st.FileBytes = tx.Size()
		st.Views = tx.Bucket(bucketViews).Stats().KeyN
		return nil
	})
	dbs := s.db.Stats()
	st.Bytes = st.FileBytes - int64(dbs.FreeAlloc)
	s.mu.Lock()
	st.Evictions, st.WriteErrors = s.stats.Evictions, s.stats.WriteErrors
	s.stats = st
	fn := s.onChange
	s.mu.Unlock()
	if fn != nil {
		fn(st)
	}
}

// --- encoding helpers ---

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func genName(gen uint64) []byte { return append([]byte{'g'}, u64(gen)...) }

// appendField appends a length-prefixed field.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeItem(enc wire.Encoding, rv uint64, raw []byte) []byte {
	b := make([]byte, 0, 9+len(raw))
	b = append(b, byte(enc))
	b = binary.BigEndian.AppendUint64(b, rv)
	return append(b, raw...)
}

func decodeItem(v []byte) (wire.Encoding, uint64, []byte, error) {
	if len(v) < 9 {
		return 0, 0, nil, errors.New("store: short item")
	}
	return wire.Encoding(v[0]), binary.BigEndian.Uint64(v[1:9]), v[9:], nil
}

func readMeta(vb *bolt.Bucket) (ViewMeta, error) {
	var m ViewMeta
	raw := vb.Get(keyMeta)
	if raw == nil {
		return m, errors.New("store: view without metadata")
	}
	return m, json.Unmarshal(raw, &m)
}

func writeMeta(vb *bolt.Bucket, m *ViewMeta) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return vb.Put(keyMeta, raw)
}
