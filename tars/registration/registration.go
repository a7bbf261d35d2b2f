// Package registration lets a TARS server that runs outside Kubernetes (a
// binary on an edge box, a developer's laptop) announce its servants to
// the registry: it registers them on start, heartbeats by registering
// again every TTL/3, and deregisters on graceful shutdown, before the
// server drains, so that clients stop sending while in-flight calls
// finish. A process that dies without deregistering expires after its TTL.
//
//	reg, err := registration.Start(ctx, registration.Config{Locator: loc}, registration.ForServer(srv)...)
//	srv.OnShutdown(func(ctx context.Context) { reg.Stop(ctx) })
package registration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/locator"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/server"
)

// DefaultTTL is how long a registration lives without a heartbeat.
const DefaultTTL = 15 * time.Second

// Config configures a registration.
type Config struct {
	// Locator is the registry's proxy string (QueryObj@...); the
	// registration goes to RegisterObj at the same endpoints.
	Locator string
	// TTL (DefaultTTL); heartbeats are sent every TTL/3.
	TTL time.Duration
	// Group is the locality (IDC group or site), SetID the set
	// ("name.area.group"), NodeName the host; all optional.
	Group, SetID, NodeName string
	// Host replaces the host of endpoints listening on every interface
	// ("*", 0.0.0.0); when empty the registry uses the address it sees the
	// registration come from.
	Host string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// ClientOptions are added to the registry client's (TLS, ...).
	ClientOptions []client.Option
}

// Item is one servant object and the endpoint it listens on.
type Item struct {
	Object   string
	Endpoint endpoint.Endpoint
}

// ForServer returns the servants of every adapter of srv (the admin
// servant excepted) with their adapter's endpoint.
func ForServer(srv *server.Server) []Item {
	var items []Item
	for _, ad := range srv.Adapters() {
		for _, obj := range ad.Servants() {
			if obj == server.AdminObj {
				continue
			}
			items = append(items, Item{Object: obj, Endpoint: ad.Endpoint()})
		}
	}
	return items
}

// Registration keeps items registered until Stop.
type Registration struct {
	cfg   Config
	log   *slog.Logger
	c     *client.Client
	reg   *queryf.RegisterClient
	items []queryf.Registration

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Start registers items once (failing if the registry refuses) and keeps
// them registered in the background. If no registry can be reached, the
// error is returned as well; heartbeats would retry, but a server that
// starts unknown to everyone is better told.
func Start(ctx context.Context, cfg Config, items ...Item) (*Registration, error) {
	if len(items) == 0 {
		return nil, errors.New("registration: nothing to register")
	}
	proxy, err := locator.Sibling(cfg.Locator, registry.RegisterObj)
	if err != nil {
		return nil, fmt.Errorf("registration: %w", err)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	cfg.TTL = max(cfg.TTL, registry.MinTTL)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts := append([]client.Option{client.WithLogger(cfg.Logger), client.WithTimeout(cfg.TTL / 3)}, cfg.ClientOptions...)
	c, err := client.New(proxy, opts...)
	if err != nil {
		return nil, err
	}
	r := &Registration{cfg: cfg, log: cfg.Logger, c: c, reg: queryf.NewRegisterClient(c),
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, it := range items {
		ep := it.Endpoint
		if cfg.Host != "" && (ep.Host == "*" || ep.Host == "0.0.0.0" || ep.Host == "::") {
			ep.Host = cfg.Host
		}
		f := registry.EndpointF(registry.Instance{Object: it.Object, Endpoint: ep, NodeName: cfg.NodeName, SetID: cfg.SetID})
		r.items = append(r.items, queryf.Registration{Id: it.Object, Ep: f, TtlMs: int32(cfg.TTL / time.Millisecond), Group: cfg.Group})
	}
	if err := r.register(ctx); err != nil {
		c.Close()
		return nil, err
	}
	go r.heartbeat()
	return r, nil
}

func (r *Registration) register(ctx context.Context) error {
	ret, err := r.reg.Register(client.WithIdempotent(ctx), r.items)
	if err == nil && ret != 0 {
		err = fmt.Errorf("registry returned %d", ret)
	}
	if err != nil {
		return fmt.Errorf("registration: %w", err)
	}
	return nil
}

func (r *Registration) heartbeat() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.TTL/3)
		if err := r.register(ctx); err != nil {
			r.log.Warn("registration: heartbeat failed", "err", err)
		}
		cancel()
	}
}

// Stop stops heartbeats and deregisters. After Stop, the registration
// is gone from the registry, or will expire after its TTL if the registry
// could not be told.
func (r *Registration) Stop(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		close(r.stop)
		<-r.done
		var ret int32
		ret, err = r.reg.Deregister(client.WithIdempotent(ctx), r.items)
		if err == nil && ret != 0 {
			err = fmt.Errorf("registry returned %d", ret)
		}
		if err != nil {
			err = fmt.Errorf("registration: deregister: %w", err)
		}
		r.c.Close()
	})
	return err
}
