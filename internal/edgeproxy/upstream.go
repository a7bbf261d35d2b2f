package edgeproxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// State of the link to the cloud API server.
type State int32

const (
	// Unknown: no probe has answered yet (startup).
	Unknown State = iota
	// Online: requests go to the cloud.
	Online
	// Offline: requests are answered from the cache without trying the
	// cloud, until probes succeed again.
	Offline
)

func (s State) String() string {
	switch s {
	case Online:
		return "online"
	case Offline:
		return "offline"
	}
	return "unknown"
}

// upstream holds the transports to the cloud API server, one per
// credential the proxy presents, and decides whether the cloud is reachable
// with an active health probe.
type upstream struct {
	url    *url.URL
	rootCA *x509.CertPool
	dial   time.Duration
	log    *slog.Logger

	mu         sync.Mutex
	transports map[transportKey]*http.Transport

	probe     *http.Client
	probeReq  func(ctx context.Context) (*http.Request, error)
	interval  time.Duration
	timeout   time.Duration
	failAfter int
	okAfter   int
	kick      chan struct{}

	stateMu  sync.Mutex
	state    State
	since    time.Time
	waitInit chan struct{} // closed once the first probe answered
	onChange []func(from, to State)
	lastErr  error
	okCh     chan struct{} // closed at the next successful probe
	onCh     chan struct{} // closed when next online
}

type transportKey struct {
	cred    string // "" (no client certificate), "front-proxy", or "keypair:<spki hash>"
	http1   bool   // for connection upgrades (exec, attach, port-forward over SPDY)
	certPtr *tls.Certificate
}

func newUpstream(u *url.URL, rootCA *x509.CertPool, cfg *Config, log *slog.Logger) *upstream {
	return &upstream{
		url: u, rootCA: rootCA, dial: cfg.DialTimeout, log: log,
		transports: map[transportKey]*http.Transport{},
		interval:   cfg.ProbeInterval, timeout: cfg.ProbeTimeout,
		failAfter: cfg.FailureThreshold, okAfter: cfg.SuccessThreshold,
		kick: make(chan struct{}, 1), waitInit: make(chan struct{}), okCh: make(chan struct{}), onCh: make(chan struct{}),
	}
}

// transport returns the transport that presents cert (nil: none).
func (u *upstream) transport(cred string, cert *tls.Certificate, http1 bool) *http.Transport {
	key := transportKey{cred: cred, http1: http1, certPtr: cert}
	u.mu.Lock()
	defer u.mu.Unlock()
	if t := u.transports[key]; t != nil {
		return t
	}
	tlsConf := &tls.Config{RootCAs: u.rootCA, MinVersion: tls.VersionTLS12, ServerName: u.url.Hostname()}
	if cert != nil {
		c := *cert
		tlsConf.Certificates = []tls.Certificate{c}
	}
	d := &net.Dialer{Timeout: u.dial, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   u.dial,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     !http1,
		// A dead HTTP/2 connection (a blackholed link) is noticed by
		// pings rather than hanging its streams forever.
		HTTP2: &http.HTTP2Config{SendPingTimeout: 15 * time.Second, PingTimeout: 5 * time.Second},
	}
	if http1 {
		tlsConf.NextProtos = []string{"http/1.1"}
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	u.transports[key] = t
	return t
}

// closeIdle drops idle connections, so that the next requests dial afresh
// (after the link came back, old connections may be dead).
func (u *upstream) closeIdle() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, t := range u.transports {
		t.CloseIdleConnections()
	}
	if u.probe != nil {
		u.probe.CloseIdleConnections()
	}
}

// State returns the current state and since when.
func (u *upstream) State() (State, time.Time) {
	u.stateMu.Lock()
	defer u.stateMu.Unlock()
	return u.state, u.since
}

// waitKnown waits until the first probe answered (or ctx ends) and
// returns the state.
func (u *upstream) waitKnown(ctx context.Context) State {
	select {
	case <-u.waitInit:
	case <-ctx.Done():
	}
	s, _ := u.State()
	return s
}

// onTransition registers fn, called on every state change.
func (u *upstream) onTransition(fn func(from, to State)) {
	u.stateMu.Lock()
	u.onChange = append(u.onChange, fn)
	u.stateMu.Unlock()
}

// nextOK returns a channel closed at the next successful probe.
func (u *upstream) nextOK() <-chan struct{} {
	u.stateMu.Lock()
	defer u.stateMu.Unlock()
	return u.okCh
}

// whenOnline returns a channel closed once the cloud is reachable (at
// once if it is now).
func (u *upstream) whenOnline() <-chan struct{} {
	u.stateMu.Lock()
	defer u.stateMu.Unlock()
	return u.onCh
}

// suspect asks for a probe now: a request just failed to reach the cloud.
func (u *upstream) suspect() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

func (u *upstream) set(to State, err error) {
	u.stateMu.Lock()
	from := u.state
	u.lastErr = err
	if from == to {
		u.stateMu.Unlock()
		return
	}
	u.state, u.since = to, time.Now()
	if to == Online {
		close(u.onCh)
	} else if from == Online {
		u.onCh = make(chan struct{})
	}
	fns := append([]func(from, to State){}, u.onChange...)
	if from == Unknown {
		close(u.waitInit)
	}
	u.stateMu.Unlock()
	if to == Offline {
		u.log.Warn("cloud API server unreachable: serving from the edge cache", "err", err)
	} else {
		u.log.Info("cloud API server reachable again", "after", from.String())
		u.closeIdle()
	}
	for _, fn := range fns {
		fn(from, to)
	}
}

// run probes the cloud until ctx ends.
func (u *upstream) run(ctx context.Context) {
	fails, oks := 0, 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-u.kick:
			timer.Stop()
		}
		err := u.probeOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		state, _ := u.State()
		if err == nil {
			u.stateMu.Lock()
			close(u.okCh)
			u.okCh = make(chan struct{})
			u.stateMu.Unlock()
			fails, oks = 0, oks+1
			if state != Online && (oks >= u.okAfter || state == Unknown) {
				u.set(Online, nil)
			}
		} else {
			oks, fails = 0, fails+1
			// Connection refused or reset is certain at once; anything else
			// (timeouts, blackholes) needs failAfter probes in a row.
			if state != Offline && (fails >= u.failAfter || state == Unknown || hardFailure(err)) {
				u.set(Offline, err)
			}
		}
		if err != nil && fails < u.failAfter {
			// Confirm a failure at once rather than after an interval:
			// a blackholed link is then noticed in failAfter timeouts.
			timer.Reset(0)
		} else {
			timer.Reset(u.interval)
		}
	}
}

func (u *upstream) probeOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	req, err := u.probeReq(ctx)
	if err != nil {
		return err
	}
	resp, err := u.probe.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &statusError{code: resp.StatusCode}
	}
	return nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "cloud /readyz answered " + http.StatusText(e.code) }

// hardFailure is true for errors that prove the cloud is not there right
// now, as opposed to slowness.
func hardFailure(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// networkError is true for errors of reaching the cloud (as opposed to the
// client going away), for which a read may be answered from the cache.
func networkError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) || hardFailure(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.EPIPE)
}
