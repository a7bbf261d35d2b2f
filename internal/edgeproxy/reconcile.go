package edgeproxy

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// After the cloud comes back, clients that were watching resume their
// watches and re-list if they have to, and the cache follows what they
// read. Collections nobody reads now (a client that is not running) would
// keep what they held before the cut; the proxy re-lists those itself,
// as the identity that cached them, so that the next cut or cold start
// finds the cloud's current state, objects deleted meanwhile included.

const bucketPartitions = "partitions"

// partitionInfo is what the proxy needs to act for an identity.
type partitionInfo struct {
	Kind credKind `json:"kind"`
	userInfo
	SPKI string `json:"spki,omitempty"` // keypair: SHA-256 of the public key
}

// identities remembers the identities seen, to act for them later.
type identities struct {
	mu     sync.Mutex
	seen   map[string]bool
	tokens map[string]string // partition -> latest bearer token (memory only)
}

func (p *Proxy) notePartition(id *identity, cert *x509.Certificate) {
	if id.partition == "" {
		return
	}
	p.ids.mu.Lock()
	if id.kind == credToken {
		p.ids.tokens[id.partition] = id.token
	}
	seen := p.ids.seen[id.partition]
	p.ids.seen[id.partition] = true
	p.ids.mu.Unlock()
	if seen {
		return
	}
	info := partitionInfo{Kind: id.kind, userInfo: id.asUser()}
	if id.kind == credKeypair && cert != nil {
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		info.SPKI = hex.EncodeToString(sum[:])
	}
	raw, _ := json.Marshal(info)
	p.store.PutRecord(bucketPartitions, id.partition, store.Record{Value: raw}, false)
}

// actFor prepares requests as the identity of a partition; nil when the
// proxy cannot (a token it no longer holds, a key it lost).
func (p *Proxy) actFor(partition string) (func(*http.Request), *http.Transport) {
	rec, found, err := p.store.GetRecord(bucketPartitions, partition)
	if err != nil || !found {
		return nil, nil
	}
	var info partitionInfo
	if json.Unmarshal(rec.Value, &info) != nil {
		return nil, nil
	}
	id := &identity{kind: info.Kind}
	id.setUser(info.userInfo)
	switch info.Kind {
	case credFrontProxy:
		if p.front == nil {
			return nil, nil
		}
		return func(r *http.Request) { setIdentityHeaders(r.Header, id) }, p.up.transport("front-proxy", p.front, false)
	case credKeypair:
		kp := p.keys.bySPKIHex(info.SPKI)
		if kp == nil {
			return nil, nil
		}
		id.keypair = kp
		return func(r *http.Request) { setIdentityHeaders(r.Header, id) }, p.up.transport("keypair", kp, false)
	case credToken:
		p.ids.mu.Lock()
		tok := p.ids.tokens[partition]
		p.ids.mu.Unlock()
		if tok == "" || time.Until(tokenExpiry(tok, time.Now().Add(time.Hour))) < time.Minute {
			return nil, nil
		}
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }, p.up.transport("", nil, false)
	case credAnonymous:
		return func(*http.Request) {}, p.up.transport("", nil, false)
	}
	return nil, nil
}

func (k *keypairs) bySPKIHex(s string) *tls.Certificate {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.bySPKI == nil {
		k.reload()
	}
	for sum, kp := range k.bySPKI {
		if hex.EncodeToString(sum[:]) == s {
			return kp
		}
	}
	return nil
}

// active counts the watches recording each view right now.
type active struct {
	mu sync.Mutex
	m  map[string]int
}

func (a *active) add(key store.ViewKey) func() {
	k := string(key.Bytes())
	a.mu.Lock()
	if a.m == nil {
		a.m = map[string]int{}
	}
	a.m[k]++
	a.mu.Unlock()
	return sync.OnceFunc(func() {
		a.mu.Lock()
		if a.m[k]--; a.m[k] <= 0 {
			delete(a.m, k)
		}
		a.mu.Unlock()
	})
}

func (a *active) has(key store.ViewKey) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.m[string(key.Bytes())] > 0
}

// reconcileLoop re-lists idle views each time the cloud becomes reachable.
func (p *Proxy) reconcileLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.reconnected:
		}
		since := time.Now()
		select {
		case <-ctx.Done():
			return
		case <-time.After(p.cfg.ReconcileDelay):
		}
		p.reconcile(ctx, since)
	}
}

func (p *Proxy) reconcile(ctx context.Context, since time.Time) {
	views, err := p.store.AllViews()
	if err != nil {
		p.log.Warn("edge cache: cannot list views to reconcile", "err", err)
		return
	}
	// Most recently used first: the likeliest to be needed next.
	sort.Slice(views, func(i, j int) bool { return lastUse(views[i]).After(lastUse(views[j])) })
	done, skipped := 0, 0
	for _, m := range views {
		if ctx.Err() != nil || p.State() != Online {
			return
		}
		if m.Updated.After(since) || p.active.has(m.Key) {
			continue // a client refreshed it, or is watching it
		}
		auth, transport := p.actFor(m.Key.Partition)
		if auth == nil {
			skipped++
			continue
		}
		if err := p.relist(ctx, m, auth, transport); err != nil {
			p.metrics.reconciled.WithLabelValues("error").Inc()
			p.log.Debug("edge cache: re-list failed", "view", m.Key.String(), "err", err)
			continue
		}
		p.metrics.reconciled.WithLabelValues("relisted").Inc()
		done++
	}
	if done+skipped > 0 {
		p.log.Info("edge cache reconciled with the cloud", "relisted", done, "cannotActFor", skipped)
	}
}

func lastUse(m store.ViewMeta) time.Time {
	if m.Used.After(m.Updated) {
		return m.Used
	}
	return m.Updated
}

// collectionPath is the API path of a view's collection.
func collectionPath(gvr, ns string) (string, error) {
	parts := strings.Split(gvr, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return "", fmt.Errorf("bad resource %q", gvr)
	}
	p := "/apis/" + parts[0] + "/" + parts[1]
	if parts[0] == "" {
		p = "/api/" + parts[1]
	}
	if ns != "" {
		p += "/namespaces/" + url.PathEscape(ns)
	}
	return p + "/" + parts[2], nil
}

// relist lists a view afresh from the cloud, as its identity, page by
// page, and records it.
func (p *Proxy) relist(ctx context.Context, m store.ViewMeta, auth func(*http.Request), t *http.Transport) error {
	path, err := collectionPath(m.Key.GVR, m.Key.Namespace)
	if err != nil {
		return err
	}
	enc := wire.JSON
	if m.Key.Enc == wire.Protobuf.String() {
		enc = wire.Protobuf
	}
	sink := &listSink{p: p, key: m.Key, enc: enc}
	cont := ""
	for {
		q := url.Values{"limit": {"500"}}
		if m.Key.Labels != "" {
			q.Set("labelSelector", m.Key.Labels)
		}
		if m.Key.Fields != "" {
			q.Set("fieldSelector", m.Key.Fields)
		}
		if cont != "" {
			q.Set("continue", cont)
		}
		u := *p.up.url
		u.Path += path
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			sink.abort()
			return err
		}
		req.Header.Set("Accept", enc.ContentType(false)+", application/json")
		req.Header.Set("User-Agent", "outpost-edge-proxy/reconcile")
		auth(req)
		resp, err := t.RoundTrip(req)
		if err != nil {
			sink.abort()
			return err
		}
		if resp.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			sink.abort()
			return fmt.Errorf("cloud answered %s", resp.Status)
		}
		if got := wire.EncodingOf(resp.Header.Get("Content-Type")); got != enc {
			resp.Body.Close()
			sink.abort()
			return errors.New("unexpected media type " + resp.Header.Get("Content-Type"))
		}
		err = sink.read(resp.Body)
		resp.Body.Close()
		if err != nil {
			sink.abort()
			return err
		}
		if cont = sink.head.Continue; cont == "" {
			break
		}
	}
	select {
	case err := <-sink.commit():
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
