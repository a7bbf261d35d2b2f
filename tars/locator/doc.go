// Package locator resolves servant object names through the registry, the
// client side of the name service. A Resolver is configured like a TARS
// client's locator setting:
//
//	locator = tars.tarsregistry.QueryObj@tcp -h 10.0.0.1 -p 17890:tcp -h 10.0.0.2 -p 17890
//
// and passed to client.New with client.WithResolver for object names
// without '@'. Several registry endpoints give high availability: queries
// go to any of them, and one that fails is skipped (dead-node shielding
// and retries of the client package, queries being idempotent).
//
// How a client's endpoint list is kept current:
//
//   - On creation, one QueryF call (findObjectByIdInSameGroup, or
//     findObjectByIdInSameSet with a set id), as TARS clients do.
//   - Push: the Resolver subscribes to the objects it watches through the
//     registry's WatchObj (Outpost registries only). Changes arrive as TARS
//     server pushes on that connection, within milliseconds. When the
//     connection ends, the Resolver subscribes again (to another registry
//     if need be) and gets the current state back in the reply.
//   - Polling fallback: every RefreshInterval (TARS's 60 s) while no
//     subscription is live, for instance against a TARS registry.
//   - Disk cache: with CacheDir, the last list of each object is written to
//     a file, read when the registry cannot be reached at creation, so that
//     a client restarted during a registry outage still works.
//
// As in TARS, an empty active list from the registry is ignored: the
// client keeps calling the endpoints it knows (dead ones are shielded by
// the client) rather than having none.
package locator
