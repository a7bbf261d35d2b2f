package locator

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outpost-edge/outpost/tars/client"
	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
)

// Defaults.
const (
	DefaultRefreshInterval = 60 * time.Second // TARS's refresh-endpoint-interval
	DefaultTimeout         = 3 * time.Second  // one registry call
	// Subscription retries back off from minResubscribe to maxResubscribe.
	minResubscribe = 200 * time.Millisecond
	maxResubscribe = 10 * time.Second
)

// Config configures a Resolver.
type Config struct {
	// Locator is the registry's proxy string,
	// "tars.tarsregistry.QueryObj@tcp -h ... -p 17890[:tcp -h ... -p ...]".
	Locator string
	// SetID routes by set ("name.area.group", findObjectByIdInSameSet);
	// empty for IDC grouping (findObjectByIdInSameGroup).
	SetID string
	// CacheDir keeps the last endpoints of each object on disk; "" for
	// none.
	CacheDir string
	// RefreshInterval is the polling period while no push subscription is
	// live (DefaultRefreshInterval).
	RefreshInterval time.Duration
	// NoPush disables push subscriptions: poll only, as TARS clients do.
	NoPush bool
	// Timeout bounds one registry call (DefaultTimeout).
	Timeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// ClientOptions are added to the registry clients' (TLS, ...).
	ClientOptions []client.Option
}

// Resolver resolves object names through the registry and keeps the
// endpoint lists of the clients using it current. It implements
// client.Watcher. Close it when done.
type Resolver struct {
	cfg    Config
	log    *slog.Logger
	qc, wc *client.Client
	query  *queryf.QueryFClient
	watch  *queryf.WatchClient

	mu      sync.Mutex
	objs    map[string]*object
	nextID  int
	cacheMu sync.Mutex // orders cache writes

	subscribed atomic.Bool   // a push subscription is live
	kick       chan struct{} // asks the subscriber to subscribe again
	stop       chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once
}

var _ client.Watcher = (*Resolver)(nil)

// object is what the Resolver knows of one object.
type object struct {
	eps      []endpoint.Endpoint
	version  int64 // of the last pushed state applied; 0 for queries
	watchers map[int]func([]endpoint.Endpoint)
}

// New returns a Resolver for the registries of cfg.Locator.
func New(cfg Config) (*Resolver, error) {
	queryProxy, err := Sibling(cfg.Locator, "")
	if err != nil {
		return nil, err
	}
	watchProxy, _ := Sibling(cfg.Locator, registry.WatchObj)
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Resolver{cfg: cfg, log: cfg.Logger, objs: map[string]*object{},
		kick: make(chan struct{}, 1), stop: make(chan struct{})}
	opts := append([]client.Option{client.WithTimeout(cfg.Timeout), client.WithLogger(cfg.Logger)}, cfg.ClientOptions...)
	if r.qc, err = client.New(queryProxy, opts...); err != nil {
		return nil, err
	}
	r.query = queryf.NewQueryFClient(r.qc)
	if !cfg.NoPush {
		wopts := append(opts, client.WithPushHandler(r.onPush), client.WithConnHook(r.onConn),
			// A registry that went away is retried soon, not after 30 s.
			client.WithShield(client.Shield{Disabled: true}))
		if r.wc, err = client.New(watchProxy, wopts...); err != nil {
			r.qc.Close()
			return nil, err
		}
		r.watch = queryf.NewWatchClient(r.wc)
		r.wg.Add(1)
		go r.subscriber()
	}
	r.wg.Add(1)
	go r.poller()
	return r, nil
}

// Close stops updates and closes the registry connections.
func (r *Resolver) Close() error {
	r.closeOnce.Do(func() {
		close(r.stop)
		r.wg.Wait()
		r.qc.Close()
		if r.wc != nil {
			r.wc.Close()
		}
	})
	return nil
}

// Resolve queries the registry for obj's endpoints; when it cannot be
// reached (or knows none), the disk cache answers.
func (r *Resolver) Resolve(ctx context.Context, obj string) ([]endpoint.Endpoint, error) {
	eps, err := r.queryOne(ctx, obj)
	eps = usable(eps)
	if err == nil && len(eps) > 0 {
		r.apply(obj, eps, 0, true)
		return eps, nil
	}
	if r.cfg.CacheDir != "" {
		cached, v, cerr := readCache(r.cfg.CacheDir, obj, r.cfg.SetID)
		if cerr != nil {
			r.log.Warn("locator: unreadable endpoint cache", "obj", obj, "err", cerr)
		}
		if len(cached) > 0 {
			r.log.Warn("locator: registry unavailable, using cached endpoints", "obj", obj, "err", err,
				"endpoints", endpoint.FormatList(cached))
			r.seed(obj, cached, v)
			return cached, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, nil // known to the registry with no active endpoint: wait for one
}

// Watch implements client.Watcher.
func (r *Resolver) Watch(obj string, update func([]endpoint.Endpoint)) (stop func()) {
	r.mu.Lock()
	o := r.obj(obj)
	id := r.nextID
	r.nextID++
	fresh := len(o.watchers) == 0
	o.watchers[id] = update
	r.mu.Unlock()
	if fresh {
		r.resubscribe()
	}
	return func() {
		r.mu.Lock()
		delete(o.watchers, id)
		if len(o.watchers) == 0 {
			delete(r.objs, obj)
		}
		r.mu.Unlock()
	}
}

// Endpoints returns the endpoints last known for obj.
func (r *Resolver) Endpoints(obj string) []endpoint.Endpoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.objs[obj]; o != nil {
		return slices.Clone(o.eps)
	}
	return nil
}

func (r *Resolver) obj(name string) *object {
	o := r.objs[name]
	if o == nil {
		o = &object{watchers: map[int]func([]endpoint.Endpoint){}}
		r.objs[name] = o
	}
	return o
}

// queryOne asks the registry once, with the query TARS clients use.
func (r *Resolver) queryOne(ctx context.Context, obj string) ([]endpoint.Endpoint, error) {
	ctx, cancel := context.WithTimeout(client.WithIdempotent(ctx), r.cfg.Timeout)
	defer cancel()
	var ret int32
	var active []queryf.EndpointF
	var err error
	if r.cfg.SetID != "" {
		ret, active, _, err = r.query.FindObjectByIdInSameSet(ctx, obj, r.cfg.SetID)
	} else {
		ret, active, _, err = r.query.FindObjectByIdInSameGroup(ctx, obj)
	}
	if err != nil {
		return nil, fmt.Errorf("locator: query %s: %w", obj, err)
	}
	if ret != 0 {
		return nil, fmt.Errorf("locator: query %s: registry returned %d", obj, ret)
	}
	return registry.FromEndpointFs(active), nil
}

// seed records endpoints from the cache without telling anyone.
func (r *Resolver) seed(obj string, eps []endpoint.Endpoint, version int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.obj(obj)
	if len(o.eps) == 0 {
		o.eps = eps
	}
	_ = version // a cached version is no reason to drop the next push
}

// apply records a new endpoint list of obj and tells its watchers. version
// is that of a pushed state (older ones are dropped) or 0 for a query;
// query results are applied only while no subscription keeps the list
// current, or when force is set (the first resolution).
func (r *Resolver) apply(obj string, eps []endpoint.Endpoint, version int64, force bool) {
	eps = usable(eps)
	if len(eps) == 0 {
		return // as TARS: an empty active list is ignored
	}
	r.mu.Lock()
	o := r.obj(obj)
	if version != 0 && version < o.version {
		r.mu.Unlock()
		return
	}
	if version == 0 && !force && r.subscribed.Load() {
		r.mu.Unlock()
		return
	}
	if version != 0 {
		o.version = version
	}
	if slices.Equal(o.eps, eps) {
		r.mu.Unlock()
		return
	}
	o.eps = eps
	watchers := make([]func([]endpoint.Endpoint), 0, len(o.watchers))
	for _, w := range o.watchers {
		watchers = append(watchers, w)
	}
	if len(o.watchers) == 0 && !force {
		delete(r.objs, obj) // nobody watches it any more
	}
	r.mu.Unlock()
	for _, w := range watchers {
		w(slices.Clone(eps))
	}
	if r.cfg.CacheDir != "" {
		r.cacheMu.Lock()
		if err := writeCache(r.cfg.CacheDir, obj, r.cfg.SetID, version, eps); err != nil {
			r.log.Warn("locator: writing endpoint cache", "obj", obj, "err", err)
		}
		r.cacheMu.Unlock()
	}
}

// watched returns the objects with watchers.
func (r *Resolver) watched() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var objs []string
	for name, o := range r.objs {
		if len(o.watchers) > 0 {
			objs = append(objs, name)
		}
	}
	slices.Sort(objs)
	return objs
}

// poller queries the registry every RefreshInterval while no subscription
// is live.
func (r *Resolver) poller() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		if r.subscribed.Load() {
			continue
		}
		for _, obj := range r.watched() {
			eps, err := r.queryOne(context.Background(), obj)
			if err != nil {
				r.log.Debug("locator: refresh failed, keeping the last endpoints", "obj", obj, "err", err)
				continue
			}
			r.apply(obj, eps, 0, false)
		}
	}
}

// onPush handles a registry push (client.WithPushHandler).
func (r *Resolver) onPush(p *protocol.ResponsePacket) {
	if p.ResultDesc != registry.PushDesc {
		return
	}
	ch, err := registry.DecodeChange(p.Buffer)
	if err != nil {
		r.log.Warn("locator: bad change push", "err", err)
		return
	}
	r.apply(ch.Id, registry.FromEndpointFs(ch.ActiveEp), ch.Version, false)
}

// onConn notes connections to the registry coming and going: a
// subscription lives on one connection, so a lost one is renewed.
func (r *Resolver) onConn(_ endpoint.Endpoint, up bool) {
	// Only the loss of a live subscription asks for a new one at once:
	// failed dials during retries are the subscriber's back-off's to pace.
	if !up && r.subscribed.Swap(false) {
		r.resubscribe()
	}
}

func (r *Resolver) resubscribe() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// subscriber (re)subscribes to the watched objects whenever asked,
// retrying with back-off until a registry accepts.
func (r *Resolver) subscriber() {
	defer r.wg.Done()
	backoff := minResubscribe
	var retry <-chan time.Time
	for {
		select {
		case <-r.stop:
			return
		case <-r.kick:
		case <-retry:
		}
		retry = nil
		objs := r.watched()
		if len(objs) == 0 {
			continue
		}
		items := make([]queryf.WatchItem, len(objs))
		for i, o := range objs {
			items[i] = queryf.WatchItem{Id: o, SetId: r.cfg.SetID}
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
		ret, current, err := r.watch.Watch(ctx, items)
		cancel()
		if err == nil && ret != 0 {
			err = fmt.Errorf("registry returned %d", ret)
		}
		if err != nil {
			r.subscribed.Store(false)
			r.log.Debug("locator: subscribing failed; polling meanwhile", "err", err, "retry", backoff)
			retry = time.After(backoff)
			backoff = min(backoff*2, maxResubscribe)
			continue
		}
		backoff = minResubscribe
		r.subscribed.Store(true)
		for _, ch := range current {
			r.apply(ch.Id, registry.FromEndpointFs(ch.ActiveEp), ch.Version, false)
		}
	}
}

// usable drops endpoints no client could dial (no host, no port), which a
// faulty registry could send.
func usable(eps []endpoint.Endpoint) []endpoint.Endpoint {
	out := eps[:0:0]
	for _, ep := range eps {
		if ep.Host != "" && ep.Port > 0 && ep.Port <= 65535 {
			out = append(out, ep)
		}
	}
	return out
}
