// Package registry is the Kubernetes backend of Outpost's TARS name service
// (the framework side is github.com/outpost-edge/outpost/tars/registry).
//
// Kubernetes is the source of truth. A Service labelled
// tars.outpost.io/app and tars.outpost.io/server is a TARS server; its
// named ports are its servants (tars.outpost.io/servants maps servant names
// to port names); its EndpointSlices give the instances, ready endpoints
// active and the others inactive; the outpost.io/site label of an
// endpoint's node is its Group. Processes outside Kubernetes register
// through the registry, which records each as a Lease whose renewTime and
// duration are its heartbeat and TTL. Everything is read through
// informers, so each server replica answers from the same watched state and
// none holds state of its own. docs/registry.md has the full mapping.
package registry
