// Package simkubelet simulates kubelets: it registers Nodes, keeps their
// Leases and Ready condition fresh, and reports Pods bound to them as Running
// with a pod IP, without running any container. This is for tests, the local
// playground and scale tests (as kubemark's hollow nodes and kwok are); it is
// named as a simulation everywhere it shows: in the node label
// outpost.io/simulated=true, the kubelet version and the container IDs.
//
// Everything goes through the Kubernetes API endpoint it is given, so the
// edge cache proxy can sit in between, as it will for a real kubelet.
package simkubelet
