package registry

import (
	"log/slog"

	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
)

// DefaultPort is the registry's port in TARS deployments (locator
// "tars.tarsregistry.QueryObj@tcp -h <registry> -p 17890").
const DefaultPort = 17890

// Config configures a Registry.
type Config struct {
	Source    Source    // required
	Registrar Registrar // nil: RegisterObj is not served
	Rules     Rules
	Logger    *slog.Logger
}

// Registry serves the name service objects from a Source: QueryObj (TARS
// QueryF), WatchObj (push to Outpost clients) and, with a Registrar,
// RegisterObj (self-registration).
type Registry struct {
	cfg   Config
	query *query
	watch *watch
}

// New returns a Registry. Close stops its push goroutine.
func New(cfg Config) *Registry {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Registry{cfg: cfg,
		query: &query{src: cfg.Source, rules: cfg.Rules},
		watch: newWatch(cfg.Source, cfg.Rules, cfg.Logger)}
}

// Dispatchers returns the registry's servants by object name.
func (r *Registry) Dispatchers() map[string]servant.Dispatcher {
	m := map[string]servant.Dispatcher{
		QueryObj: queryf.NewQueryFDispatcher(r.query),
		WatchObj: queryf.NewWatchDispatcher(r.watch),
	}
	if r.cfg.Registrar != nil {
		m[RegisterObj] = queryf.NewRegisterDispatcher(register{r.cfg.Registrar})
	}
	return m
}

// Mount serves the registry's objects on ad. TARS binds one servant per
// port, but TARS clients only ever address QueryObj, so sharing the port
// costs them nothing and gives Outpost clients one address for all three.
func (r *Registry) Mount(ad *server.Adapter) {
	for obj, d := range r.Dispatchers() {
		ad.Handle(obj, d)
	}
}

// Watchers returns how many connections are subscribed to changes.
func (r *Registry) Watchers() int { return r.watch.watchers() }

// Close stops pushing changes.
func (r *Registry) Close() { r.watch.close() }
