package tunnel

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// resolver maps what a cloud-side client asks for (a node name, a node
// address or a pod IP) to the node whose tunnel reaches it, from informers:
// no DNS or iptables tricks on the API server (SuperEdge hijacked node-name
// DNS; KubeEdge redirects the kubelet port with iptables).
type resolver struct {
	nodes cache.SharedIndexInformer
	pods  cache.SharedIndexInformer
}

const indexIP = "ip"

func newResolver(f informers.SharedInformerFactory) *resolver {
	r := &resolver{nodes: f.Core().V1().Nodes().Informer(), pods: f.Core().V1().Pods().Informer()}
	_ = r.nodes.AddIndexers(cache.Indexers{indexIP: func(obj any) ([]string, error) {
		n, ok := obj.(*corev1.Node)
		if !ok {
			return nil, nil
		}
		var ips []string
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
				ips = append(ips, a.Address)
			}
		}
		return ips, nil
	}})
	// Only where a pod runs and its IPs are kept: a cluster's pods would
	// otherwise cost every replica megabytes of specs it never reads.
	_ = r.pods.SetTransform(func(obj any) (any, error) {
		p, ok := obj.(*corev1.Pod)
		if !ok {
			return obj, nil
		}
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion},
			Spec:       corev1.PodSpec{NodeName: p.Spec.NodeName, HostNetwork: p.Spec.HostNetwork},
			Status:     corev1.PodStatus{PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs, Phase: p.Status.Phase},
		}, nil
	})
	_ = r.pods.AddIndexers(cache.Indexers{indexIP: func(obj any) ([]string, error) {
		p, ok := obj.(*corev1.Pod)
		if !ok || p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			return nil, nil
		}
		var ips []string
		for _, ip := range p.Status.PodIPs {
			ips = append(ips, ip.IP)
		}
		return ips, nil
	}})
	return r
}

// target resolves host (node name, node IP or pod IP) and port to the node
// and the address to dial from it. A node name is reached at its loopback
// address, so services bound to localhost on the node (sshd often is, in
// hardened setups) are reachable.
func (r *resolver) target(host, port string) (node, addr string, err error) {
	if ip := net.ParseIP(host); ip != nil {
		if objs, _ := r.pods.GetIndexer().ByIndex(indexIP, ip.String()); len(objs) > 0 {
			return objs[0].(*corev1.Pod).Spec.NodeName, net.JoinHostPort(ip.String(), port), nil
		}
		if objs, _ := r.nodes.GetIndexer().ByIndex(indexIP, ip.String()); len(objs) > 0 {
			return objs[0].(*corev1.Node).Name, net.JoinHostPort(ip.String(), port), nil
		}
		return "", "", fmt.Errorf("%s is neither a pod IP nor a node address known to the cluster", host)
	}
	// Names are node names; a node need not be registered (an agent
	// running the tunnel only is reachable by the name it joined with).
	return host, net.JoinHostPort("127.0.0.1", port), nil
}
