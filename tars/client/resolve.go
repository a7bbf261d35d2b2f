package client

import (
	"context"
	"sync/atomic"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/protocol"
)

// Resolver finds the endpoints of a servant object. The client resolves
// once, when it is created; a registry-backed Resolver (the name service)
// will add refreshing.
type Resolver interface {
	Resolve(ctx context.Context, obj string) ([]endpoint.Endpoint, error)
}

// StaticResolver always resolves to the same endpoints.
type StaticResolver []endpoint.Endpoint

// Resolve returns r.
func (r StaticResolver) Resolve(context.Context, string) ([]endpoint.Endpoint, error) {
	return r, nil
}

// Picker chooses the endpoint for a call: it returns an index into eps
// (which is never empty). When that endpoint is backing off after failed
// dials the client tries the following ones in turn.
type Picker interface {
	Pick(req *protocol.RequestPacket, eps []endpoint.Endpoint) int
}

// RoundRobin returns a Picker that takes the endpoints in turn.
func RoundRobin() Picker { return new(roundRobin) }

type roundRobin struct{ n atomic.Uint32 }

func (r *roundRobin) Pick(_ *protocol.RequestPacket, eps []endpoint.Endpoint) int {
	return int(r.n.Add(1) % uint32(len(eps)))
}
