package edgeproxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/edgeproxy/apireq"
	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// serveOffline answers a request from the cache: the cloud is unreachable.
func (p *Proxy) serveOffline(w http.ResponseWriter, r *http.Request, rs *request) {
	info := &rs.info
	if !info.Resource {
		p.serveNonResource(w, r, rs)
		return
	}
	if rs.id.partition == "" {
		p.fail(w, r, rs, http.StatusServiceUnavailable,
			"the cloud API server is unreachable and the edge proxy never saw this credential verified, so it serves it nothing from its cache")
		return
	}
	if info.IsWrite() {
		p.offlineWrite(w, r, rs)
		return
	}
	if r.Method != http.MethodGet || !info.Cacheable() || impersonating(r.Header) {
		p.fail(w, r, rs, http.StatusServiceUnavailable, "the cloud API server is unreachable and this request cannot be answered from the edge cache")
		return
	}
	switch info.Verb {
	case apireq.VerbGet:
		p.serveGet(w, r, rs)
	case apireq.VerbList:
		p.serveList(w, r, rs)
	case apireq.VerbWatch:
		p.serveWatch(w, r, rs)
	}
}

func (p *Proxy) miss(w http.ResponseWriter, r *http.Request, rs *request, what string) {
	p.metrics.misses.WithLabelValues(rs.info.Verb).Inc()
	p.fail(w, r, rs, http.StatusServiceUnavailable, fmt.Sprintf(
		"the cloud API server is unreachable and the edge cache holds no %s for %s (this identity never read it while online)", what, describe(&rs.info)))
}

func describe(info *apireq.Info) string {
	s := info.ResourceName
	if info.Group != "" {
		s += "." + info.Group
	}
	if info.Namespace != "" {
		s += " in namespace " + info.Namespace
	}
	if info.Name != "" {
		s += " named " + info.Name
	}
	if info.LabelSelector != "" {
		s += " with labels " + info.LabelSelector
	}
	if info.FieldSelector != "" {
		s += " with fields " + info.FieldSelector
	}
	return s
}

// writeStatus answers with a Status object.
func (p *Proxy) writeStatus(w http.ResponseWriter, rs *request, st *metav1.Status) {
	body := wire.EncodeObject(wire.StatusObject(wire.JSON, st))
	h := w.Header()
	h.Set("Content-Type", wire.MediaJSON)
	h.Set("Cache-Control", "no-cache, private")
	if st.Code == http.StatusServiceUnavailable && st.Details != nil && st.Details.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(int(st.Details.RetryAfterSeconds)))
	}
	w.WriteHeader(int(st.Code))
	_, _ = w.Write(body)
}

// CacheHeader marks responses the proxy answered from its cache.
const CacheHeader = "X-Outpost-Edge-Cache"

// hit counts a request answered from the cache and marks its response
// (call it before the headers are written).
func (p *Proxy) hit(w http.ResponseWriter, rs *request) {
	w.Header().Set(CacheHeader, "hit")
	p.metrics.hits.WithLabelValues(rs.info.Verb).Inc()
}

// --- get ---

// lookupObject finds the freshest copy of an object this identity read:
// by name, or in any list it made that includes the object.
func (p *Proxy) lookupObject(rs *request) (wire.Object, uint64, bool, bool) {
	info := &rs.info
	best, bestRV, found := wire.Object{}, uint64(0), false
	if o, rv, ok, err := p.store.Object(rs.id.partition, info.GVR(), info.Namespace, info.Name); err == nil && ok {
		best, bestRV, found = o, rv, true
	}
	objKey := info.Name
	if info.Namespace != "" {
		objKey = info.Namespace + "/" + info.Name
	}
	absent := false
	views, _ := p.store.ViewsOf(rs.id.partition, info.GVR())
	for _, m := range views {
		if !m.Complete || (m.Key.Namespace != "" && m.Key.Namespace != info.Namespace) {
			continue
		}
		it, meta, ok, err := p.store.Lookup(m.Key, objKey)
		if err != nil || !meta.Complete {
			continue
		}
		if !ok {
			// A complete, unfiltered list that lacks the object says it
			// does not exist (as of that list).
			if m.Key.Labels == "" && m.Key.Fields == "" {
				absent = true
			}
			continue
		}
		p.store.Touch(m.ID)
		if !found || it.RV > bestRV {
			best, bestRV, found = wire.Object{Type: m.ItemType, Enc: it.Enc, Raw: it.Raw}, it.RV, true
		}
	}
	return best, bestRV, found, absent && !found
}

func (p *Proxy) serveGet(w http.ResponseWriter, r *http.Request, rs *request) {
	obj, _, found, absent := p.lookupObject(rs)
	if !found {
		if absent {
			p.hit(w, rs)
			st := wire.NotFound(rs.info.Group, rs.info.ResourceName, rs.info.Name)
			p.writeStatus(w, rs, st)
			p.metrics.request(rs, "cache", http.StatusNotFound)
			return
		}
		p.miss(w, r, rs, "copy of the object")
		return
	}
	enc, ok := wire.Negotiate(r.Header.Get("Accept"), obj.Enc == wire.Protobuf || wire.CanConvert(obj.Type))
	if !ok {
		p.fail(w, r, rs, http.StatusNotAcceptable, "the edge cache cannot answer in the media types this request accepts")
		return
	}
	obj, err := wire.Convert(obj, enc)
	if err != nil {
		p.fail(w, r, rs, http.StatusServiceUnavailable, err.Error())
		return
	}
	p.hit(w, rs)
	w.Header().Set("Content-Type", enc.ContentType(false))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(wire.EncodeObject(obj))
	p.metrics.request(rs, "cache", http.StatusOK)
}

// --- list ---

// continue tokens of lists served from the cache name the generation they
// page through and the last key served.
const continuePrefix = "outpost-edge:"

func encodeContinue(gen uint64, last string) string {
	return continuePrefix + strconv.FormatUint(gen, 10) + ":" + base64.RawURLEncoding.EncodeToString([]byte(last))
}

func decodeContinue(tok string) (uint64, string, bool) {
	rest, ok := strings.CutPrefix(tok, continuePrefix)
	if !ok {
		return 0, "", false
	}
	g, k, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, "", false
	}
	gen, err := strconv.ParseUint(g, 10, 64)
	if err != nil {
		return 0, "", false
	}
	last, err := base64.RawURLEncoding.DecodeString(k)
	return gen, string(last), err == nil
}

// checkRV applies a request's resourceVersion to a view at rv, as the API
// server would; a non-nil Status is the answer.
func checkRV(info *apireq.Info, rv uint64) *metav1.Status {
	if info.ResourceVersion == "" || info.ResourceVersion == "0" {
		return nil
	}
	want, ok := wire.RV(info.ResourceVersion)
	if !ok {
		return &metav1.Status{Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest, Message: "invalid resourceVersion " + strconv.Quote(info.ResourceVersion)}
	}
	if info.ResourceVersionMatch == string(metav1.ResourceVersionMatchExact) && want != rv {
		return wire.Expired(fmt.Sprintf("resourceVersion %d is not the one the edge cache holds (%d)", want, rv))
	}
	if want > rv {
		return wire.TooLargeResourceVersion(want)
	}
	return nil
}

// pickView finds the view that answers a list or watch, and the encoding
// to answer in: the client's preferred encoding's copy if there is one,
// else the other, converted.
func (p *Proxy) pickView(rs *request, accept string) (store.ViewKey, store.ViewMeta, wire.Encoding, bool) {
	first, ok := wire.Negotiate(accept, true)
	if !ok {
		first = wire.JSON
	}
	other := wire.JSON
	if first == wire.JSON {
		other = wire.Protobuf
	}
	for _, e := range []wire.Encoding{first, other} {
		key := viewKey(rs, e)
		m, found, err := p.store.View(key)
		if err != nil || !found || !m.Complete {
			continue
		}
		if ans, ok := wire.Negotiate(accept, e == wire.Protobuf || wire.CanConvert(m.ItemType)); ok {
			return key, m, ans, true
		}
	}
	return store.ViewKey{}, store.ViewMeta{}, 0, false
}

func (p *Proxy) serveList(w http.ResponseWriter, r *http.Request, rs *request) {
	key, m, enc, found := p.pickView(rs, r.Header.Get("Accept"))
	if !found {
		p.miss(w, r, rs, "list")
		return
	}
	if st := checkRV(&rs.info, m.RV); st != nil {
		p.writeStatus(w, rs, st)
		p.metrics.request(rs, "cache", int(st.Code))
		return
	}
	after := ""
	if rs.info.Continue != "" {
		gen, last, ok := decodeContinue(rs.info.Continue)
		if !ok || gen != m.Gen {
			st := wire.Expired("the continue token cannot be served from the edge cache; list again")
			p.writeStatus(w, rs, st)
			p.metrics.request(rs, "cache", http.StatusGone)
			return
		}
		after = last
	}
	limit := int(rs.info.Limit)
	if limit <= 0 {
		limit = int(^uint(0) >> 1)
	}
	p.store.Touch(m.ID)

	// Walk the view in batches, each a short read transaction in which
	// items are read in place from the store's memory; items recorded in
	// the other encoding are converted (only then is an item copied).
	// between, if set, runs after each batch that leaves items to walk.
	walk := func(fn func(raw []byte) error, between func() error) (string, bool, error) {
		cur, n := after, 0
		for {
			last, more, err := p.store.ScanView(key, m.Gen, cur, min(1024, limit-n), listBatchBytes, func(_ []byte, ienc wire.Encoding, _ uint64, raw []byte) error {
				if ienc != enc {
					o, err := wire.Convert(wire.Object{Type: m.ItemType, Enc: ienc, Raw: raw}, enc)
					if err != nil {
						return err
					}
					raw = o.Raw
				}
				n++
				return fn(raw)
			})
			if err != nil {
				return "", false, err
			}
			cur = last
			if !more {
				return cur, false, nil
			}
			if n >= limit {
				return cur, true, nil
			}
			if between != nil {
				if err := between(); err != nil {
					return "", false, err
				}
			}
		}
	}
	head := wire.ListHead{ResourceVersion: wire.FormatRV(m.RV)}
	// A first walk, before any header goes out, when the answer needs to
	// know where the page ends (the continue token comes first) or, for
	// protobuf, the list's size (the envelope carries it up front). It
	// reads only the items' lengths, in place: a few hundred microseconds
	// for 5,000 pods.
	size := 0
	if enc == wire.Protobuf || limit < int(^uint(0)>>1) {
		last, more, err := walk(func(raw []byte) error { size += wire.ProtoItemSize(len(raw)); return nil }, nil)
		if err != nil {
			p.fail(w, r, rs, http.StatusServiceUnavailable, "edge cache: "+err.Error())
			return
		}
		if more {
			head.Continue = encodeContinue(m.Gen, last)
		}
	}
	p.hit(w, rs)
	w.Header().Set("Content-Type", enc.ContentType(false))
	w.WriteHeader(http.StatusOK)
	// The items of each batch are framed into one buffer inside its read
	// transaction, and the buffer goes to the client after it: no copy per
	// item, few large writes, and a slow client never holds a transaction
	// open.
	bp := listBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 4*listBatchBytes {
			listBufs.Put(bp)
		}
	}()
	buf, first := (*bp)[:0], true
	if enc == wire.Protobuf {
		buf = wire.AppendProtoListHead(buf, m.ListType, head, size)
	} else {
		buf = wire.AppendJSONListHead(buf, m.ListType, head)
	}
	frame := func(raw []byte) error {
		if enc == wire.Protobuf {
			buf = wire.AppendProtoListItem(buf, raw)
		} else {
			buf, first = wire.AppendJSONListItem(buf, first, raw), false
		}
		return nil
	}
	// send writes out what is buffered: after each batch (outside its
	// transaction) and at the end.
	send := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	_, _, werr := walk(frame, send)
	if werr == nil {
		if enc == wire.Protobuf {
			buf = wire.AppendProtoListTail(buf)
		} else {
			buf = append(buf, wire.JSONListTail...)
		}
		werr = send()
	}
	*bp = buf
	if werr != nil {
		// Headers are out: all we can do is cut the response short so the
		// client sees a broken list rather than a wrong one.
		p.log.Debug("edge cache: list cut short", "err", werr)
		panic(http.ErrAbortHandler)
	}
	p.metrics.request(rs, "cache", http.StatusOK)
}

// listBatchBytes is about how much of a list one read transaction covers
// and one write to the client carries.
const listBatchBytes = 512 << 10

// listBufs holds the buffers lists are framed into.
var listBufs = sync.Pool{New: func() any { b := make([]byte, 0, listBatchBytes+64<<10); return &b }}

// --- watch ---

func (p *Proxy) serveWatch(w http.ResponseWriter, r *http.Request, rs *request) {
	info := &rs.info
	key, m, enc, found := p.pickView(rs, r.Header.Get("Accept"))
	if !found {
		p.miss(w, r, rs, "list to watch")
		return
	}
	sendInitial := info.SendInitialEvents != nil && *info.SendInitialEvents
	initial := sendInitial || info.ResourceVersion == "" || info.ResourceVersion == "0"
	var from uint64
	var errEvent *metav1.Status
	if sendInitial {
		if st := checkRV(info, m.RV); st != nil {
			p.writeStatus(w, rs, st)
			p.metrics.request(rs, "cache", int(st.Code))
			return
		}
	} else if !initial {
		want, ok := wire.RV(info.ResourceVersion)
		switch {
		case !ok:
			p.writeStatus(w, rs, &metav1.Status{Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest, Message: "invalid resourceVersion"})
			return
		case want < m.LogFloor:
			errEvent = wire.Expired(fmt.Sprintf("too old resource version: %d (%d)", want, m.LogFloor))
		case want > m.RV:
			errEvent = wire.TooLargeResourceVersion(want)
		}
		from = want
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if info.TimeoutSeconds > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, time.Duration(info.TimeoutSeconds)*time.Second)
		defer c2()
	}
	defer p.trackWatch(p.offWatch, cancel)()
	// Served from the cache while the proxy still deems the cloud
	// reachable (a request to it just failed): the next good probe ends
	// the watch, and the client tries the cloud again.
	var probedOK <-chan struct{}
	if p.State() == Online {
		probedOK = p.up.nextOK()
	}
	p.metrics.watches.WithLabelValues("cache").Inc()
	defer p.metrics.watches.WithLabelValues("cache").Dec()
	p.hit(w, rs)
	p.metrics.request(rs, "cache", http.StatusOK)
	p.store.Touch(m.ID)

	w.Header().Set("Content-Type", enc.ContentType(true))
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	send := func(frames []byte) bool {
		if _, err := w.Write(frames); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	event := func(buf []byte, typ wire.EventType, o wire.Object) ([]byte, error) {
		o, err := wire.Convert(o, enc)
		if err != nil {
			return buf, err
		}
		return append(buf, wire.EncodeEvent(typ, o)...), nil
	}

	if errEvent != nil {
		send(wire.EncodeEvent(wire.Error, wire.StatusObject(enc, errEvent)))
		return
	}
	rv := m.RV
	if initial {
		after := ""
		for {
			items, more, err := p.store.ReadView(key, m.Gen, after, 256, 1<<20)
			if err != nil {
				return // the view changed: end; the client watches again
			}
			var buf []byte
			for _, it := range items {
				if buf, err = event(buf, wire.Added, wire.Object{Type: m.ItemType, Enc: it.Enc, Raw: it.Raw}); err != nil {
					return
				}
				after = it.Key
			}
			if len(buf) > 0 && !send(buf) {
				return
			}
			if !more {
				break
			}
		}
		if sendInitial {
			if !send(wire.EncodeEvent(wire.Bookmark, wire.BookmarkObject(enc, m.ItemType, wire.FormatRV(rv), true))) {
				return
			}
		}
	} else {
		for {
			evs, err := p.store.ReadLog(key, from, 256)
			if err != nil {
				return
			}
			if len(evs) == 0 {
				break
			}
			var buf []byte
			for _, ev := range evs {
				if buf, err = event(buf, ev.Type, wire.Object{Type: m.ItemType, Enc: ev.Item.Enc, Raw: ev.Item.Raw}); err != nil {
					return
				}
				from = ev.Item.RV
			}
			if !send(buf) {
				return
			}
		}
	}

	// Then stay open until the cloud is back (the client resumes the watch
	// there), the client leaves or its timeout ends; bookmarks keep its
	// resourceVersion fresh.
	tick := time.NewTicker(p.cfg.BookmarkInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-probedOK:
			return
		case <-tick.C:
			if !info.AllowWatchBookmarks {
				continue
			}
			cur, found, err := p.store.View(key)
			if err != nil || !found || !cur.Complete || cur.Gen != m.Gen {
				return
			}
			if !send(wire.EncodeEvent(wire.Bookmark, wire.BookmarkObject(enc, m.ItemType, wire.FormatRV(cur.RV), false))) {
				return
			}
		}
	}
}

// --- non-resource requests ---

const bucketRaw = "raw"

// rawRecordable lists the non-resource reads recorded for offline use:
// the version and API discovery, which clients need to start.
func rawRecordable(path string) bool {
	switch {
	case path == "/version", path == "/api", path == "/apis":
		return true
	case strings.HasPrefix(path, "/api/"), strings.HasPrefix(path, "/apis/"):
		return true // group and version discovery (resource paths never get here)
	}
	return false
}

func rawKey(partition string, r *http.Request) string {
	return partition + "\x00" + r.URL.Path + "\x00" + r.URL.RawQuery + "\x00" + r.Header.Get("Accept")
}

type rawRecord struct {
	ContentType string `json:"contentType"`
	Body        []byte `json:"body"`
}

func (p *Proxy) recordRaw(key string, contentType string, body []byte) {
	raw, err := json.Marshal(rawRecord{ContentType: contentType, Body: body})
	if err != nil {
		return
	}
	p.store.PutRecord(bucketRaw, key, store.Record{Value: raw}, false)
}

func (p *Proxy) serveNonResource(w http.ResponseWriter, r *http.Request, rs *request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	for _, h := range []string{"/healthz", "/livez", "/readyz"} {
		if path == h || strings.HasPrefix(path, h+"/") {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("ok"))
			p.metrics.request(rs, "local", http.StatusOK)
			return
		}
	}
	if r.Method == http.MethodGet && rs.id.partition != "" && rawRecordable(path) {
		rec, found, err := p.store.GetRecord(bucketRaw, rawKey(rs.id.partition, r))
		var raw rawRecord
		if err == nil && found && json.Unmarshal(rec.Value, &raw) == nil {
			p.hit(w, rs)
			w.Header().Set("Content-Type", raw.ContentType)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(raw.Body)
			p.metrics.request(rs, "cache", http.StatusOK)
			return
		}
		p.miss(w, r, rs, "copy of "+path)
		return
	}
	p.fail(w, r, rs, http.StatusServiceUnavailable, "the cloud API server is unreachable")
}
