package egress

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Nodes maps the addresses the API server dials to the nodes they belong
// to, from an informer on Nodes: every status address (and the node name)
// alone, and with the node's kubelet port. An address and port names a
// node even when several nodes share an IP (simulated nodes do); an IP
// alone only when one node has it.
type Nodes struct {
	informer cache.SharedIndexInformer
}

const indexAddr = "addr"

// NewNodes creates the index; call Run to fill it.
func NewNodes(client kubernetes.Interface) (*Nodes, error) {
	inf := informers.NewSharedInformerFactory(client, 0).Core().V1().Nodes().Informer()
	// Nodes change status every minute or so; only the addresses matter.
	if err := inf.SetTransform(func(obj any) (any, error) {
		if n, ok := obj.(*corev1.Node); ok {
			return &corev1.Node{
				ObjectMeta: n.ObjectMeta,
				Status: corev1.NodeStatus{
					Addresses:       n.Status.Addresses,
					DaemonEndpoints: n.Status.DaemonEndpoints,
				},
			}, nil
		}
		return obj, nil
	}); err != nil {
		return nil, err
	}
	if err := inf.AddIndexers(cache.Indexers{indexAddr: addrKeys}); err != nil {
		return nil, err
	}
	return &Nodes{informer: inf}, nil
}

// addrKeys are the index keys of a node: "ip" and "ip:kubeletPort" for
// each address and for its name.
func addrKeys(obj any) ([]string, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return nil, nil
	}
	port := strconv.Itoa(int(n.Status.DaemonEndpoints.KubeletEndpoint.Port))
	hosts := []string{n.Name}
	for _, a := range n.Status.Addresses {
		hosts = append(hosts, a.Address)
	}
	keys := make([]string, 0, 2*len(hosts))
	for _, h := range hosts {
		keys = append(keys, h, net.JoinHostPort(h, port))
	}
	return keys, nil
}

// Run keeps the index up to date until ctx ends.
func (n *Nodes) Run(ctx context.Context) { n.informer.Run(ctx.Done()) }

// WaitSynced waits up to timeout for the first list.
func (n *Nodes) WaitSynced(ctx context.Context, timeout time.Duration) error {
	if n.informer.HasSynced() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if !cache.WaitForCacheSync(ctx.Done(), n.informer.HasSynced) {
		return fmt.Errorf("the node list is not loaded yet")
	}
	return nil
}

// Lookup finds the node that addr ("host:port") belongs to, and the route
// its LabelEgress asks for.
func (n *Nodes) Lookup(addr string) (node, route string, ok bool) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", false
	}
	for _, key := range []string{addr, host} {
		objs, err := n.informer.GetIndexer().ByIndex(indexAddr, key)
		if err != nil || len(objs) != 1 {
			continue // none, or ambiguous
		}
		nd := objs[0].(*corev1.Node)
		return nd.Name, nd.Labels[LabelEgress], true
	}
	return "", "", false
}
