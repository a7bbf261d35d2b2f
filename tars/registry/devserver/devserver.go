// Package devserver runs a registry with the in-memory backend on one
// TARS endpoint: the name service for development without Kubernetes
// (`outpost registry`) and for tests.
package devserver

import (
	"fmt"
	"log/slog"

	"github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/registry/memory"
	"github.com/outpost-edge/outpost/tars/server"
)

// Config configures a dev registry.
type Config struct {
	// Endpoint to listen on, e.g. "tcp -h 127.0.0.1 -p 17890" (port 0:
	// any free port).
	Endpoint string
	// File persists registrations ("" keeps them in memory only).
	File   string
	Rules  registry.Rules
	Logger *slog.Logger
}

// Server is a running dev registry.
type Server struct {
	Store    *memory.Store
	Registry *registry.Registry
	Srv      *server.Server
	Adapter  *server.Adapter
}

// Start listens and serves in the background.
func Start(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var opts []memory.Option
	if cfg.File != "" {
		opts = append(opts, memory.WithFile(cfg.File))
	}
	store, err := memory.New(append(opts, memory.WithLogger(cfg.Logger))...)
	if err != nil {
		return nil, err
	}
	reg := registry.New(registry.Config{Source: store, Registrar: store, Rules: cfg.Rules, Logger: cfg.Logger})
	srv := server.New(server.WithLogger(cfg.Logger))
	ad, err := srv.Listen(cfg.Endpoint)
	if err != nil {
		reg.Close()
		store.Close()
		return nil, fmt.Errorf("registry: %w", err)
	}
	reg.Mount(ad)
	go srv.Serve()
	return &Server{Store: store, Registry: reg, Srv: srv, Adapter: ad}, nil
}

// Locator returns the locator string clients use to reach this registry.
func (s *Server) Locator() string {
	return registry.QueryObj + "@" + s.Adapter.Endpoint().String()
}

// Close stops the server at once (a registry crash, for tests) and its
// backend.
func (s *Server) Close() {
	s.Srv.Close()
	s.Registry.Close()
	s.Store.Close()
}
