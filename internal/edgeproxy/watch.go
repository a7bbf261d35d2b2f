package edgeproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// watchBody passes a watch from the cloud to the client frame by frame.
//
// When recording, each change is durable in the cache before the client
// sees it, so a client never holds a resourceVersion the cache lacks.
//
// When the link to the cloud breaks (or the proxy finds the cloud
// unreachable and cuts the watch's upstream leg), the client's stream stays
// open: the proxy keeps it alive with bookmarks at the last resourceVersion
// it forwarded, and once the cloud is back it resumes the watch there from
// that resourceVersion, so the client sees one uninterrupted watch that
// neither loses nor repeats an event. If the cloud can no longer resume
// it (410 Gone: too old), the client gets that error as a watch event and
// lists again, as it would from the API server itself.
type watchBody struct {
	p   *Proxy
	ctx context.Context // the client's request
	rs  *request
	req *http.Request // the request to the cloud, to resume it
	enc wire.Encoding
	rec *watchRecording

	mu      sync.Mutex
	rc      io.ReadCloser
	aborted bool // the proxy cut the current upstream leg

	br  *bufio.Reader
	jr  *wire.JSONFrameReader
	out []byte

	ended    bool
	spliced  bool // between two upstream legs
	lastRV   string
	itemType wire.TypeMeta
	initial  bool // a watch-list whose initial events are not all in yet
	deadline time.Time
	failed   bool // the last attempt to resume failed: wait for a good probe
}

func (p *Proxy) newWatchBody(ctx context.Context, rs *request, resp *http.Response, enc wire.Encoding, record bool) io.ReadCloser {
	w := &watchBody{p: p, ctx: ctx, rs: rs, req: resp.Request, enc: enc}
	if si := rs.info.SendInitialEvents; si != nil && *si {
		w.initial = true
	} else if rv, ok := wire.RV(rs.info.ResourceVersion); ok && rv > 0 {
		w.lastRV = rs.info.ResourceVersion
	}
	if rs.info.TimeoutSeconds > 0 {
		w.deadline = rs.start.Add(time.Duration(rs.info.TimeoutSeconds) * time.Second)
	}
	w.setUpstream(resp.Body)
	if record {
		w.rec = p.newWatchRecording(ctx, rs, enc)
	}
	abort := w.abortUpstream
	rs.abortUp.Store(&abort)
	return w
}

func (w *watchBody) setUpstream(rc io.ReadCloser) {
	w.mu.Lock()
	w.rc, w.aborted = rc, false
	w.mu.Unlock()
	switch w.enc {
	case wire.Protobuf:
		w.br = bufio.NewReaderSize(rc, 32<<10)
	case wire.JSON:
		w.jr = wire.NewJSONFrameReader(rc)
	}
}

// abortUpstream cuts the upstream leg: the cloud is unreachable.
func (w *watchBody) abortUpstream() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	_ = w.rc.Close()
}

func (w *watchBody) wasAborted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.aborted
}

// resumable: the proxy knows where the client is, so it can resume.
func (w *watchBody) resumable() bool {
	return w.lastRV != "" && !w.initial && (w.br != nil || w.jr != nil)
}

func (w *watchBody) Read(p []byte) (int, error) {
	if w.br == nil && w.jr == nil {
		// An encoding we do not frame: bytes as they come.
		w.mu.Lock()
		rc := w.rc
		w.mu.Unlock()
		n, err := rc.Read(p)
		if err != nil && (w.ctx.Err() != nil || networkError(err) || w.wasAborted()) {
			err = io.EOF
		}
		return n, err
	}
	for len(w.out) == 0 {
		if w.ended {
			return 0, io.EOF
		}
		if w.spliced {
			w.bridge()
			continue
		}
		frame, err := w.next()
		if err == nil {
			w.forward(frame)
			continue
		}
		switch {
		case w.ctx.Err() != nil:
			w.finish()
		case err == io.EOF && !w.wasAborted():
			w.finish() // the cloud ended the watch (its timeout)
		case !w.resumable():
			w.p.up.suspect()
			w.finish()
		default:
			w.p.up.suspect()
			w.p.log.Debug("watch to the cloud broke; keeping the client's stream", "path", w.rs.info.Path, "rv", w.lastRV, "err", err)
			w.spliced = true
			w.p.metrics.watchesBridged.Inc()
		}
	}
	n := copy(p, w.out)
	w.out = w.out[n:]
	return n, nil
}

// forward records a frame and queues it for the client.
func (w *watchBody) forward(frame []byte) {
	typ, obj, meta, err := decodeEvent(w.enc, frame)
	if w.rec != nil {
		w.rec.handle(w.enc, typ, obj, meta, err)
	}
	if err == nil {
		if obj.Type.Kind != "" && typ != wire.Error {
			w.itemType = obj.Type
		}
		switch {
		case typ == wire.Bookmark && meta.InitialEventsEnd:
			w.initial = false
			w.lastRV = meta.ResourceVersion
		case typ == wire.Error:
		case !w.initial && meta.ResourceVersion != "":
			w.lastRV = meta.ResourceVersion
		}
	}
	if w.enc == wire.JSON {
		frame = append(frame, '\n')
	}
	w.out = frame
}

// bridge waits while the cloud is away: bookmarks keep the client's
// resourceVersion fresh; once the cloud is back, the watch resumes.
func (w *watchBody) bridge() {
	var deadline <-chan time.Time
	if !w.deadline.IsZero() {
		t := time.NewTimer(time.Until(w.deadline))
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTimer(w.p.cfg.BookmarkInterval)
	defer tick.Stop()
	online := w.p.up.whenOnline()
	if w.failed {
		online = w.p.up.nextOK()
	}
	select {
	case <-w.ctx.Done():
		w.finish()
	case <-deadline:
		w.finish()
	case <-tick.C:
		if w.rs.info.AllowWatchBookmarks && w.itemType.Kind != "" {
			w.out = wire.EncodeEvent(wire.Bookmark, wire.BookmarkObject(w.enc, w.itemType, w.lastRV, false))
		}
	case <-online:
		w.resume()
	}
}

// resume opens the watch again from the last resourceVersion forwarded.
func (w *watchBody) resume() {
	q := w.req.URL.Query()
	q.Set("resourceVersion", w.lastRV)
	q.Del("resourceVersionMatch")
	q.Del("sendInitialEvents")
	if !w.deadline.IsZero() {
		left := time.Until(w.deadline)
		if left <= 0 {
			w.finish()
			return
		}
		q.Set("timeoutSeconds", strconv.Itoa(int(left/time.Second)+1))
	}
	req := w.req.Clone(w.ctx)
	req.URL.RawQuery = q.Encode()
	resp, err := w.p.roundTrip(req)
	if err != nil {
		if w.ctx.Err() != nil {
			w.finish()
			return
		}
		w.failed = true // try again after the next good probe
		return
	}
	w.failed = false
	if resp.StatusCode != http.StatusOK {
		st := readStatus(resp)
		w.p.log.Debug("resuming a watch: the cloud refused", "path", w.rs.info.Path, "rv", w.lastRV, "code", st.Code)
		if w.rec != nil {
			w.rec.end()
		}
		w.out = wire.EncodeEvent(wire.Error, wire.StatusObject(w.enc, st))
		w.ended = true
		return
	}
	if wire.EncodingOf(resp.Header.Get("Content-Type")) != w.enc {
		resp.Body.Close()
		w.finish()
		return
	}
	w.setUpstream(resp.Body)
	w.spliced = false
	w.p.metrics.watchesResumed.Inc()
}

// readStatus reads the Status of an error response.
func readStatus(resp *http.Response) *metav1.Status {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	st := &metav1.Status{Code: int32(resp.StatusCode), Message: http.StatusText(resp.StatusCode)}
	obj, _, err := decodeObject(wire.EncodingOf(resp.Header.Get("Content-Type")), body)
	if err == nil && obj.Type.Kind == "Status" {
		if js, err := wire.Convert(obj, wire.JSON); err == nil {
			var decoded metav1.Status
			if json.Unmarshal(js.Raw, &decoded) == nil && decoded.Code != 0 {
				st = &decoded
			}
		}
	}
	if st.Reason == "" && resp.StatusCode == http.StatusGone {
		st.Reason = metav1.StatusReasonExpired
	}
	return st
}

func (w *watchBody) finish() {
	w.ended = true
	if w.rec != nil {
		w.rec.end()
	}
}

// next reads the next frame.
func (w *watchBody) next() ([]byte, error) {
	if w.br != nil {
		return wire.ReadProtoFrame(w.br)
	}
	return w.jr.Next()
}

func (w *watchBody) Close() error {
	if !w.ended {
		w.finish()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rc.Close()
}
