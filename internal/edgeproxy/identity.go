package edgeproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
)

// How a request's identity reaches the cloud.
type credKind int

const (
	credAnonymous  credKind = iota // no credential: forwarded as is
	credToken                      // bearer token: forwarded unchanged
	credKeypair                    // client certificate whose key the proxy holds: presented as is
	credFrontProxy                 // client certificate: front-proxy headers
)

// identity is who a request comes from, and how to speak for them.
type identity struct {
	kind   credKind
	user   string
	uid    string
	groups []string
	extra  map[string][]string

	// partition keys the cache; "" means the identity could not be
	// established, so nothing is recorded or served for it.
	partition string

	token   string           // credToken
	keypair *tls.Certificate // credKeypair
	certID  string           // credential id of a client certificate
}

const credentialIDKey = "authentication.kubernetes.io/credential-id"

// partitionOf derives the cache partition from what authorization sees:
// user, uid, groups and extra (minus the per-credential id, so that a
// renewed certificate or a rotated token keeps its cache).
func partitionOf(user, uid string, groups []string, extra map[string][]string) string {
	h := sha256.New()
	var n [20]byte
	w := func(s string) {
		h.Write(strconv.AppendInt(n[:0], int64(len(s)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	w(user)
	w(uid)
	gs := append([]string(nil), groups...)
	sort.Strings(gs)
	for _, g := range gs {
		w("g=" + g)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if k != credentialIDKey {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := append([]string(nil), extra[k]...)
		sort.Strings(vs)
		w("x=" + k)
		for _, v := range vs {
			w(v)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// certIdentities remembers the identity of each client certificate seen
// (a connection presents the same certificate value to every request).
type certIdentities struct {
	mu sync.Mutex
	m  map[*x509.Certificate]identity
}

func (c *certIdentities) get(cert *x509.Certificate) *identity {
	c.mu.Lock()
	id, ok := c.m[cert]
	c.mu.Unlock()
	if !ok {
		id = *certIdentity(cert)
		c.mu.Lock()
		if c.m == nil || len(c.m) > 4096 {
			c.m = map[*x509.Certificate]identity{}
		}
		c.m[cert] = id
		c.mu.Unlock()
	}
	return &id
}

// certIdentity is the identity the API server gives a client certificate:
// the common name is the user, the organizations are the groups.
func certIdentity(cert *x509.Certificate) *identity {
	groups := append([]string(nil), cert.Subject.Organization...)
	sum := sha256.Sum256(cert.Raw)
	id := &identity{
		user: cert.Subject.CommonName, groups: groups,
		certID: "X509SHA256=" + hex.EncodeToString(sum[:]),
	}
	id.partition = partitionOf(id.user, "", withAuthenticated(groups), nil)
	return id
}

// withAuthenticated adds the group every authenticated user has, as the API
// server does, so that the partition of a certificate user equals that of a
// token user the API server reports with the same groups.
func withAuthenticated(groups []string) []string {
	for _, g := range groups {
		if g == "system:authenticated" {
			return groups
		}
	}
	return append(append([]string(nil), groups...), "system:authenticated")
}

// keypairs are client certificates (with keys) the proxy may present for
// a client that proves it holds the same certificate: typically the
// kubelet's own, which the node holds anyway. They are reloaded when the
// files change (certificate rotation).
type keypairs struct {
	files [][2]string
	log   interface{ Warn(string, ...any) }

	mu       sync.Mutex
	bySPKI   map[[32]byte]*tls.Certificate
	loadedAt time.Time
	mtimes   []time.Time
}

func (k *keypairs) lookup(cert *x509.Certificate) *tls.Certificate {
	if len(k.files) == 0 {
		return nil
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.loadedAt) > 10*time.Second {
		k.reload()
	}
	kp := k.bySPKI[sum]
	if kp == nil {
		return nil
	}
	// The client must present the very certificate, not another one for
	// the same key.
	if len(kp.Certificate) == 0 || !bytes.Equal(kp.Certificate[0], cert.Raw) {
		return nil
	}
	return kp
}

func (k *keypairs) reload() {
	k.loadedAt = time.Now()
	mtimes := make([]time.Time, len(k.files))
	changed := k.bySPKI == nil
	for i, f := range k.files {
		if st, err := os.Stat(f[0]); err == nil {
			mtimes[i] = st.ModTime()
		}
		if i >= len(k.mtimes) || !mtimes[i].Equal(k.mtimes[i]) {
			changed = true
		}
	}
	if !changed {
		return
	}
	k.mtimes = mtimes
	m := map[[32]byte]*tls.Certificate{}
	for _, f := range k.files {
		kp, err := tls.LoadX509KeyPair(f[0], f[1])
		if err != nil {
			k.log.Warn("edge proxy: cannot load client credential", "cert", f[0], "err", err)
			continue
		}
		leaf, err := x509.ParseCertificate(kp.Certificate[0])
		if err != nil {
			continue
		}
		kp.Leaf = leaf
		m[sha256.Sum256(leaf.RawSubjectPublicKeyInfo)] = &kp
	}
	k.bySPKI = m
}

// userInfo is a user as the API server sees it, as kept in the store.
type userInfo struct {
	User   string              `json:"user"`
	UID    string              `json:"uid,omitempty"`
	Groups []string            `json:"groups,omitempty"`
	Extra  map[string][]string `json:"extra,omitempty"`
}

func (id *identity) asUser() userInfo {
	return userInfo{User: id.user, UID: id.uid, Groups: id.groups, Extra: id.extra}
}

func (id *identity) setUser(u userInfo) {
	id.user, id.uid, id.groups, id.extra = u.User, u.UID, u.Groups, u.Extra
}

// tokenInfo is what the proxy learned about a bearer token while online.
type tokenInfo struct {
	Partition string `json:"partition"`
	userInfo
}

const bucketTokens = "tokens"

// tokens resolves bearer tokens to identities: online by asking the API
// server who the token is (a SelfSubjectReview made with the token
// itself), offline from what was learned online. A token the proxy never
// saw verified online gets no partition: nothing is served to it offline.
type tokens struct {
	store   *store.Store
	review  func(ctx context.Context, token string) (*authnv1.UserInfo, int, error)
	ttl     time.Duration // how long a verified token is trusted, when it does not say
	mu      sync.Mutex
	cache   map[[32]byte]cachedToken
	maxSize int
}

type cachedToken struct {
	info    tokenInfo
	expires time.Time
}

func tokenHash(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

// resolve returns the token's identity; online says whether the cloud can
// be asked.
func (t *tokens) resolve(ctx context.Context, tok string, online bool) *identity {
	id := &identity{kind: credToken, token: tok}
	h := tokenHash(tok)
	now := time.Now()
	t.mu.Lock()
	c, ok := t.cache[h]
	t.mu.Unlock()
	if ok && now.Before(c.expires) {
		id.fill(c.info)
		return id
	}
	key := hex.EncodeToString(h[:])
	if !online {
		if r, found, err := t.store.GetRecord(bucketTokens, key); err == nil && found {
			var info tokenInfo
			if json.Unmarshal(r.Value, &info) == nil {
				t.remember(h, info, r.Expires)
				id.fill(info)
			}
		}
		return id
	}
	ui, code, err := t.review(ctx, tok)
	switch {
	case err == nil && ui != nil:
		info := tokenInfo{userInfo: userInfo{User: ui.Username, UID: ui.UID, Groups: ui.Groups, Extra: map[string][]string{}}}
		for k, v := range ui.Extra {
			info.Extra[k] = v
		}
		info.Partition = partitionOf(info.User, info.UID, info.Groups, info.Extra)
		exp := tokenExpiry(tok, now.Add(t.ttl))
		t.remember(h, info, exp)
		raw, _ := json.Marshal(info)
		t.store.PutRecord(bucketTokens, key, store.Record{Value: raw, Expires: exp}, false)
		id.fill(info)
	case code == http.StatusForbidden || code == http.StatusNotFound:
		// The API server will not say who the token is; keep it in a
		// partition of its own.
		info := tokenInfo{Partition: "token-" + key[:32]}
		exp := tokenExpiry(tok, now.Add(t.ttl))
		t.remember(h, info, exp)
		raw, _ := json.Marshal(info)
		t.store.PutRecord(bucketTokens, key, store.Record{Value: raw, Expires: exp}, false)
		id.fill(info)
	}
	// Otherwise (401: not a valid token; or the cloud did not answer) the
	// request goes through with no partition.
	return id
}

func (t *tokens) remember(h [32]byte, info tokenInfo, exp time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cache) >= t.maxSize {
		for k := range t.cache { // drop an arbitrary entry
			delete(t.cache, k)
			break
		}
	}
	// Re-verify at least every few minutes while online.
	if cap := time.Now().Add(5 * time.Minute); exp.After(cap) {
		exp = cap
	}
	t.cache[h] = cachedToken{info: info, expires: exp}
}

func (id *identity) fill(info tokenInfo) {
	id.setUser(info.userInfo)
	id.partition = info.Partition
}

// tokenExpiry reads the exp claim of a JWT, without trusting it for
// anything but how long to remember the token; def otherwise.
func tokenExpiry(tok string, def time.Time) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return def
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return def
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp == 0 {
		return def
	}
	return time.Unix(claims.Exp, 0)
}

// selfSubjectReview asks the cloud who a token is.
func selfSubjectReview(client *http.Client, base *url.URL) func(ctx context.Context, token string) (*authnv1.UserInfo, int, error) {
	return func(ctx context.Context, token string) (*authnv1.UserInfo, int, error) {
		body, _ := json.Marshal(&authnv1.SelfSubjectReview{TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "SelfSubjectReview"}})
		u := *base
		u.Path = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return nil, resp.StatusCode, fmt.Errorf("self subject review: %s", resp.Status)
		}
		var ssr authnv1.SelfSubjectReview
		if err := json.NewDecoder(resp.Body).Decode(&ssr); err != nil {
			return nil, resp.StatusCode, err
		}
		return &ssr.Status.UserInfo, resp.StatusCode, nil
	}
}

// setIdentityHeaders prepares an outgoing request to carry the identity.
func setIdentityHeaders(h http.Header, id *identity) {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-remote-") {
			delete(h, k)
		}
	}
	switch id.kind {
	case credFrontProxy:
		h.Del("Authorization")
		h.Set("X-Remote-User", id.user)
		for _, g := range id.groups {
			h.Add("X-Remote-Group", g)
		}
		if id.certID != "" {
			h.Set("X-Remote-Extra-"+url.PathEscape(credentialIDKey), id.certID)
		}
	case credKeypair:
		h.Del("Authorization")
	}
}
