package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// ViewKey names a collection as one identity sees it: the same resource
// with other selectors, or for another identity, is another view.
type ViewKey struct {
	Partition string // identity
	GVR       string // "group/version/resource"
	Namespace string // "" for all namespaces or cluster-scoped
	Labels    string // canonical label selector
	Fields    string // canonical field selector
	// Enc is the encoding the view was recorded in ("json", "protobuf"):
	// clients of each encoding keep their own copy, so that answering
	// them never needs a conversion.
	Enc string
}

// Bytes is the key's canonical encoding; views of one partition and
// resource share a prefix.
func (k ViewKey) Bytes() []byte {
	var b []byte
	for _, f := range []string{k.Partition, k.GVR, k.Namespace, k.Labels, k.Fields, k.Enc} {
		b = appendField(b, f)
	}
	return b
}

func (k ViewKey) String() string {
	return fmt.Sprintf("%s %s ns=%q labels=%q fields=%q %s", k.Partition, k.GVR, k.Namespace, k.Labels, k.Fields, k.Enc)
}

func prefixOf(fields ...string) []byte {
	var b []byte
	for _, f := range fields {
		b = appendField(b, f)
	}
	return b
}

// ViewMeta is what the store knows about a view.
type ViewMeta struct {
	Key ViewKey
	ID  uint64
	Gen uint64 // generation bucket holding the objects
	// Complete is true once a full list was recorded and every change
	// since: only then may the view answer lists and watches.
	Complete bool
	// RV is the resourceVersion the view is at.
	RV uint64
	// LogFloor: a watch from resourceVersion X can be replayed from the
	// log iff X >= LogFloor.
	LogFloor uint64
	LogCount int           // changes in the log
	ListType wire.TypeMeta // "PodList"
	ItemType wire.TypeMeta // "Pod"
	Count    int
	Updated  time.Time // last change recorded
	Used     time.Time // last served from the cache
}

// Item is one object of a view.
type Item struct {
	Key string // "namespace/name" or "name"
	RV  uint64
	Enc wire.Encoding
	Raw []byte
}

// Event is one change to a view.
type Event struct {
	Type wire.EventType // Added, Modified or Deleted
	Item Item
}

func (s *Store) viewBucket(tx *bolt.Tx, key ViewKey) (*bolt.Bucket, ViewMeta, error) {
	id := tx.Bucket(bucketViews).Get(key.Bytes())
	if id == nil {
		return nil, ViewMeta{}, nil
	}
	vb := tx.Bucket(bucketV).Bucket(id)
	if vb == nil {
		return nil, ViewMeta{}, errors.New("store: view index points nowhere")
	}
	m, err := readMeta(vb)
	return vb, m, err
}

// ensureView returns the view's bucket, creating an empty view.
func (s *Store) ensureView(tx *bolt.Tx, key ViewKey) (*bolt.Bucket, ViewMeta, error) {
	vb, m, err := s.viewBucket(tx, key)
	if err != nil || vb != nil {
		return vb, m, err
	}
	views := tx.Bucket(bucketViews)
	id, err := views.NextSequence()
	if err != nil {
		return nil, m, err
	}
	if err := views.Put(key.Bytes(), u64(id)); err != nil {
		return nil, m, err
	}
	vb, err = tx.Bucket(bucketV).CreateBucket(u64(id))
	if err != nil {
		return nil, m, err
	}
	m = ViewMeta{Key: key, ID: id, Updated: s.opts.Now()}
	return vb, m, writeMeta(vb, &m)
}

// --- snapshots: recording a full list ---

// lazyLimit is how much of a list that matches the view so far is held in
// memory before writing starts anyway.
const lazyLimit = 8 << 20

// Snapshot records a full list of a view into a new generation; Commit
// makes it the view's state. Its methods queue work and must be called
// from one goroutine.
//
// A list that repeats what the view already holds (the same objects at
// the same resourceVersions: a client listing again, an informer's
// re-list) costs no write but the view's new resourceVersion: items are
// compared with the view as they come, and only when one differs (or too
// many are held) does writing start.
type Snapshot struct {
	s      *Store
	key    ViewKey
	gen    uint64 // set by the first op, on the writer goroutine
	count  int
	stream *Stream

	lazy     bool     // everything so far matches the view
	base     ViewMeta // the view compared against
	buf      []Item   // items held while lazy
	bufBytes int
	started  bool // the new generation was requested
}

// Snapshot starts recording a list of key.
func (s *Store) Snapshot(key ViewKey) *Snapshot {
	sn := &Snapshot{s: s, key: key}
	if m, found, err := s.View(key); err == nil && found && m.Complete && m.Gen != 0 {
		sn.lazy, sn.base = true, m
	}
	return sn
}

// start asks for the new generation the list is written into.
func (sn *Snapshot) start() {
	if sn.started {
		return
	}
	sn.started = true
	sn.s.submit(func(tx *bolt.Tx) error {
		vb, _, err := sn.s.ensureView(tx, sn.key)
		if err != nil {
			return err
		}
		gen, err := vb.NextSequence()
		if err != nil {
			return err
		}
		if _, err := vb.CreateBucket(genName(gen)); err != nil {
			return err
		}
		sn.gen = gen
		return nil
	}, 0, false)
}

func (sn *Snapshot) genBucket(tx *bolt.Tx) (*bolt.Bucket, *bolt.Bucket) {
	if sn.gen == 0 {
		return nil, nil
	}
	vb, _, err := sn.s.viewBucket(tx, sn.key)
	if err != nil || vb == nil {
		return nil, nil
	}
	return vb, vb.Bucket(genName(sn.gen))
}

// matches reports whether every item is in the base generation with the
// same resourceVersion and encoding.
func (sn *Snapshot) matches(items []Item) bool {
	same := false
	_ = sn.s.db.View(func(tx *bolt.Tx) error {
		vb, m, err := sn.s.viewBucket(tx, sn.key)
		if err != nil || vb == nil || m.Gen != sn.base.Gen {
			return err
		}
		gb := vb.Bucket(genName(m.Gen))
		if gb == nil {
			return nil
		}
		for _, it := range items {
			v := gb.Get([]byte(it.Key))
			if len(v) < 9 || wire.Encoding(v[0]) != it.Enc || binary.BigEndian.Uint64(v[1:9]) != it.RV || it.RV == 0 {
				return nil
			}
		}
		same = true
		return nil
	})
	return same
}

// Add records items of the list.
func (sn *Snapshot) Add(items []Item) {
	sn.count += len(items)
	if sn.lazy {
		size := 0
		for _, it := range items {
			size += len(it.Raw)
		}
		if sn.bufBytes+size <= lazyLimit && sn.matches(items) {
			sn.buf = append(sn.buf, items...)
			sn.bufBytes += size
			return
		}
		sn.lazy = false
		sn.start()
		sn.write(sn.buf)
		sn.buf, sn.bufBytes = nil, 0
	}
	sn.start()
	sn.write(items)
}

func (sn *Snapshot) write(items []Item) {
	if len(items) == 0 {
		return
	}
	size := 0
	for _, it := range items {
		size += len(it.Raw) + len(it.Key) + 9
	}
	sn.s.submit(func(tx *bolt.Tx) error {
		_, gb := sn.genBucket(tx)
		if gb == nil {
			return nil // the view went away (collected) or setup failed
		}
		return putItems(gb, items)
	}, size, false)
}

func putItems(gb *bolt.Bucket, items []Item) error {
	for _, it := range items {
		if err := gb.Put([]byte(it.Key), encodeItem(it.Enc, it.RV, it.Raw)); err != nil {
			return err
		}
	}
	return nil
}

// Commit makes the recorded list the view's state at resourceVersion rv.
// The returned channel gets the outcome once durable.
func (sn *Snapshot) Commit(listType, itemType wire.TypeMeta, rv uint64) <-chan error {
	if !sn.lazy {
		sn.start()
	}
	lazy, buf, base := sn.lazy, sn.buf, sn.base
	return sn.s.submit(func(tx *bolt.Tx) error {
		if lazy {
			vb, m, err := sn.s.viewBucket(tx, sn.key)
			if err != nil || vb == nil {
				return err
			}
			if m.Complete && m.Gen == base.Gen && m.RV == base.RV && m.Count == sn.count {
				// The list is what the view holds: only its
				// resourceVersion moves.
				if rv > m.RV {
					m.RV = rv
				}
				m.Updated = sn.s.opts.Now()
				if sn.stream != nil {
					sn.stream.attached = true
				}
				return writeMeta(vb, &m)
			}
			// The view changed meanwhile: write the list in full, here.
			gen, err := vb.NextSequence()
			if err != nil {
				return err
			}
			gb, err := vb.CreateBucket(genName(gen))
			if err != nil {
				return err
			}
			if err := putItems(gb, buf); err != nil {
				return err
			}
			sn.gen = gen
		}
		return sn.swap(tx, listType, itemType, rv)
	}, 0, true)
}

// swap makes the new generation the view's state.
func (sn *Snapshot) swap(tx *bolt.Tx, listType, itemType wire.TypeMeta, rv uint64) error {
	vb, gb := sn.genBucket(tx)
	if gb == nil {
		return nil
	}
	m, err := readMeta(vb)
	if err != nil {
		return err
	}
	if m.Complete && rv < m.RV {
		// An older list (served from a lagging cache) must not take the
		// view back in time: streams attached to it build on its newer
		// state.
		return vb.DeleteBucket(genName(sn.gen))
	}
	if m.Gen != 0 {
		if err := vb.DeleteBucket(genName(m.Gen)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
	}
	if err := vb.DeleteBucket(bucketLog); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
		return err
	}
	if _, err := vb.CreateBucket(bucketLog); err != nil {
		return err
	}
	m.Gen, m.Complete, m.RV, m.LogFloor, m.LogCount = sn.gen, true, rv, rv, 0
	m.Count = sn.count
	if listType.Kind != "" {
		m.ListType = listType
	}
	if itemType.Kind != "" {
		m.ItemType = itemType
	}
	m.Updated = sn.s.opts.Now()
	if sn.stream != nil {
		sn.stream.attached = true
	}
	return writeMeta(vb, &m)
}

// Abort drops what was recorded.
func (sn *Snapshot) Abort() {
	sn.buf = nil
	if !sn.started {
		return
	}
	sn.s.submit(func(tx *bolt.Tx) error {
		vb, gb := sn.genBucket(tx)
		if gb == nil {
			return nil
		}
		return vb.DeleteBucket(genName(sn.gen))
	}, 0, false)
}

// Stream returns a stream of changes that follow the snapshot: it is
// attached to the view once Commit has run (watch-list: the initial
// events are the snapshot, the rest of the watch follows it). Call it
// before Commit.
func (sn *Snapshot) Stream() *Stream {
	sn.stream = &Stream{s: sn.s, key: sn.key}
	return sn.stream
}

// --- streams: recording a watch ---

// Stream records the changes of one watch of a view. Its methods only
// queue work and must be called from one goroutine.
type Stream struct {
	s        *Store
	key      ViewKey
	attached bool // touched only on the writer goroutine
}

// Watch starts recording a watch of key that starts after resourceVersion
// start. It is attached to the view only if the view is complete and
// already at or past start: then the watch brings every change after the
// view's state. A watch from further ahead means the view missed changes;
// the view is then marked incomplete until listed again.
func (s *Store) Watch(key ViewKey, start uint64) *Stream {
	st := &Stream{s: s, key: key}
	s.submit(func(tx *bolt.Tx) error {
		vb, m, err := s.viewBucket(tx, key)
		if err != nil || vb == nil || !m.Complete {
			return err
		}
		if start <= m.RV {
			st.attached = true
			return nil
		}
		s.log.Debug("edge cache: watch starts past the view; marking it incomplete", "view", key.String(), "viewRV", m.RV, "watchRV", start)
		m.Complete = false
		return writeMeta(vb, &m)
	}, 0, false)
	return st
}

// Event records one change; the channel gets the outcome once durable.
func (st *Stream) Event(ev Event) <-chan error {
	return st.s.submit(func(tx *bolt.Tx) error {
		if !st.attached {
			return nil
		}
		vb, m, err := st.s.viewBucket(tx, st.key)
		if err != nil || vb == nil {
			return err
		}
		if ev.Item.RV <= m.RV {
			return nil // already in the view
		}
		gb := vb.Bucket(genName(m.Gen))
		lb := vb.Bucket(bucketLog)
		if gb == nil || lb == nil {
			return errors.New("store: view without generation or log")
		}
		existed := gb.Get([]byte(ev.Item.Key)) != nil
		switch ev.Type {
		case wire.Deleted:
			if existed {
				if err := gb.Delete([]byte(ev.Item.Key)); err != nil {
					return err
				}
				m.Count--
			}
		default:
			if err := gb.Put([]byte(ev.Item.Key), encodeItem(ev.Item.Enc, ev.Item.RV, ev.Item.Raw)); err != nil {
				return err
			}
			if !existed {
				m.Count++
			}
		}
		if err := lb.Put(u64(ev.Item.RV), encodeEvent(ev)); err != nil {
			return err
		}
		m.LogCount++
		m.RV = ev.Item.RV
		m.Updated = st.s.opts.Now()
		if err := st.s.trimLog(lb, &m); err != nil {
			return err
		}
		return writeMeta(vb, &m)
	}, len(ev.Item.Raw)*2, true)
}

// Break records that the stream lost a change: the view cannot answer
// until it is listed again.
func (st *Stream) Break() {
	st.s.submit(func(tx *bolt.Tx) error {
		if !st.attached {
			return nil
		}
		st.attached = false
		vb, m, err := st.s.viewBucket(tx, st.key)
		if err != nil || vb == nil || !m.Complete {
			return err
		}
		m.Complete = false
		return writeMeta(vb, &m)
	}, 0, false)
}

// Bookmark records that the view is at resourceVersion rv.
func (st *Stream) Bookmark(rv uint64) <-chan error {
	return st.s.submit(func(tx *bolt.Tx) error {
		if !st.attached {
			return nil
		}
		vb, m, err := st.s.viewBucket(tx, st.key)
		if err != nil || vb == nil || rv <= m.RV {
			return err
		}
		m.RV = rv
		return writeMeta(vb, &m)
	}, 0, true)
}

func (s *Store) trimLog(lb *bolt.Bucket, m *ViewMeta) error {
	if m.LogCount <= s.opts.LogLimit {
		return nil
	}
	c := lb.Cursor()
	for k, _ := c.First(); k != nil && m.LogCount > s.opts.LogLimit; k, _ = c.First() {
		m.LogFloor = binary.BigEndian.Uint64(k)
		if err := c.Delete(); err != nil {
			return err
		}
		m.LogCount--
	}
	return nil
}

func encodeEvent(ev Event) []byte {
	b := make([]byte, 0, 4+len(ev.Item.Key)+len(ev.Item.Raw))
	var t byte
	switch ev.Type {
	case wire.Added:
		t = 'A'
	case wire.Modified:
		t = 'M'
	case wire.Deleted:
		t = 'D'
	}
	b = append(b, t, byte(ev.Item.Enc))
	b = binary.BigEndian.AppendUint16(b, uint16(len(ev.Item.Key)))
	b = append(b, ev.Item.Key...)
	return append(b, ev.Item.Raw...)
}

func decodeEvent(rv uint64, v []byte) (Event, error) {
	if len(v) < 4 {
		return Event{}, errors.New("store: short event")
	}
	var ev Event
	switch v[0] {
	case 'A':
		ev.Type = wire.Added
	case 'M':
		ev.Type = wire.Modified
	case 'D':
		ev.Type = wire.Deleted
	default:
		return ev, errors.New("store: bad event type")
	}
	n := int(binary.BigEndian.Uint16(v[2:4]))
	if len(v) < 4+n {
		return ev, errors.New("store: short event key")
	}
	ev.Item = Item{Key: string(v[4 : 4+n]), RV: rv, Enc: wire.Encoding(v[1]), Raw: bytes.Clone(v[4+n:])}
	return ev, nil
}

// --- reads ---

// View returns a view's metadata.
func (s *Store) View(key ViewKey) (ViewMeta, bool, error) {
	var m ViewMeta
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		vb, meta, err := s.viewBucket(tx, key)
		m, found = meta, vb != nil
		return err
	})
	return m, found, err
}

// ReadView copies up to max items (and about maxBytes) of generation gen of
// a view, starting after key after. It fails with ErrChanged when the view
// moved to another generation, so that a long read never mixes two lists.
func (s *Store) ReadView(key ViewKey, gen uint64, after string, max, maxBytes int) ([]Item, bool, error) {
	var items []Item
	_, more, err := s.ScanView(key, gen, after, max, maxBytes, func(k []byte, enc wire.Encoding, rv uint64, raw []byte) error {
		items = append(items, Item{Key: string(k), RV: rv, Enc: enc, Raw: bytes.Clone(raw)})
		return nil
	})
	return items, more, err
}

// ScanView is ReadView without the copies: fn sees each item's key and
// object in the store's own memory (bbolt's mmap), valid only during the
// call, inside one read transaction; it must not keep them nor block for
// long (a read transaction holds up the file's growth). It returns the
// last key seen and whether items remain.
func (s *Store) ScanView(key ViewKey, gen uint64, after string, max, maxBytes int, fn func(k []byte, enc wire.Encoding, rv uint64, raw []byte) error) (string, bool, error) {
	last, more := after, false
	err := s.db.View(func(tx *bolt.Tx) error {
		vb, m, err := s.viewBucket(tx, key)
		if err != nil {
			return err
		}
		if vb == nil || m.Gen != gen {
			return ErrChanged
		}
		gb := vb.Bucket(genName(gen))
		if gb == nil {
			return ErrChanged
		}
		c := gb.Cursor()
		var k, v []byte
		if after == "" {
			k, v = c.First()
		} else {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		n, size := 0, 0
		var lastKey []byte
		for ; k != nil; k, v = c.Next() {
			if n >= max || size >= maxBytes {
				more = true
				break
			}
			enc, rv, raw, err := decodeItem(v)
			if err != nil {
				return err
			}
			if err := fn(k, enc, rv, raw); err != nil {
				return err
			}
			lastKey = k
			n++
			size += len(raw)
		}
		if lastKey != nil {
			last = string(lastKey)
		}
		return nil
	})
	return last, more, err
}

// ErrChanged means a view changed under a multi-part read.
var ErrChanged = errors.New("store: view changed during read")

// ReadLog copies up to max changes of a view after resourceVersion after.
func (s *Store) ReadLog(key ViewKey, after uint64, max int) ([]Event, error) {
	var evs []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		vb, _, err := s.viewBucket(tx, key)
		if err != nil || vb == nil {
			return err
		}
		lb := vb.Bucket(bucketLog)
		if lb == nil {
			return nil
		}
		c := lb.Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(evs) < max; k, v = c.Next() {
			ev, err := decodeEvent(binary.BigEndian.Uint64(k), v)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	return evs, err
}

// ViewsOf lists the views of a partition and resource.
func (s *Store) ViewsOf(partition, gvr string) ([]ViewMeta, error) {
	var out []ViewMeta
	prefix := prefixOf(partition, gvr)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketViews).Cursor()
		for k, id := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, id = c.Next() {
			vb := tx.Bucket(bucketV).Bucket(id)
			if vb == nil {
				continue
			}
			m, err := readMeta(vb)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// AllViews lists every view.
func (s *Store) AllViews() ([]ViewMeta, error) {
	var out []ViewMeta
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketV).ForEachBucket(func(id []byte) error {
			m, err := readMeta(tx.Bucket(bucketV).Bucket(id))
			if err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// Lookup finds one object of a view by key.
func (s *Store) Lookup(key ViewKey, objKey string) (Item, ViewMeta, bool, error) {
	var it Item
	var m ViewMeta
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		vb, meta, err := s.viewBucket(tx, key)
		if err != nil || vb == nil {
			return err
		}
		m = meta
		gb := vb.Bucket(genName(meta.Gen))
		if gb == nil {
			return nil
		}
		v := gb.Get([]byte(objKey))
		if v == nil {
			return nil
		}
		enc, rv, raw, err := decodeItem(v)
		if err != nil {
			return err
		}
		it, found = Item{Key: objKey, RV: rv, Enc: enc, Raw: bytes.Clone(raw)}, true
		return nil
	})
	return it, m, found, err
}

// Touch notes that a view was served from the cache (for eviction).
func (s *Store) Touch(id uint64) {
	s.mu.Lock()
	s.used[id] = s.opts.Now()
	s.mu.Unlock()
}
