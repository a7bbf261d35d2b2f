// Package memory is a name service backend that keeps instances in
// memory, for development and tests without Kubernetes: it implements
// registry.Source and registry.Registrar. Registrations expire after their
// TTL; instances added with Set never expire. With a file, registrations
// survive a restart of the registry (their TTLs keep running).
package memory

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/outpost-edge/outpost/tars/registry"
)

// Store is an in-memory registry.Source and registry.Registrar.
type Store struct {
	file string
	log  *slog.Logger

	mu      sync.Mutex
	objs    map[string]map[string]*entry // object -> endpoint key -> entry
	groups  []groupRule
	subs    map[int]func(string)
	nextSub int
	timer   *time.Timer // fires at the earliest expiry
	closed  bool
}

type entry struct {
	inst    registry.Instance
	expires time.Time // zero: never
}

type groupRule struct {
	prefix netip.Prefix
	group  string
}

var (
	_ registry.Source    = (*Store)(nil)
	_ registry.Registrar = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithFile persists registrations to path (JSON), loaded by New.
func WithFile(path string) Option { return func(s *Store) { s.file = path } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// New returns an empty store, or the one saved in its file.
func New(opts ...Option) (*Store, error) {
	s := &Store{objs: map[string]map[string]*entry{}, subs: map[int]func(string){}, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	if s.file != "" {
		if err := s.load(); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.expireLocked(time.Now())
	s.mu.Unlock()
	return s, nil
}

// Close stops expiry timers.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// SetGroup maps callers in prefix (e.g. "10.1.0.0/16") to an IDC group;
// the longest matching prefix wins.
func (s *Store) SetGroup(prefix netip.Prefix, group string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = append(s.groups, groupRule{prefix.Masked(), group})
}

// GroupOf implements registry.Source.
func (s *Store) GroupOf(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	addr = addr.Unmap()
	s.mu.Lock()
	defer s.mu.Unlock()
	best, bits := "", -1
	for _, g := range s.groups {
		if g.prefix.Contains(addr) && g.prefix.Bits() > bits {
			best, bits = g.group, g.prefix.Bits()
		}
	}
	return best
}

// Instances implements registry.Source.
func (s *Store) Instances(obj string) []registry.Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.objs[obj]
	out := make([]registry.Instance, 0, len(m))
	for _, e := range m {
		out = append(out, e.inst)
	}
	return out
}

// Subscribe implements registry.Source.
func (s *Store) Subscribe(changed func(obj string)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = changed
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// Set adds or replaces a permanent instance (a statically configured
// server, or a test's).
func (s *Store) Set(inst registry.Instance) { s.put(inst, time.Time{}) }

// Remove removes an instance, matched by object and endpoint key.
func (s *Store) Remove(inst registry.Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.objs[inst.Object]; m != nil {
		if _, ok := m[registry.Key(inst.Endpoint)]; ok {
			delete(m, registry.Key(inst.Endpoint))
			if len(m) == 0 {
				delete(s.objs, inst.Object)
			}
			s.changedLocked(inst.Object)
		}
	}
}

// Register implements registry.Registrar.
func (s *Store) Register(_ context.Context, inst registry.Instance, ttl time.Duration) error {
	s.put(inst, time.Now().Add(ttl))
	return nil
}

// Deregister implements registry.Registrar.
func (s *Store) Deregister(_ context.Context, inst registry.Instance) error {
	s.Remove(inst)
	return nil
}

func (s *Store) put(inst registry.Instance, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.objs[inst.Object]
	if m == nil {
		m = map[string]*entry{}
		s.objs[inst.Object] = m
	}
	key := registry.Key(inst.Endpoint)
	old := m[key]
	m[key] = &entry{inst: inst, expires: expires}
	// A heartbeat that changes nothing but the expiry is no change.
	if old == nil || old.inst != inst {
		s.changedLocked(inst.Object)
	} else if s.file != "" {
		s.saveLocked()
	}
	s.armLocked()
}

// changedLocked tells subscribers and saves the file.
func (s *Store) changedLocked(obj string) {
	for _, f := range s.subs {
		f(obj)
	}
	if s.file != "" {
		s.saveLocked()
	}
}

// expireLocked removes the registrations expired at now.
func (s *Store) expireLocked(now time.Time) {
	for obj, m := range s.objs {
		for key, e := range m {
			if !e.expires.IsZero() && !now.Before(e.expires) {
				s.log.Info("tars registry: registration expired", "obj", obj, "endpoint", e.inst.Endpoint.String())
				delete(m, key)
				if len(m) == 0 {
					delete(s.objs, obj)
				}
				s.changedLocked(obj)
			}
		}
	}
	s.armLocked()
}

// armLocked sets the timer to the earliest expiry.
func (s *Store) armLocked() {
	if s.closed {
		return
	}
	var next time.Time
	for _, m := range s.objs {
		for _, e := range m {
			if !e.expires.IsZero() && (next.IsZero() || e.expires.Before(next)) {
				next = e.expires
			}
		}
	}
	if next.IsZero() {
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(time.Until(next), s.onTimer)
		return
	}
	s.timer.Reset(time.Until(next))
}

func (s *Store) onTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.expireLocked(time.Now())
	}
}
