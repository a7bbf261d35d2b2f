// Package tunnel is the cloud side of the cloud–edge tunnel: edge agents
// behind NAT dial out to `outpost server` over mutually authenticated TLS,
// and everything the cloud sends to a node (kubelet logs and exec through the
// API server's egress, `outpost ssh`, the HTTP proxy to node and pod
// addresses) rides on yamux streams inside that one connection.
//
// The pieces, one file each:
//
//   - server.go: Server, DialNode (the entry point other packages use), the
//     agent-facing listener (join, connect, forwarding between replicas).
//   - session.go: one connected agent; opening a stream to an address.
//   - ca.go, join.go, certs.go: the tunnel CA shared by all replicas (a
//     Secret), bootstrap-token join and certificate renewal, and the record
//     of the one certificate each node may use (revocation).
//   - owner.go, peer.go: which replica holds a node's connection (one Lease
//     per node), and forwarding a dial to that replica.
//   - proxy.go, authn.go, resolve.go: the user-facing HTTPS endpoint (HTTP
//     CONNECT for ssh and TCP, plain HTTP proxying to node and pod
//     addresses), authenticated like the API server and authorized with
//     SubjectAccessReview on nodes/proxy; every stream is audited.
//
// The agent side is in package tunnel/agent, bootstrap tokens in
// tunnel/token and the per-stream dial header in tunnel/wire.
package tunnel
