/*
Package edgeproxy is the API cache proxy of `outpost agent`.

Every Kubernetes client on an edge node (kubelet, kube-proxy, CNI, Outpost's
agents, pods with in-cluster config) talks to the cloud API server through
it. It records what each client reads, durably, and answers from that record
when the cloud cannot be reached, so that the node keeps working through a
cut and starts again after a reboot with the cloud still away.

# Identity

The proxy terminates TLS (serving certificate from the agent's own CA, or
one given) and verifies client certificates against the cluster CA. A
request reaches the API server as the client that made it:

  - client certificate, key held by the proxy (ClientCredentials, typically
    the kubelet's own key pair, which the node holds anyway): the proxy
    presents that very certificate. The API server authenticates it itself.
    This mode gives the proxy no power the node does not already have.
  - other client certificate: the proxy authenticates with the front-proxy
    client certificate and passes the user (CN) and groups (O) in
    X-Remote-User / X-Remote-Group, with the certificate's fingerprint as
    the credential id (X-Remote-Extra-), as the API server's request-header
    authentication expects. Node and RBAC authorizers then apply as for a
    direct request. Any X-Remote-* header a client sends is dropped. The
    front-proxy key lets its holder speak for any user: give it to nodes
    only where that is acceptable, otherwise use own-certificate mode.
  - bearer token: forwarded unchanged, over a connection without a client
    certificate.
  - nothing: forwarded as is (anonymous).

A certificate the proxy can speak for in neither way is refused (403).

# Cache partitions

Everything cached belongs to a partition derived from the identity the API
server sees: user, uid, groups and extra (minus the per-credential id, so a
renewed certificate or a rotated token keeps its cache). For certificates
that is CN and O. For a token the proxy asks the API server who it is (a
SelfSubjectReview made with the token itself) the first time it sees it
online, and remembers it until the token expires; a token never verified
online is served nothing offline. What was cached for one identity is never
served to another, even one that may read the same objects.

# What is recorded, and where

Within a partition, a view is a collection as listed or watched:
(group/version/resource, namespace, canonical label selector, canonical
field selector). Its objects are kept with their resourceVersions in the
encoding they came in (JSON, or protobuf without the envelope), converted
when a client asks for the other. A view also keeps a log of the last
changes (default 1000) for watch replay. Gets are kept as objects by name;
so are the objects writes return (the identity wrote them). Token requests
are kept with their expiry; discovery and /version as raw bodies. See
package store for the bbolt layout: lists are written item by item into a
new generation and switched to atomically, so no list is held whole in
memory and a crash leaves the previous state; a list that repeats the view
writes nothing but its resourceVersion. What waits for the disk is bounded
(32 MiB queued for the writer, 64 chunks between the client's response and
the parser), so a list larger than memory streams through at the pace of the
slower of client and disk.

Lists are recorded from the response as the client reads it (a copy goes
to a parser goroutine; compressed responses pass through compressed and
are inflated for the parser). Watch events are written durably before the
client sees them, so a client never holds a resourceVersion the cache
lacks; watch-list streams (sendInitialEvents) are recorded as a list ended
by their initial-events-end bookmark.

# Online, offline

An active probe of the cloud's /readyz (default every 1s, 2s timeout)
decides the state: two failures in a row (the second tried at once) mean
offline, a refused or reset connection at once; two successes mean online.
A request that fails to reach the cloud triggers a probe and, if it is a
read, is answered from the cache; reads waiting on a blackholed link are
answered from the cache as soon as the probe calls the cloud unreachable.
While offline, nothing waits on the cloud.

Offline:

  - get and list answer from the cache with the view's resourceVersion,
    honouring resourceVersion/resourceVersionMatch (410 for an Exact one
    the cache lacks, "too large resource version" for one ahead of it),
    with limit/continue paging; kubectl's Table requests get plain objects.
  - a watch is a real watch: initial events (watch-list, or RV 0/""), or a
    replay of the logged changes after the requested resourceVersion, then
    bookmarks until the cloud is back; 410 when the log does not reach back
    that far.
  - writes fail at once with 503 and Retry-After, except what a kubelet
    needs (its own identity only): node registration is answered 409
    AlreadyExists from the cached Node; lease renewals and node status are
    acknowledged locally (heartbeats the kubelet re-sends once the cloud is
    back); ServiceAccount TokenRequests get the last real token the cloud
    issued for the same request while it is valid. No token is ever made up.

# Reconnect

A watch proxied to the cloud does not end when the link breaks: the client's
stream stays open (bookmarks at the last resourceVersion forwarded), and
when the cloud is back the proxy resumes the watch from there; the client
sees one uninterrupted watch. If the cloud cannot resume it (410), the
client gets the 410 and lists again. Watches served from the cache end
when the cloud is back; clients resume them at the cloud from the last
resourceVersion, which the cache took from the cloud. Collections no client
refreshes after the cut are re-listed by the proxy as their identity, so
objects changed or deleted during the cut show up in the next cut too.

# Footprint

The cache is capped (default 512 MiB; least recently used views go first)
and forgets what was not used for a week. /healthz, /readyz and Prometheus
/metrics are served on a separate plain-HTTP loopback address.
*/
package edgeproxy
