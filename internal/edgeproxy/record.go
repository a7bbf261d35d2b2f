package edgeproxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/internal/edgeproxy/apireq"
	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// viewKey is the cache view a list or watch request reads, in encoding
// enc.
func viewKey(rs *request, enc wire.Encoding) store.ViewKey {
	return store.ViewKey{
		Partition: rs.id.partition, GVR: rs.info.GVR(), Namespace: rs.info.Namespace,
		Labels: rs.info.LabelSelector, Fields: rs.info.FieldSelector, Enc: enc.String(),
	}
}

// modifyResponse decides how a response from the cloud is recorded.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	rs := reqState(resp.Request)
	if resp.StatusCode == http.StatusSwitchingProtocols {
		p.metrics.request(rs, "cloud", resp.StatusCode)
		return nil
	}
	enc := wire.EncodingOf(resp.Header.Get("Content-Type"))
	gz := false
	switch ce := resp.Header.Get("Content-Encoding"); ce {
	case "":
	case "gzip":
		gz = true
	default:
		enc = wire.Unknown // not recorded
	}
	ok := resp.StatusCode == http.StatusOK && rs.cached && enc != wire.Unknown
	inflated := func(done func([]byte)) func([]byte) {
		if !gz {
			return done
		}
		return func(b []byte) {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return
			}
			if plain, err := io.ReadAll(io.LimitReader(zr, wire.MaxObjectSize)); err == nil {
				done(plain)
			}
		}
	}
	switch {
	case rs.watch:
		resp.Body = p.newWatchBody(resp.Request.Context(), rs, resp, enc, ok)
		p.metrics.request(rs, "cloud", resp.StatusCode)
		return nil
	case ok && rs.info.Verb == apireq.VerbGet:
		resp.Body = &getBody{rc: resp.Body, done: func(b []byte) { go inflated(func(b []byte) { p.recordGet(rs, enc, b) })(b) }}
	case ok && rs.info.Verb == apireq.VerbList:
		resp.Body = p.newListBody(rs, resp.Body, enc, gz)
	case resp.StatusCode == http.StatusNotFound && rs.cached && rs.info.Verb == apireq.VerbGet:
		p.store.DeleteObject(rs.id.partition, rs.info.GVR(), rs.info.Namespace, rs.info.Name)
	case (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated) && rs.recordWrite && enc != wire.Unknown:
		resp.Body = &getBody{rc: resp.Body, done: func(b []byte) { go inflated(func(b []byte) { p.recordWritten(rs, enc, b) })(b) }}
	case resp.StatusCode == http.StatusCreated && rs.tokenKey != "" && enc != wire.Unknown:
		key := rs.tokenKey
		resp.Body = &getBody{rc: resp.Body, done: inflated(func(b []byte) { p.recordTokenRequest(key, enc, b) })}
	case resp.StatusCode == http.StatusOK && rs.rawKey != "":
		ct, key := resp.Header.Get("Content-Type"), rs.rawKey
		resp.Body = &getBody{rc: resp.Body, done: inflated(func(b []byte) { p.recordRaw(key, ct, b) })}
	}
	resp.Body = &observedBody{rc: resp.Body, done: func() { p.metrics.request(rs, "cloud", resp.StatusCode) }}
	return nil
}

// observedBody reports when a response has been sent.
type observedBody struct {
	rc   io.ReadCloser
	done func()
	once sync.Once
}

func (o *observedBody) Read(p []byte) (int, error) {
	n, err := o.rc.Read(p)
	if err != nil {
		o.once.Do(o.done)
	}
	return n, err
}

func (o *observedBody) Close() error {
	o.once.Do(o.done)
	return o.rc.Close()
}

// --- get ---

type getBody struct {
	rc     io.ReadCloser
	buf    bytes.Buffer
	failed bool
	done   func([]byte)
}

func (g *getBody) Read(p []byte) (int, error) {
	n, err := g.rc.Read(p)
	if n > 0 && !g.failed {
		if g.buf.Len()+n > wire.MaxObjectSize {
			g.failed = true
		} else {
			g.buf.Write(p[:n])
		}
	}
	if err == io.EOF && !g.failed {
		g.failed = true // once
		g.done(g.buf.Bytes())
	}
	return n, err
}

func (g *getBody) Close() error { return g.rc.Close() }

func (p *Proxy) recordGet(rs *request, enc wire.Encoding, body []byte) {
	obj, meta, err := decodeObject(enc, body)
	if err != nil {
		p.recordFailed("get", err)
		return
	}
	rv, _ := wire.RV(meta.ResourceVersion)
	p.store.PutObject(rs.id.partition, rs.info.GVR(), rs.info.Namespace, rs.info.Name, obj, rv)
}

// recordWritten records the object a write returned.
func (p *Proxy) recordWritten(rs *request, enc wire.Encoding, body []byte) {
	obj, meta, err := decodeObject(enc, body)
	if err != nil || meta.Name == "" {
		return // e.g. a Status
	}
	rv, _ := wire.RV(meta.ResourceVersion)
	ns := rs.info.Namespace
	if rs.info.ResourceName == "namespaces" {
		ns = ""
	}
	p.store.PutObject(rs.id.partition, rs.info.GVR(), ns, meta.Name, obj, rv)
}

// decodeObject reads a single-object response.
func decodeObject(enc wire.Encoding, body []byte) (wire.Object, wire.Meta, error) {
	var obj wire.Object
	var meta wire.Meta
	var err error
	obj.Enc = enc
	switch enc {
	case wire.Protobuf:
		if obj.Type, obj.Raw, err = wire.ParseEnvelope(body); err == nil {
			meta, err = wire.ProtoMeta(obj.Raw)
		}
	case wire.JSON:
		obj.Raw = body
		obj.Type, meta, err = wire.JSONMeta(body)
	default:
		err = errors.New("unknown encoding")
	}
	return obj, meta, err
}

func (p *Proxy) recordFailed(what string, err error) {
	p.metrics.recordErrors.WithLabelValues(what).Inc()
	p.log.Debug("edge cache: response not recorded", "verb", what, "err", err)
}

// --- lists ---

// pending tracks lists being recorded, per view, so that a watch that
// follows a list is recorded after it (the list is parsed and written
// while the client already reads it).
type pending struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
}

func (pd *pending) add(key store.ViewKey) func() {
	ch := make(chan struct{})
	k := string(key.Bytes())
	pd.mu.Lock()
	if pd.m == nil {
		pd.m = map[string][]chan struct{}{}
	}
	pd.m[k] = append(pd.m[k], ch)
	pd.mu.Unlock()
	return func() {
		pd.mu.Lock()
		list := pd.m[k]
		for i, c := range list {
			if c == ch {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(pd.m, k)
		} else {
			pd.m[k] = list
		}
		pd.mu.Unlock()
		close(ch)
	}
}

// wait waits for the lists of key being recorded now.
func (pd *pending) wait(ctx context.Context, key store.ViewKey) {
	pd.mu.Lock()
	list := append([]chan struct{}(nil), pd.m[string(key.Bytes())]...)
	pd.mu.Unlock()
	for _, ch := range list {
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// listBody passes a list through to the client while a parser goroutine
// records it; chunks are copied to the parser through a bounded queue, so
// the client is never held up by parsing unless the parser falls far
// behind.
type listBody struct {
	rc      io.ReadCloser
	ch      chan []byte
	stop    chan struct{} // closed when the parser gives up
	closed  bool
	aborted atomic.Bool
}

func (p *Proxy) newListBody(rs *request, rc io.ReadCloser, enc wire.Encoding, gz bool) io.ReadCloser {
	key := viewKey(rs, enc)
	var sn *store.Snapshot
	if rs.info.Continue != "" {
		if sn = p.pages.take(key, rs.info.Continue); sn == nil {
			return rc // the first page was not recorded
		}
	}
	lb := &listBody{rc: rc, ch: make(chan []byte, 64), stop: make(chan struct{})}
	done := p.pending.add(key)
	go func() {
		defer done()
		defer close(lb.stop)
		var r io.Reader = &chanReader{ch: lb.ch, aborted: &lb.aborted}
		if gz {
			zr, err := gzip.NewReader(r)
			if err != nil {
				_, _ = io.Copy(io.Discard, r)
				if sn != nil {
					sn.Abort()
				}
				return
			}
			r = zr
		}
		p.recordList(rs, key, sn, enc, r)
	}()
	return lb
}

func (l *listBody) Read(p []byte) (int, error) {
	n, err := l.rc.Read(p)
	if n > 0 && !l.closed {
		chunk := append([]byte(nil), p[:n]...)
		select {
		case l.ch <- chunk:
		case <-l.stop:
			l.closed = true
		}
	}
	if err != nil && !l.closed {
		if err != io.EOF {
			l.aborted.Store(true)
		}
		l.closed = true
		close(l.ch)
	}
	return n, err
}

func (l *listBody) Close() error {
	if !l.closed {
		l.aborted.Store(true)
		l.closed = true
		close(l.ch)
	}
	return l.rc.Close()
}

type chanReader struct {
	ch      chan []byte
	cur     []byte
	aborted *atomic.Bool
}

var errAborted = errors.New("response aborted")

func (c *chanReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		b, ok := <-c.ch
		if !ok {
			if c.aborted.Load() {
				return 0, errAborted
			}
			return 0, io.EOF
		}
		c.cur = b
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

const (
	batchItems = 256
	batchBytes = 1 << 20
)

// listSink records the items of a list (of one or more pages) into a
// snapshot of a view.
type listSink struct {
	p        *Proxy
	key      store.ViewKey
	sn       *store.Snapshot
	enc      wire.Encoding
	head     wire.ListHead
	itemType wire.TypeMeta
	batch    []store.Item
	size     int
}

func (s *listSink) flush() {
	if len(s.batch) > 0 {
		s.sn.Add(s.batch)
		s.batch, s.size = nil, 0
	}
}

// read parses one page from r.
func (s *listSink) read(r io.Reader) error {
	visitor := wire.ListVisitor{
		Head: func(h wire.ListHead) error {
			s.head = h
			s.itemType = wire.TypeMeta{APIVersion: h.Type.APIVersion, Kind: strings.TrimSuffix(h.Type.Kind, "List")}
			if s.sn == nil {
				s.sn = s.p.store.Snapshot(s.key)
			}
			return nil
		},
		Item: func(raw []byte) error {
			var meta wire.Meta
			var err error
			if s.enc == wire.Protobuf {
				meta, err = wire.ProtoMeta(raw)
			} else {
				var tm wire.TypeMeta
				tm, meta, err = wire.JSONMeta(raw)
				if err == nil && tm.Kind == "" {
					raw = wire.WithTypeMeta(raw, s.itemType)
				}
			}
			if err != nil {
				return err
			}
			rv, _ := wire.RV(meta.ResourceVersion)
			s.batch = append(s.batch, store.Item{Key: meta.Key(), RV: rv, Enc: s.enc, Raw: raw})
			s.size += len(raw)
			if len(s.batch) >= batchItems || s.size >= batchBytes {
				s.flush()
			}
			return nil
		},
	}
	var err error
	if s.enc == wire.Protobuf {
		err = wire.ReadProtoList(r, visitor)
	} else {
		err = wire.ReadJSONList(r, visitor)
	}
	if _, ok := wire.RV(s.head.ResourceVersion); err == nil && !ok {
		err = errors.New("list without a numeric resourceVersion")
	}
	if err == nil {
		s.flush()
	}
	return err
}

func (s *listSink) abort() {
	if s.sn != nil {
		s.sn.Abort()
	}
}

// commit makes the recorded list the view's state.
func (s *listSink) commit() <-chan error {
	rv, _ := wire.RV(s.head.ResourceVersion)
	return s.sn.Commit(s.head.Type, s.itemType, rv)
}

// recordList parses a list response and records it as the view's new
// state (or one page of it).
func (p *Proxy) recordList(rs *request, key store.ViewKey, sn *store.Snapshot, enc wire.Encoding, r io.Reader) {
	s := &listSink{p: p, key: key, sn: sn, enc: enc}
	if err := s.read(r); err != nil {
		s.abort()
		// Drain what the client still reads, so it is not held up.
		_, _ = io.Copy(io.Discard, r)
		if !errors.Is(err, errAborted) {
			p.recordFailed("list", err)
		}
		return
	}
	if s.head.Continue != "" {
		p.pages.put(key, s.head.Continue, s.sn)
		return
	}
	ch := s.commit()
	go func() {
		if err := <-ch; err != nil {
			p.recordFailed("list", err)
		}
	}()
}

// pagedLists keeps the snapshots of lists read in pages (limit/continue)
// between their requests.
type pagedLists struct {
	mu sync.Mutex
	m  map[string]*pagedList
}

type pagedList struct {
	sn *store.Snapshot
	at time.Time
}

func (pl *pagedLists) put(key store.ViewKey, cont string, sn *store.Snapshot) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if len(pl.m) > 1000 {
		sn.Abort()
		return
	}
	pl.m[string(key.Bytes())+"\x00"+cont] = &pagedList{sn: sn, at: time.Now()}
}

func (pl *pagedLists) take(key store.ViewKey, cont string) *store.Snapshot {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	k := string(key.Bytes()) + "\x00" + cont
	e := pl.m[k]
	if e == nil {
		return nil
	}
	delete(pl.m, k)
	return e.sn
}

// expire drops lists whose next page never came.
func (pl *pagedLists) expire(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pl.mu.Lock()
		for k, e := range pl.m {
			if time.Since(e.at) > 2*time.Minute {
				e.sn.Abort()
				delete(pl.m, k)
			}
		}
		pl.mu.Unlock()
	}
}

// watchRecording records the events of one watch.
type watchRecording struct {
	p        *Proxy
	ctx      context.Context
	key      store.ViewKey
	sn       *store.Snapshot // watch-list: its initial events are a list
	st       *store.Stream
	initial  bool
	batch    []store.Item
	itemType wire.TypeMeta
	stopped  bool
	release  func()
}

func (p *Proxy) newWatchRecording(ctx context.Context, rs *request, enc wire.Encoding) *watchRecording {
	key := viewKey(rs, enc)
	r := &watchRecording{p: p, ctx: ctx, key: key, release: p.active.add(key)}
	if si := rs.info.SendInitialEvents; si != nil && *si {
		r.sn = p.store.Snapshot(key)
		r.st = r.sn.Stream()
		r.initial = true
		return r
	}
	rv, ok := wire.RV(rs.info.ResourceVersion)
	if !ok || rv == 0 {
		// A watch from "now" or from "any" starts with the current objects
		// as additions, with no mark of where they end: not a list we can
		// record, nor changes after a known state.
		r.release()
		return nil
	}
	p.pending.wait(ctx, key)
	r.st = p.store.Watch(key, rv)
	return r
}

func (r *watchRecording) handle(enc wire.Encoding, typ wire.EventType, obj wire.Object, meta wire.Meta, err error) {
	if r.stopped {
		return
	}
	if err != nil {
		r.fail(err)
		return
	}
	if typ == wire.Error {
		r.stop()
		return
	}
	rv, ok := wire.RV(meta.ResourceVersion)
	if !ok {
		r.fail(errors.New("event without a numeric resourceVersion"))
		return
	}
	if r.itemType.Kind == "" && obj.Type.Kind != "" {
		r.itemType = obj.Type
	}
	if r.initial {
		switch {
		case typ == wire.Added:
			r.batch = append(r.batch, store.Item{Key: meta.Key(), RV: rv, Enc: enc, Raw: obj.Raw})
			if len(r.batch) >= batchItems {
				r.sn.Add(r.batch)
				r.batch = nil
			}
		case typ == wire.Bookmark && meta.InitialEventsEnd:
			if len(r.batch) > 0 {
				r.sn.Add(r.batch)
				r.batch = nil
			}
			listType := wire.TypeMeta{APIVersion: r.itemType.APIVersion, Kind: r.itemType.Kind + "List"}
			r.wait(r.sn.Commit(listType, r.itemType, rv))
			r.initial = false
		case typ == wire.Bookmark:
		default:
			r.fail(errors.New("unexpected " + string(typ) + " among initial events"))
		}
		return
	}
	switch typ {
	case wire.Bookmark:
		r.wait(r.st.Bookmark(rv))
	case wire.Added, wire.Modified, wire.Deleted:
		r.wait(r.st.Event(store.Event{Type: typ, Item: store.Item{Key: meta.Key(), RV: rv, Enc: enc, Raw: obj.Raw}}))
	}
}

// wait waits until a change is durable.
func (r *watchRecording) wait(ch <-chan error) {
	select {
	case err := <-ch:
		if err != nil {
			r.fail(err)
		}
	case <-r.ctx.Done():
	}
}

func (r *watchRecording) fail(err error) {
	r.p.recordFailed("watch", err)
	if r.st != nil && !r.initial {
		// A change the view did not get: it cannot answer for this
		// collection again until it is listed afresh.
		r.st.Break()
	}
	r.stop()
}

func (r *watchRecording) stop() {
	if r.initial && r.sn != nil {
		r.sn.Abort()
	}
	r.stopped = true
	r.release()
}

func (r *watchRecording) end() {
	if !r.stopped {
		r.stop()
	}
}

// decodeEvent reads a watch frame.
func decodeEvent(enc wire.Encoding, frame []byte) (wire.EventType, wire.Object, wire.Meta, error) {
	var obj wire.Object
	var meta wire.Meta
	var typ wire.EventType
	var err error
	obj.Enc = enc
	switch enc {
	case wire.Protobuf:
		typ, obj.Type, obj.Raw, err = wire.ParseProtoEvent(frame)
		if err == nil {
			meta, err = wire.ProtoMeta(obj.Raw)
		}
	case wire.JSON:
		typ, obj.Raw, err = wire.ParseJSONEvent(frame)
		if err == nil {
			if typ == wire.Bookmark {
				meta, err = wire.JSONBookmarkMeta(obj.Raw)
				if err == nil {
					obj.Type, _, err = wire.JSONMeta(obj.Raw)
				}
			} else if typ != wire.Error {
				obj.Type, meta, err = wire.JSONMeta(obj.Raw)
			}
		}
	default:
		err = errors.New("unknown encoding")
	}
	return typ, obj, meta, err
}
