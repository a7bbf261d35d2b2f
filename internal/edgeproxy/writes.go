package edgeproxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	authnv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/outpost-edge/outpost/internal/edgeproxy/apireq"
	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// Writes while the cloud is unreachable fail at once with 503 and
// Retry-After, so that clients neither hang nor believe they were done.
// The exceptions are what a kubelet needs to keep its node and pods going
// through a cut and to start again after a reboot; each is answered only
// for the node's own identity (system:node:<name>, from a verified
// certificate) and only from what the cache knows:
//
//   - registering its Node (POST nodes) gets 409 AlreadyExists when the
//     cache holds that Node, so the kubelet proceeds as registered;
//   - renewing its Lease and reporting its Node's status are heartbeats
//     the kubelet repeats every few seconds and re-sends once the cloud is
//     back: they are acknowledged locally (the answer is the object as
//     written) and not kept; the cloud's copy is what clients read;
//   - a patch of its Node that changes nothing is acknowledged;
//   - a ServiceAccount TokenRequest is answered with the last real token
//     the cloud issued for the same request while it is still valid; no
//     token is ever made up.
//
// Everything else, pod status updates included, is refused: the kubelet
// retries them, and refusing them never makes it stop a pod.

const maxWriteBody = 4 << 20

var nodeGroups = "system:nodes"

// nodeName returns the node an identity is, if it is one.
func (id *identity) nodeName() (string, bool) {
	name, ok := strings.CutPrefix(id.user, "system:node:")
	if !ok || name == "" || id.kind == credToken || !slices.Contains(id.groups, nodeGroups) {
		return "", false
	}
	return name, true
}

func (p *Proxy) offlineWrite(w http.ResponseWriter, r *http.Request, rs *request) {
	info := &rs.info
	if isTokenRequest(info) {
		if p.serveTokenRequest(w, r, rs) {
			return
		}
		p.fail(w, r, rs, http.StatusServiceUnavailable,
			"the cloud API server is unreachable and the edge proxy holds no valid token issued for this request")
		return
	}
	if node, ok := rs.id.nodeName(); ok && p.kubeletWrite(w, r, rs, node) {
		return
	}
	p.fail(w, r, rs, http.StatusServiceUnavailable,
		"the cloud API server is unreachable: the edge proxy refuses writes until it is back")
}

// kubeletWrite answers the writes a kubelet needs offline; false means
// the request is none of them (or the cache cannot back the answer).
func (p *Proxy) kubeletWrite(w http.ResponseWriter, r *http.Request, rs *request, node string) bool {
	info := &rs.info
	isNode := info.Group == "" && info.Version == "v1" && info.ResourceName == "nodes"
	isLease := info.Group == "coordination.k8s.io" && info.ResourceName == "leases" && info.Namespace == corev1.NamespaceNodeLease
	body, err := readBody(r)
	if err != nil {
		return false
	}
	switch {
	case isNode && info.Verb == apireq.VerbCreate:
		obj, meta, err := decodeObject(wire.EncodingOf(r.Header.Get("Content-Type")), body)
		if err != nil || meta.Name != node || obj.Type.Kind != "Node" {
			return false
		}
		if _, _, found := p.cachedFor(rs, "nodes", "", node); !found {
			return false
		}
		p.writeStatus(w, rs, wire.AlreadyExists("", "nodes", node))
		p.metrics.request(rs, "local", http.StatusConflict)
		return true
	case isNode && info.Name == node && info.Subresource == "status" && (info.Verb == apireq.VerbPatch || info.Verb == apireq.VerbUpdate):
		return p.acknowledge(w, r, rs, body, "nodes", "", node, &corev1.Node{}, false)
	case isNode && info.Name == node && info.Subresource == "" && info.Verb == apireq.VerbPatch:
		return p.acknowledge(w, r, rs, body, "nodes", "", node, &corev1.Node{}, true)
	case isLease && info.Name == node && info.Subresource == "" && (info.Verb == apireq.VerbPatch || info.Verb == apireq.VerbUpdate):
		return p.acknowledge(w, r, rs, body, "leases", corev1.NamespaceNodeLease, node, &coordinationv1.Lease{}, false)
	}
	return false
}

// cachedFor finds an object of the node's identity in the cache.
func (p *Proxy) cachedFor(rs *request, resource, ns, name string) (wire.Object, uint64, bool) {
	look := &request{info: rs.info, id: rs.id}
	look.info.ResourceName, look.info.Namespace, look.info.Name = resource, ns, name
	look.info.Subresource, look.info.Verb = "", apireq.VerbGet
	obj, rv, found, _ := p.lookupObject(look)
	return obj, rv, found
}

// acknowledge answers a heartbeat write with the object as written, from
// the cached object and the request; onlyNoop accepts only writes that
// change nothing.
func (p *Proxy) acknowledge(w http.ResponseWriter, r *http.Request, rs *request, body []byte, resource, ns, name string, schema any, onlyNoop bool) bool {
	cached, _, found := p.cachedFor(rs, resource, ns, name)
	if !found {
		return false
	}
	orig, err := wire.Convert(cached, wire.JSON)
	if err != nil {
		return false
	}
	var result []byte
	if rs.info.Verb == apireq.VerbUpdate {
		obj, _, err := decodeObject(wire.EncodingOf(r.Header.Get("Content-Type")), body)
		if err != nil || obj.Type != cached.Type {
			return false
		}
		js, err := wire.Convert(obj, wire.JSON)
		if err != nil {
			return false
		}
		result = js.Raw
	} else {
		if result, err = applyPatch(r.Header.Get("Content-Type"), orig.Raw, body, schema); err != nil {
			return false
		}
	}
	if onlyNoop && !sameJSON(orig.Raw, result) {
		return false
	}
	out := wire.Object{Type: cached.Type, Enc: wire.JSON, Raw: result}
	enc, ok := wire.Negotiate(r.Header.Get("Accept"), wire.CanConvert(out.Type))
	if !ok {
		return false
	}
	if out, err = wire.Convert(out, enc); err != nil {
		return false
	}
	w.Header().Set("Content-Type", enc.ContentType(false))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(wire.EncodeObject(out))
	p.metrics.request(rs, "local", http.StatusOK)
	p.metrics.acknowledged.WithLabelValues(resource).Inc()
	return true
}

func applyPatch(contentType string, orig, patch []byte, schema any) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/merge-patch+json":
		return jsonpatch.MergePatch(orig, patch)
	case "application/strategic-merge-patch+json":
		return strategicpatch.StrategicMergePatch(orig, patch, schema)
	case "application/json-patch+json":
		ops, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, err
		}
		return ops.Apply(orig)
	}
	return nil, fmt.Errorf("patch type %q is not applied offline", mt)
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// readBody reads a request body (small: writes the proxy may answer) and
// puts it back for the cloud.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxWriteBody+1))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if len(b) > maxWriteBody {
		return nil, errors.New("request body too large")
	}
	return b, nil
}

// --- TokenRequest ---

const bucketTokenRequests = "tokenrequests"

func isTokenRequest(info *apireq.Info) bool {
	return info.Resource && info.Verb == apireq.VerbCreate && info.Group == "" && info.ResourceName == "serviceaccounts" && info.Subresource == "token"
}

// tokenRequestKey identifies a TokenRequest by who asks, for which
// service account, and what it asks for (audiences, lifetime, bound
// object), so that a cached token is only handed to the same request.
func tokenRequestKey(rs *request, contentType string, body []byte) (string, bool) {
	obj, _, err := decodeObject(wire.EncodingOf(contentType), body)
	if err != nil {
		return "", false
	}
	js, err := wire.Convert(obj, wire.JSON)
	if err != nil {
		return "", false
	}
	var tr authnv1.TokenRequest
	if err := json.Unmarshal(js.Raw, &tr); err != nil {
		return "", false
	}
	spec, _ := json.Marshal(tr.Spec)
	h := sha256.New()
	for _, s := range []string{rs.id.partition, rs.info.Namespace, rs.info.Name, string(spec)} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// tokenRecord is a TokenRequest answered by the cloud.
type tokenRecord struct {
	Body []byte `json:"body"` // the response, JSON
}

// prepareTokenRequest reads the body of a TokenRequest going to the cloud
// and returns a function that records the cloud's answer.
func (p *Proxy) prepareTokenRequest(r *http.Request, rs *request) {
	if rs.id.partition == "" {
		return
	}
	body, err := readBody(r)
	if err != nil {
		return
	}
	if key, ok := tokenRequestKey(rs, r.Header.Get("Content-Type"), body); ok {
		rs.tokenKey = key
	}
}

func (p *Proxy) recordTokenRequest(key string, enc wire.Encoding, body []byte) {
	obj, _, err := decodeObject(enc, body)
	if err != nil {
		p.recordFailed("tokenrequest", err)
		return
	}
	js, err := wire.Convert(obj, wire.JSON)
	if err != nil {
		p.recordFailed("tokenrequest", err)
		return
	}
	var tr authnv1.TokenRequest
	if err := json.Unmarshal(js.Raw, &tr); err != nil || tr.Status.Token == "" {
		p.recordFailed("tokenrequest", errors.New("no token in the answer"))
		return
	}
	raw, _ := json.Marshal(tokenRecord{Body: js.Raw})
	p.store.PutRecord(bucketTokenRequests, key, store.Record{Value: raw, Expires: tr.Status.ExpirationTimestamp.Time}, false)
}

// tokenValidityMargin: a cached token is handed out only if it stays valid
// at least this long.
const tokenValidityMargin = 30 * time.Second

func (p *Proxy) serveTokenRequest(w http.ResponseWriter, r *http.Request, rs *request) bool {
	body, err := readBody(r)
	if err != nil {
		return false
	}
	key, ok := tokenRequestKey(rs, r.Header.Get("Content-Type"), body)
	if !ok {
		return false
	}
	rec, found, err := p.store.GetRecord(bucketTokenRequests, key)
	if err != nil || !found || time.Until(rec.Expires) < tokenValidityMargin {
		p.metrics.misses.WithLabelValues("tokenrequest").Inc()
		return false
	}
	var tr tokenRecord
	if json.Unmarshal(rec.Value, &tr) != nil {
		return false
	}
	obj := wire.Object{Type: wire.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenRequest"}, Enc: wire.JSON, Raw: tr.Body}
	enc, ok := wire.Negotiate(r.Header.Get("Accept"), true)
	if !ok {
		return false
	}
	if obj, err = wire.Convert(obj, enc); err != nil {
		return false
	}
	p.hit(w, rs)
	w.Header().Set("Content-Type", enc.ContentType(false))
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(wire.EncodeObject(obj))
	p.metrics.request(rs, "cache", http.StatusCreated)
	return true
}
