// Package registry is Outpost's TARS name service: the QueryF servant that
// unmodified TARS clients resolve object names through (QueryObj), a push
// servant that streams changes to Outpost clients (WatchObj), and
// registration of processes that run outside Kubernetes (RegisterObj).
// The client side is package locator (resolution) and package
// registration (self-registration); the wire is in queryf/*.tars.
//
// The registry itself keeps no state: it serves a Source, kept current by a
// backend. The Kubernetes backend (internal/registry in the platform
// module) derives instances from the API; the memory backend in this
// package serves development without Kubernetes.
package registry

import (
	"context"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
)

// Instance is one endpoint of a servant object.
type Instance struct {
	Object   string            // "App.Server.Obj"
	Endpoint endpoint.Endpoint // where it listens; Weight and WeightType carry its weight
	Active   bool              // ready to take calls
	NodeName string            // the node or host it runs on
	Group    string            // locality (IDC group, the site of its node); "" when unknown
	SetID    string            // "name.area.group" when set routing is enabled for it, else ""
}

// Source is the registry's view of the instances of every object.
type Source interface {
	// Instances returns every instance of obj, active and inactive. The
	// slice belongs to the caller.
	Instances(obj string) []Instance
	// GroupOf returns the locality of a caller by its IP address (for
	// findObjectByIdInSameGroup), or "" when it is not known.
	GroupOf(ip string) string
	// Subscribe calls changed(obj) after the instances of obj change,
	// until cancel is called. changed must not block.
	Subscribe(changed func(obj string)) (cancel func())
}

// Registrar records processes that register themselves: servers outside
// Kubernetes (a binary on an edge box, a developer's laptop).
type Registrar interface {
	// Register adds or refreshes inst. It expires ttl after the last
	// Register unless refreshed again.
	Register(ctx context.Context, inst Instance, ttl time.Duration) error
	// Deregister removes inst, matched by Object and the endpoint's
	// transport, host and port.
	Deregister(ctx context.Context, inst Instance) error
}
