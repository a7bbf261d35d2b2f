package client

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// Defaults, those of TarsGo's client configuration (§8.2).
const (
	DefaultTimeout     = 3 * time.Second // async-invoke-timeout
	DefaultDialTimeout = 3 * time.Second // clientdialtimeout
)

// Option configures a Client.
type Option func(*options)

type options struct {
	timeout      time.Duration
	dialTimeout  time.Duration
	connsPerEP   int
	maxInFlight  int
	maxPacketLen int
	maxPending   int
	tls          *tls.Config
	interceptors []Interceptor
	resolver     Resolver
	picker       Picker
	logger       *slog.Logger
	onPush       func(*protocol.ResponsePacket)
	shield       Shield
	onConn       func(ep endpoint.Endpoint, up bool)
}

// WithTimeout sets the default call timeout (DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithDialTimeout bounds connection set-up, TLS handshake included
// (DefaultDialTimeout).
func WithDialTimeout(d time.Duration) Option { return func(o *options) { o.dialTimeout = d } }

// WithConnsPerEndpoint sets how many connections each endpoint gets (1);
// calls are spread over them round robin.
func WithConnsPerEndpoint(n int) Option { return func(o *options) { o.connsPerEP = n } }

// WithMaxInFlight bounds the calls in flight on the client; beyond it calls
// fail at once with code -13 (TarsGo's objqueuemax). 0, the default, means
// no bound.
func WithMaxInFlight(n int) Option { return func(o *options) { o.maxInFlight = n } }

// WithMaxPacketLen bounds the length of a frame, sent or received
// (protocol.DefaultMaxPacketLen).
func WithMaxPacketLen(n int) Option { return func(o *options) { o.maxPacketLen = n } }

// WithMaxPending bounds the bytes queued on one connection and not yet
// written (64 MiB); beyond it calls fail with code -13.
func WithMaxPending(n int) Option { return func(o *options) { o.maxPending = n } }

// WithTLS dials TLS (required for "ssl" endpoints; used for every endpoint
// when set).
func WithTLS(cfg *tls.Config) Option { return func(o *options) { o.tls = cfg } }

// WithInterceptors adds client interceptors, the first outermost.
func WithInterceptors(ics ...Interceptor) Option {
	return func(o *options) { o.interceptors = append(o.interceptors, ics...) }
}

// WithResolver replaces the source of endpoints (by default the proxy
// string's).
func WithResolver(r Resolver) Option { return func(o *options) { o.resolver = r } }

// WithConnHook calls f when a connection to ep is established (up) and
// when one ends (a failed dial included). Watchers of server pushes use it
// to subscribe again on a new connection. f must not block.
func WithConnHook(f func(ep endpoint.Endpoint, up bool)) Option {
	return func(o *options) { o.onConn = f }
}

// WithShield sets dead-node shielding (DefaultShield).
func WithShield(s Shield) Option { return func(o *options) { o.shield = s } }

// WithPicker replaces the built-in balancing (package balance) with p;
// hashes set with balance.WithHash are then ignored.
func WithPicker(p Picker) Option { return func(o *options) { o.picker = p } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPushHandler receives server pushes (responses with request id 0)
// other than "_reconnect_". It runs on a connection's reader goroutine and
// must not block.
func WithPushHandler(f func(*protocol.ResponsePacket)) Option {
	return func(o *options) { o.onPush = f }
}
