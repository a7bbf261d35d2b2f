package server

import (
	"context"
	"crypto/tls"
	"log/slog"
	"time"
)

// Defaults. The queue and timeout defaults are TarsCpp's adapter defaults;
// TarsGo has no bound at all.
const (
	DefaultMaxInFlight     = 10000
	DefaultQueueCap        = 10000
	DefaultQueueTimeout    = 10 * time.Second
	DefaultIdleTimeout     = 600 * time.Second // TarsGo idletimeout
	DefaultGracefulTimeout = 60 * time.Second  // TarsGo gracedowntimeout
)

// Option configures a Server.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	level        *slog.LevelVar
	interceptors []Interceptor
	version      string
	graceful     time.Duration
	commands     map[string]AdminCommand
	loadConfig   func(ctx context.Context, file string) (string, error)
	drainIdle    time.Duration
}

// WithLogger sets the server's logger (default: slog.Default()'s handler,
// filtered by the level variable of WithLogLevel).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithLogLevel gives the level variable that the admin command
// tars.setloglevel changes. The default logger honours it; a logger given
// with WithLogger should be built on the same variable.
func WithLogLevel(v *slog.LevelVar) Option { return func(o *options) { o.level = v } }

// WithInterceptors adds server interceptors, the first outermost.
func WithInterceptors(ics ...Interceptor) Option {
	return func(o *options) { o.interceptors = append(o.interceptors, ics...) }
}

// WithVersion sets the version reported by tars.viewversion.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// WithGracefulTimeout bounds the graceful shutdown started by the admin
// command shutdown (default DefaultGracefulTimeout). Shutdown itself is
// bounded by its context.
func WithGracefulTimeout(d time.Duration) Option { return func(o *options) { o.graceful = d } }

// WithAdminCommand registers an administration command, answered through
// AdminObj's notify (as TarsGo's tars.RegisterAdmin).
func WithAdminCommand(name string, cmd AdminCommand) Option {
	return func(o *options) {
		if o.commands == nil {
			o.commands = map[string]AdminCommand{}
		}
		o.commands[name] = cmd
	}
}

// WithConfigLoader sets the hook run by the admin command
// "tars.loadconfig <file>"; its output is the command's reply.
func WithConfigLoader(load func(ctx context.Context, file string) (string, error)) Option {
	return func(o *options) { o.loadConfig = load }
}

// WithDrainIdle sets how long, during a graceful shutdown, a connection
// with nothing in flight must stay silent before the server closes it
// (default 2s, as TarsGo). Clients that honour "_reconnect_" close sooner.
func WithDrainIdle(d time.Duration) Option { return func(o *options) { o.drainIdle = d } }

// AdapterOption configures one adapter.
type AdapterOption func(*adapterOptions)

type adapterOptions struct {
	name         string
	maxInFlight  int
	queueCap     int
	queueTimeout time.Duration
	idleTimeout  time.Duration
	maxPacketLen int
	maxConns     int
	tls          *tls.Config
}

// Name names the adapter in logs and admin output (default: its endpoint).
func Name(name string) AdapterOption { return func(o *adapterOptions) { o.name = name } }

// MaxInFlight bounds the handlers running at once (TarsGo maxroutine,
// TarsCpp threads); default DefaultMaxInFlight.
func MaxInFlight(n int) AdapterOption { return func(o *adapterOptions) { o.maxInFlight = n } }

// QueueCap bounds the requests waiting for a handler slot; a request
// beyond it is answered -9 (default DefaultQueueCap). 0 keeps the default;
// use a negative value for no queue at all.
func QueueCap(n int) AdapterOption { return func(o *adapterOptions) { o.queueCap = n } }

// QueueTimeout is how long a request may wait for a handler slot before it
// is answered -6 (default DefaultQueueTimeout).
func QueueTimeout(d time.Duration) AdapterOption {
	return func(o *adapterOptions) { o.queueTimeout = d }
}

// IdleTimeout closes connections that have had nothing in flight and
// received nothing for d. The default is the endpoint's -t, or
// DefaultIdleTimeout.
func IdleTimeout(d time.Duration) AdapterOption {
	return func(o *adapterOptions) { o.idleTimeout = d }
}

// MaxPacketLen bounds the length of a frame, received or sent (default
// protocol.DefaultMaxPacketLen, 10 MiB). Longer requests close the
// connection; longer replies are answered -2 instead.
func MaxPacketLen(n int) AdapterOption { return func(o *adapterOptions) { o.maxPacketLen = n } }

// MaxConns bounds the adapter's open connections; further ones are closed
// on accept. 0 means no bound.
func MaxConns(n int) AdapterOption { return func(o *adapterOptions) { o.maxConns = n } }

// TLS serves the adapter over TLS (required for "ssl" endpoints).
func TLS(cfg *tls.Config) AdapterOption { return func(o *adapterOptions) { o.tls = cfg } }
