package egress

import (
	"context"
	"fmt"
	"net"
	"time"
)

// NodeDialer opens a connection to addr as seen from the node named node.
// The tunnel server (internal/tunnel.Server) is one; Direct is another.
type NodeDialer interface {
	DialNode(ctx context.Context, node, addr string) (net.Conn, error)
}

// Direct dials the address from this host, as the API server would
// without an egress selector.
type Direct struct {
	// Timeout bounds the dial (default 10s).
	Timeout time.Duration
}

// DialNode dials addr, ignoring node.
func (d Direct) DialNode(ctx context.Context, _, addr string) (net.Conn, error) {
	dialer := net.Dialer{Timeout: d.Timeout, KeepAlive: 30 * time.Second}
	if dialer.Timeout == 0 {
		dialer.Timeout = 10 * time.Second
	}
	return dialer.DialContext(ctx, "tcp", addr)
}

// LabelEgress on a node chooses how the API server reaches it:
// "tunnel" (only through its agent's tunnel: fail at once when the agent
// is not connected), "direct" (never through the tunnel). Without the
// label, the tunnel is used when the node's agent is connected and a
// direct dial, bounded by Router.FallbackTimeout, otherwise.
const LabelEgress = "outpost.io/egress"

// Routes a node can have (values of LabelEgress; "" is automatic).
const (
	RouteAuto   = ""
	RouteTunnel = "tunnel"
	RouteDirect = "direct"
)

// Router picks the dialer for a node.
type Router struct {
	// Tunnel dials through edge agents' tunnels; nil when this server
	// runs no tunnel.
	Tunnel NodeDialer
	// NotConnected tells a Tunnel error that means "this node has no
	// tunnel" (a cloud node, or an agent that is away) from a failure of
	// a dial the agent attempted.
	NotConnected func(error) bool
	// Direct dials from this host (default Direct{}).
	Direct NodeDialer
	// FallbackTimeout bounds the direct dial after the tunnel said the
	// node is not connected, so that a NATed edge node fails fast
	// (default 3s).
	FallbackTimeout time.Duration
}

// DialNode connects to addr on node, along route (one of the Route
// constants).
func (r *Router) DialNode(ctx context.Context, node, route, addr string) (net.Conn, error) {
	direct := r.Direct
	if direct == nil {
		direct = Direct{}
	}
	switch route {
	case RouteDirect:
		return direct.DialNode(ctx, node, addr)
	case RouteTunnel:
		if r.Tunnel == nil {
			return nil, fmt.Errorf("node %s is reached only through the tunnel (label %s=%s), and this server runs no tunnel", node, LabelEgress, RouteTunnel)
		}
		return r.Tunnel.DialNode(ctx, node, addr)
	}
	var tunnelErr error
	if r.Tunnel != nil {
		conn, err := r.Tunnel.DialNode(ctx, node, addr)
		if err == nil || r.NotConnected == nil || !r.NotConnected(err) {
			return conn, err
		}
		tunnelErr = err
	}
	fallback := r.FallbackTimeout
	if fallback == 0 {
		fallback = 3 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, fallback)
	defer cancel()
	conn, err := direct.DialNode(dctx, node, addr)
	if err != nil && tunnelErr != nil {
		return nil, fmt.Errorf("%v, and dialing %s directly failed: %v", tunnelErr, addr, err)
	}
	return conn, err
}
