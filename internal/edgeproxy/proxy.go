package edgeproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"

	"github.com/outpost-edge/outpost/internal/edgeproxy/apireq"
	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
	"github.com/outpost-edge/outpost/internal/edgeproxy/wire"
)

// Config says how to run the proxy. Zero optional fields take the defaults
// documented on them.
type Config struct {
	// Cloud is how the agent itself reaches the cloud API server (its
	// kubeconfig): the server URL and CA, and the agent's own credential,
	// used for health probes.
	Cloud *rest.Config

	// Listen is the proxy's HTTPS address (default 127.0.0.1:10261).
	Listen string
	// ServingCertFile and ServingKeyFile, when set, are the serving
	// certificate; otherwise one is issued at every start by the agent's
	// own CA (<DataDir>/pki/proxy-ca.crt) for ServingSANs.
	ServingCertFile, ServingKeyFile string
	// ServingSANs are the names and addresses of the serving certificate
	// (default: localhost, 127.0.0.1, ::1 and the listen address).
	ServingSANs []string
	// ClientCAFile verifies client certificates (default: the cloud's CA
	// from Cloud).
	ClientCAFile string

	// FrontProxyCertFile and FrontProxyKeyFile are a client certificate
	// the cloud API server trusts for request-header authentication: the
	// proxy then forwards the identity of any verified client certificate
	// in X-Remote-User and X-Remote-Group.
	FrontProxyCertFile, FrontProxyKeyFile string
	// ClientCredentials are client certificates with keys ([cert, key]
	// files) the proxy may present upstream for a client presenting the
	// same certificate, e.g. the kubelet's own. They take precedence over
	// the front proxy and give the proxy no power the node lacks.
	ClientCredentials [][2]string

	// DataDir holds the cache (<DataDir>/cache/edge-cache.db) and the
	// agent's PKI.
	DataDir string
	// CacheMaxBytes caps the cache (default 512 MiB; negative: no cap).
	CacheMaxBytes int64
	// CacheTTL forgets what was not used for that long (default 7 days).
	CacheTTL time.Duration
	// WatchLogLimit is how many changes per collection are kept for
	// watch replay (default 1000).
	WatchLogLimit int

	// ProbeInterval and ProbeTimeout of the health probe of the cloud
	// (defaults 1s and 2s); FailureThreshold failed probes in a row mean
	// offline (default 2; a refused or reset connection counts at once),
	// SuccessThreshold successes in a row mean online again (default 2).
	ProbeInterval, ProbeTimeout        time.Duration
	FailureThreshold, SuccessThreshold int
	// DialTimeout bounds connecting to the cloud (default 5s).
	DialTimeout time.Duration
	// BookmarkInterval is how often watches served from the cache send a
	// bookmark (default 30s).
	BookmarkInterval time.Duration
	// ReconcileDelay is how long after the cloud comes back the proxy
	// re-lists the cached collections no client refreshed (default 10s).
	ReconcileDelay time.Duration

	// Registerer receives the proxy's metrics (default: none).
	Registerer prometheus.Registerer

	// NoSync skips fsync in the cache (tests and benchmarks only).
	NoSync bool
}

func (c *Config) complete() error {
	if c.Cloud == nil || c.Cloud.Host == "" {
		return errors.New("edge proxy: no cloud API server configured")
	}
	if c.DataDir == "" {
		return errors.New("edge proxy: no data directory")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:10261"
	}
	if c.CacheMaxBytes == 0 {
		c.CacheMaxBytes = 512 << 20
	}
	if c.CacheMaxBytes < 0 {
		c.CacheMaxBytes = 0
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = time.Second
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 2 * time.Second
	}
	if c.FailureThreshold <= 0 {
		c.FailureThreshold = 2
	}
	if c.SuccessThreshold <= 0 {
		c.SuccessThreshold = 2
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.BookmarkInterval <= 0 {
		c.BookmarkInterval = 30 * time.Second
	}
	if c.ReconcileDelay <= 0 {
		c.ReconcileDelay = 10 * time.Second
	}
	return nil
}

// Proxy is the edge API cache proxy.
type Proxy struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	up      *upstream
	tokens  *tokens
	keys    *keypairs
	front   *tls.Certificate
	metrics *metrics
	rp      *httputil.ReverseProxy
	serving *tls.Config
	caPEM   []byte // the CA clients must trust for the serving certificate

	pages       pagedLists
	pending     pending
	active      active
	ids         identities
	certIDs     certIdentities
	reconnected chan struct{}

	// watches being served, ended when the link changes state: a watch
	// proxied to the cloud ends when the cloud becomes unreachable (its
	// client resumes it from the cache), one served from the cache ends
	// when the cloud is back (its client resumes it from the cloud).
	watchMu  sync.Mutex
	upWatch  map[*watchHandle]struct{}
	offWatch map[*watchHandle]struct{}
}

type watchHandle struct{ cancel context.CancelFunc }

// New prepares a proxy: opens the cache and loads certificates.
func New(cfg Config, log *slog.Logger) (*Proxy, error) {
	if err := cfg.complete(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "edgeproxy")
	cloudURL, err := url.Parse(cfg.Cloud.Host)
	if err != nil || cloudURL.Scheme != "https" {
		return nil, fmt.Errorf("edge proxy: cloud server %q: want an https URL", cfg.Cloud.Host)
	}
	cloudURL.Path = strings.TrimSuffix(cloudURL.Path, "/")
	cloudCA, err := loadCAPool(cfg.Cloud.CAData, cfg.Cloud.CAFile)
	if err != nil {
		return nil, fmt.Errorf("edge proxy: cloud CA: %w", err)
	}
	clientCA := cloudCA
	if cfg.ClientCAFile != "" {
		if clientCA, err = loadCAPool(nil, cfg.ClientCAFile); err != nil {
			return nil, fmt.Errorf("edge proxy: client CA: %w", err)
		}
	}

	st, err := store.Open(filepath.Join(cfg.DataDir, "cache", "edge-cache.db"), store.Options{
		MaxBytes: cfg.CacheMaxBytes, TTL: cfg.CacheTTL, LogLimit: cfg.WatchLogLimit, NoSync: cfg.NoSync,
	}, log)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		cfg: cfg, log: log, store: st,
		upWatch: map[*watchHandle]struct{}{}, offWatch: map[*watchHandle]struct{}{},
		keys:        &keypairs{files: cfg.ClientCredentials, log: log},
		ids:         identities{seen: map[string]bool{}, tokens: map[string]string{}},
		reconnected: make(chan struct{}, 1),
	}
	p.pages.m = map[string]*pagedList{}
	if cfg.FrontProxyCertFile != "" {
		kp, err := tls.LoadX509KeyPair(cfg.FrontProxyCertFile, cfg.FrontProxyKeyFile)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("edge proxy: front-proxy client certificate: %w", err)
		}
		p.front = &kp
	}
	p.up = newUpstream(cloudURL, cloudCA, &cfg, log)
	probeTransport, err := rest.TransportFor(cfg.Cloud)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("edge proxy: cloud credentials: %w", err)
	}
	p.up.probe = &http.Client{Transport: probeTransport}
	readyz := *cloudURL
	readyz.Path += "/readyz"
	p.up.probeReq = func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, readyz.String(), nil)
	}
	p.tokens = &tokens{
		store: st, ttl: time.Hour, cache: map[[32]byte]cachedToken{}, maxSize: 4096,
		review: selfSubjectReview(&http.Client{Transport: p.up.transport("", nil, false)}, cloudURL),
	}
	p.metrics = newMetrics(cfg.Registerer, p)
	st.OnStats(p.metrics.storeStats)
	p.up.onTransition(p.transition)
	p.rp = &httputil.ReverseProxy{
		Rewrite:   p.rewrite,
		Transport: roundTripperFunc(p.roundTrip),
		// 0, not -1: a streamed response (no Content-Length: watches,
		// lists, logs) is still flushed at every write (ReverseProxy does
		// so for them), but a response of known length — a get — goes out
		// when the handler ends, headers, data and end of stream in one
		// write, instead of three HTTP/2 frames each flushed on its own.
		FlushInterval:  0,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.proxyError,
		BufferPool:     bufferPool{},
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	if err := p.setupServing(clientCA); err != nil {
		st.Close()
		return nil, err
	}
	return p, nil
}

func loadCAPool(data []byte, file string) (*x509.CertPool, error) {
	if len(data) == 0 && file != "" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return nil, err
		}
	}
	if len(data) == 0 {
		return nil, errors.New("no CA certificate")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("no PEM certificate in CA data")
	}
	return pool, nil
}

// CAPEM is the CA certificate clients must trust to reach the proxy.
func (p *Proxy) CAPEM() []byte { return p.caPEM }

// State is the link's current state.
func (p *Proxy) State() State {
	s, _ := p.up.State()
	return s
}

// Store is the proxy's cache (tests).
func (p *Proxy) Store() *store.Store { return p.store }

// Run serves until ctx ends. ready, if not nil, is called with the
// listening address once the proxy accepts connections.
func (p *Proxy) Run(ctx context.Context, ready func(addr net.Addr)) error {
	defer p.store.Close()
	ln, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("edge proxy: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go p.up.run(ctx)
	go p.pages.expire(ctx)
	go p.reconcileLoop(ctx)
	srv := &http.Server{
		Handler:           p,
		TLSConfig:         p.serving,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	p.log.Info("edge API proxy listening", "addr", ln.Addr().String(), "cloud", p.up.url.String(), "cache", p.store.Path())
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	p.endWatches(true, true)
	shutdown, cancelShutdown := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShutdown()
	_ = srv.Shutdown(shutdown)
	return nil
}

// transition reacts to the link changing state.
func (p *Proxy) transition(from, to State) {
	p.metrics.transition(to)
	switch to {
	case Offline:
		p.endWatches(true, false)
	case Online:
		p.endWatches(false, true)
		select {
		case p.reconnected <- struct{}{}:
		default:
		}
	}
}

func (p *Proxy) endWatches(upstream, offline bool) {
	p.watchMu.Lock()
	defer p.watchMu.Unlock()
	if upstream {
		for h := range p.upWatch {
			h.cancel()
		}
	}
	if offline {
		for h := range p.offWatch {
			h.cancel()
		}
	}
}

func (p *Proxy) trackWatch(set map[*watchHandle]struct{}, cancel context.CancelFunc) func() {
	h := &watchHandle{cancel: cancel}
	p.watchMu.Lock()
	set[h] = struct{}{}
	p.watchMu.Unlock()
	return func() {
		p.watchMu.Lock()
		delete(set, h)
		p.watchMu.Unlock()
	}
}

// request is the per-request state shared by the proxy's stages.
type request struct {
	info    apireq.Info
	id      *identity
	start   time.Time
	cached  bool // the response may be recorded
	watch   bool
	upgrade bool
	rawKey  string // non-resource reads recorded for offline use
	// untrack stops a watch proxied to the cloud from being ended when
	// the cloud becomes unreachable (it is being answered from the cache).
	untrack func()
	// abortUp cuts the upstream leg of a watch proxied to the cloud.
	abortUp atomic.Pointer[func()]
	// tokenKey identifies a TokenRequest whose answer is recorded.
	tokenKey string
	// recordWrite: the answer to this write is the object's new state,
	// which this identity may read; it is recorded like a get.
	recordWrite bool
}

type ctxKey struct{}

func reqState(r *http.Request) *request {
	rs, _ := r.Context().Value(ctxKey{}).(*request)
	return rs
}

// ServeHTTP handles one client request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs := &request{info: apireq.Parse(r.Method, r.URL), start: time.Now()}
	rs.watch = rs.info.Verb == apireq.VerbWatch
	rs.upgrade = r.Header.Get("Upgrade") != ""

	state := p.up.waitKnown(r.Context())
	online := state == Online

	id, err := p.identify(r, online)
	if err != nil {
		p.fail(w, r, rs, http.StatusForbidden, err.Error())
		return
	}
	rs.id = id
	rs.cached = id.partition != "" && r.Method == http.MethodGet && rs.info.Cacheable() &&
		wire.AcceptPlain(r.Header.Get("Accept")) && !impersonating(r.Header)

	if !rs.info.Resource && r.Method == http.MethodGet && id.partition != "" && rawRecordable(strings.TrimSuffix(r.URL.Path, "/")) && !impersonating(r.Header) {
		rs.rawKey = rawKey(id.partition, r)
	}
	if !online {
		p.serveOffline(w, r, rs)
		return
	}
	if isTokenRequest(&rs.info) {
		p.prepareTokenRequest(r, rs)
	}
	info := &rs.info
	rs.recordWrite = id.partition != "" && info.Resource && !info.BadOptions && info.ResourceName != "" &&
		(info.Verb == apireq.VerbCreate || info.Verb == apireq.VerbUpdate || info.Verb == apireq.VerbPatch) &&
		(info.Subresource == "" || info.Subresource == "status") && !impersonating(r.Header)
	if !rs.watch && r.Method == http.MethodGet && rs.info.Cacheable() {
		// A read waiting on the cloud when it is found unreachable (a
		// blackholed link) is answered from the cache instead.
		ctx, cancel := context.WithCancelCause(r.Context())
		defer p.trackWatch(p.upWatch, func() { cancel(errLinkDown) })()
		defer cancel(nil)
		r = r.WithContext(ctx)
	}
	if rs.watch {
		ctx, cancel := context.WithCancel(r.Context())
		// When the cloud becomes unreachable, a watch with a response cuts
		// its upstream leg (and bridges the gap, see watchBody); one still
		// waiting for its response is cancelled.
		rs.untrack = sync.OnceFunc(p.trackWatch(p.upWatch, func() {
			if abort := rs.abortUp.Load(); abort != nil {
				(*abort)()
				return
			}
			cancel()
		}))
		defer rs.untrack()
		defer cancel()
		r = r.WithContext(ctx)
		p.metrics.watches.WithLabelValues("cloud").Inc()
		defer p.metrics.watches.WithLabelValues("cloud").Dec()
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, rs))
	p.rp.ServeHTTP(w, r)
}

func impersonating(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "impersonate-") {
			return true
		}
	}
	return false
}

// identify works out who the request is from.
func (p *Proxy) identify(r *http.Request, online bool) (*identity, error) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
		cert := r.TLS.PeerCertificates[0]
		id := p.certIDs.get(cert)
		if kp := p.keys.lookup(cert); kp != nil {
			id.kind, id.keypair = credKeypair, kp
			p.notePartition(id, cert)
			return id, nil
		}
		if p.front != nil {
			id.kind = credFrontProxy
			p.notePartition(id, cert)
			return id, nil
		}
		return nil, fmt.Errorf("the edge proxy cannot speak for client certificate %q: it holds no key for it and no front-proxy credential", cert.Subject.CommonName)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "bearer") && strings.TrimSpace(tok) != "" {
			id := p.tokens.resolve(r.Context(), strings.TrimSpace(tok), online)
			p.notePartition(id, nil)
			return id, nil
		}
		// Basic or other schemes: forwarded, never cached.
		return &identity{kind: credToken}, nil
	}
	id := &identity{kind: credAnonymous, user: "system:anonymous", groups: []string{"system:unauthenticated"}}
	id.partition = partitionOf(id.user, "", id.groups, nil)
	p.notePartition(id, nil)
	return id, nil
}

func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	rs := reqState(pr.In)
	pr.SetURL(p.up.url)
	pr.Out.URL.RawPath = ""
	pr.Out.URL.Path = p.up.url.Path + pr.In.URL.Path
	pr.Out.Host = p.up.url.Host
	// Compression: responses pass through as the client accepts them
	// (the proxy inflates a copy to record it, off the client's path). A
	// watch is framed by the proxy: let the transport inflate it.
	if rs.watch {
		pr.Out.Header.Del("Accept-Encoding")
	}
	setIdentityHeaders(pr.Out.Header, rs.id)
	// X-Forwarded-For is for the API server's audit log.
	pr.SetXForwarded()
	pr.Out.Header.Del("X-Forwarded-Host")
	pr.Out.Header.Del("X-Forwarded-Proto")
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (p *Proxy) roundTrip(r *http.Request) (*http.Response, error) {
	rs := reqState(r)
	var t *http.Transport
	switch rs.id.kind {
	case credKeypair:
		t = p.up.transport("keypair", rs.id.keypair, rs.upgrade)
	case credFrontProxy:
		t = p.up.transport("front-proxy", p.front, rs.upgrade)
	default:
		t = p.up.transport("", nil, rs.upgrade)
	}
	return t.RoundTrip(r)
}

// proxyError handles a request the cloud did not answer.
func (p *Proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	rs := reqState(r)
	if errors.Is(context.Cause(r.Context()), errLinkDown) {
		p.log.Debug("cloud unreachable while reading, answering from the edge cache", "path", r.URL.Path)
		p.serveOffline(w, r, rs)
		return
	}
	if errors.Is(r.Context().Err(), context.Canceled) {
		if rs.watch {
			return // ended by a transition or by the client
		}
		p.metrics.request(rs, "cloud", 499)
		return
	}
	if networkError(err) {
		p.up.suspect()
		if rs.info.IsWrite() || rs.upgrade || r.Method != http.MethodGet {
			p.fail(w, r, rs, http.StatusServiceUnavailable, "the cloud API server cannot be reached: "+err.Error())
			return
		}
		p.log.Debug("cloud unreachable, answering from the edge cache", "path", r.URL.Path, "err", err)
		if rs.untrack != nil {
			rs.untrack()
		}
		p.serveOffline(w, r, rs)
		return
	}
	p.fail(w, r, rs, http.StatusBadGateway, "edge proxy: "+err.Error())
}

// fail answers with a Status and the given code.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, rs *request, code int, msg string) {
	st := wire.Unavailable(msg, retryAfterSeconds)
	st.Code = int32(code)
	switch code {
	case http.StatusForbidden:
		st.Reason, st.Details = "Forbidden", nil
	case http.StatusBadGateway:
		st.Reason, st.Details = "InternalError", nil
	}
	p.writeStatus(w, rs, st)
	if rs != nil {
		p.metrics.request(rs, "local", code)
	}
	_ = r
}

// errLinkDown cancels a request to the cloud found unreachable.
var errLinkDown = errors.New("the cloud API server became unreachable")

// retryAfterSeconds is what clients are told to wait before retrying a
// request the proxy cannot serve while the cloud is away.
const retryAfterSeconds = 2

type bufferPool struct{}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(bufPool.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { bufPool.Put(&b) }
