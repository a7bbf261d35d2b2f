package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/outpost-edge/outpost/tars/protocol"
	"github.com/outpost-edge/outpost/tars/registry/queryf"
	"github.com/outpost-edge/outpost/tars/servant"
)

// TTL bounds for self-registrations: a TTL below MinTTL would have the
// registry churn on heartbeats; one above MaxTTL would keep a dead process
// listed for too long.
const (
	MinTTL = time.Second
	MaxTTL = 10 * time.Minute
	// maxRegistrations bounds one register call.
	maxRegistrations = 1024
)

// register serves the Register interface through a Registrar.
type register struct{ reg Registrar }

var _ queryf.RegisterServant = register{}

// instance converts and checks a registration.
func (register) instance(ctx context.Context, r queryf.Registration) (Instance, error) {
	if err := checkObject(r.Id); err != nil {
		return Instance{}, err
	}
	ep := FromEndpointF(r.Ep)
	if ep.Port <= 0 || ep.Port > 65535 {
		return Instance{}, fmt.Errorf("registration of %s: bad port %d", r.Id, ep.Port)
	}
	// A server listening on every interface registers as the address the
	// registry sees it connect from.
	if ep.Host == "" || ep.Host == "*" || ep.Host == "0.0.0.0" || ep.Host == "::" {
		ep.Host = callerIP(ctx)
	}
	if ep.Host == "" {
		return Instance{}, fmt.Errorf("registration of %s: no host", r.Id)
	}
	return Instance{Object: r.Id, Endpoint: ep, Active: true, NodeName: r.Ep.NodeName,
		Group: r.Group, SetID: r.Ep.SetId}, nil
}

func (g register) Register(ctx context.Context, items []queryf.Registration) (int32, error) {
	return g.each(ctx, items, func(inst Instance, it queryf.Registration) error {
		ttl := min(max(time.Duration(it.TtlMs)*time.Millisecond, MinTTL), MaxTTL)
		return g.reg.Register(ctx, inst, ttl)
	})
}

func (g register) Deregister(ctx context.Context, items []queryf.Registration) (int32, error) {
	return g.each(ctx, items, func(inst Instance, _ queryf.Registration) error {
		return g.reg.Deregister(ctx, inst)
	})
}

// each checks and converts every item, then applies f to each in turn.
func (g register) each(ctx context.Context, items []queryf.Registration, f func(Instance, queryf.Registration) error) (int32, error) {
	if len(items) > maxRegistrations {
		return 0, badRequest(fmt.Errorf("%d registrations in one call (max %d)", len(items), maxRegistrations))
	}
	insts := make([]Instance, len(items))
	for i, it := range items {
		inst, err := g.instance(ctx, it)
		if err != nil {
			return 0, badRequest(err)
		}
		insts[i] = inst
	}
	for i, inst := range insts {
		if err := f(inst, items[i]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func badRequest(err error) error {
	return &servant.Error{Code: protocol.ServerDecodeErr, Message: err.Error(), Err: err}
}
