// Package egress carries the API server's traffic to nodes: the kubelet
// port for `kubectl logs`, `exec`, `attach`, `port-forward` and metrics.
//
// kube-apiserver has an egress selector (as konnectivity uses): given an
// EgressSelectorConfiguration whose "cluster" selection says HTTPConnect,
// it opens every connection to a node, pod or service address by sending
// `CONNECT ip:port` to a proxy. Server is that proxy, inside `outpost
// server`. It finds the node that owns the address (Nodes, an informer on
// status.addresses and the kubelet port) and asks a NodeDialer for the
// connection: the tunnel's, for an edge node whose agent is connected,
// or a plain dial (Direct) for nodes the cloud reaches itself. An edge
// node that is not connected fails at once with a message the API server
// passes on to kubectl, instead of the dial hanging on a NATed address.
//
//   - dialer.go: NodeDialer, Direct and Router (which dialer serves a node).
//   - nodes.go: Nodes, the address → node index.
//   - server.go: Server, the HTTP CONNECT endpoint (unix socket for the
//     embedded API server; mutual TLS over TCP for an attached cluster).
//   - config.go: the EgressSelectorConfiguration file written for it.
package egress
