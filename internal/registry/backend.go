package registry

import (
	"context"
	"errors"
	"log/slog"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coordinformers "k8s.io/client-go/informers/coordination/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/outpost-edge/outpost/tars/registry"
)

// Options configure a Backend.
type Options struct {
	// Namespace holds the Leases of registered processes (default
	// kube-system, where the server replica Leases are too).
	Namespace string
	// CollectInterval is how often the collector deletes expired
	// registration Leases (default 15s). Expired registrations leave the
	// answers at once; collection only tidies the API.
	CollectInterval time.Duration
	Log             *slog.Logger
}

// Backend is the Kubernetes backend of the TARS name service: a
// registry.Source built from informers on Services, EndpointSlices, Nodes,
// Pods and registration Leases, and a registry.Registrar that writes those
// Leases. It holds nothing the API server does not: several replicas, each
// with its own Backend, give the same answers.
type Backend struct {
	*index
	leases
	opts      Options
	informers []cache.SharedIndexInformer
	leaseInf  cache.SharedIndexInformer
	synced    chan struct{} // closed once the informers have synced
}

var (
	_ registry.Source    = (*Backend)(nil)
	_ registry.Registrar = (*Backend)(nil)
)

// New builds a Backend; Run starts it.
func New(client kubernetes.Interface, opts Options) *Backend {
	if opts.Namespace == "" {
		opts.Namespace = metav1.NamespaceSystem
	}
	if opts.CollectInterval <= 0 {
		opts.CollectInterval = 15 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	b := &Backend{
		index:  newIndex(),
		leases: leases{client: client, namespace: opts.Namespace, now: time.Now},
		opts:   opts,
		synced: make(chan struct{}),
	}
	// Only TARS Services and their slices are watched: the EndpointSlice
	// controller copies the Service's labels onto its slices.
	tars := func(o *metav1.ListOptions) { o.LabelSelector = LabelApp + "," + LabelServer }
	svcs := coreinformers.NewFilteredServiceInformer(client, metav1.NamespaceAll, 0, nil, tars)
	slices := discoveryinformers.NewFilteredEndpointSliceInformer(client, metav1.NamespaceAll, 0, nil, tars)
	nodes := coreinformers.NewNodeInformer(client, 0, nil)
	pods := coreinformers.NewPodInformer(client, metav1.NamespaceAll, 0, nil)
	b.leaseInf = coordinformers.NewFilteredLeaseInformer(client, opts.Namespace, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
		o.LabelSelector = LabelComponent + "=" + componentValue
	})
	// Nodes and pods are kept only for their addresses and site: without
	// the rest, a large cluster costs the registry little memory.
	must(nodes.SetTransform(slimNode))
	must(pods.SetTransform(slimPod))

	must2(svcs.AddEventHandler(handler(b.onService)))
	must2(slices.AddEventHandler(handler(b.onSlice)))
	must2(nodes.AddEventHandler(handler(b.onNode)))
	must2(pods.AddEventHandler(handler(b.onPod)))
	must2(b.leaseInf.AddEventHandler(handler(b.onLease)))
	b.informers = []cache.SharedIndexInformer{svcs, slices, nodes, pods, b.leaseInf}
	return b
}

// Run runs the informers until ctx ends. It runs on every replica.
func (b *Backend) Run(ctx context.Context) error {
	for _, inf := range b.informers {
		go inf.RunWithContext(ctx)
	}
	syncs := make([]cache.InformerSynced, len(b.informers))
	for i, inf := range b.informers {
		syncs[i] = inf.HasSynced
	}
	if !cache.WaitForCacheSync(ctx.Done(), syncs...) {
		return nil // stopped before the caches filled
	}
	close(b.synced)
	b.opts.Log.Info("TARS registry backend synced")
	<-ctx.Done()
	return nil
}

// Ready reports an error until the informers have their first full view;
// answers before that would be incomplete.
func (b *Backend) Ready() error {
	select {
	case <-b.synced:
		return nil
	default:
		return errors.New("registry informers not synced")
	}
}

// Synced is closed once the informers have their first full view.
func (b *Backend) Synced() <-chan struct{} { return b.synced }

// Collect deletes registration Leases that expired, every CollectInterval
// until ctx ends. Only one replica needs to run it (the leader); it is safe
// on several, since each delete is conditional on the Lease not having been
// renewed meanwhile.
func (b *Backend) Collect(ctx context.Context) error {
	tick := time.NewTicker(b.opts.CollectInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if b.Ready() != nil {
			continue
		}
		for _, name := range b.expired(b.leases.now()) {
			obj, ok, err := b.leaseInf.GetStore().GetByKey(b.opts.Namespace + "/" + name)
			if err != nil || !ok {
				continue
			}
			rv := obj.(*coordinationv1.Lease).ResourceVersion
			err = b.client.CoordinationV1().Leases(b.opts.Namespace).Delete(ctx, name, metav1.DeleteOptions{
				Preconditions: &metav1.Preconditions{ResourceVersion: &rv},
			})
			switch {
			case err == nil:
				b.opts.Log.Info("expired TARS registration removed", "lease", name)
			case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
				// deregistered or renewed meanwhile
			case ctx.Err() == nil:
				b.opts.Log.Warn("removing an expired TARS registration", "lease", name, "err", err)
			}
		}
	}
}

func (b *Backend) onService(obj any, deleted bool) {
	svc := obj.(*corev1.Service)
	key := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
	if deleted {
		b.setService(key, nil)
		return
	}
	s, err := parseService(svc)
	if err != nil {
		b.opts.Log.Warn("TARS Service annotations ignored", "err", err)
	}
	b.setService(key, s)
}

func (b *Backend) onSlice(obj any, deleted bool) {
	slice := obj.(*discoveryv1.EndpointSlice)
	name := slice.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return
	}
	key := types.NamespacedName{Namespace: slice.Namespace, Name: name}
	if deleted {
		slice = nil
	}
	b.setSlice(key, obj.(*discoveryv1.EndpointSlice).Name, slice)
}

func (b *Backend) onNode(obj any, deleted bool) {
	n := obj.(*corev1.Node)
	var ips []string
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP || a.Type == corev1.NodeExternalIP {
			ips = append(ips, normalizeIP(a.Address))
		}
	}
	b.setNode(n.Name, n.Labels[LabelSite], n.Labels[LabelRegion], ips, deleted)
}

func (b *Backend) onPod(obj any, deleted bool) {
	p := obj.(*corev1.Pod)
	var ips []string
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, normalizeIP(ip.IP))
	}
	set := p.Labels[LabelSet]
	if set != "" && !validSetID(set) {
		b.opts.Log.Warn("TARS set label ignored: not name.area.group", "pod", p.Namespace+"/"+p.Name, "set", set)
		set = ""
	}
	b.setPod(podKey{Namespace: p.Namespace, Name: p.Name},
		podAddrs{node: p.Spec.NodeName, ips: ips, terminating: p.DeletionTimestamp != nil, set: set}, deleted)
}

func (b *Backend) onLease(obj any, deleted bool) {
	l := obj.(*coordinationv1.Lease)
	if deleted {
		b.setRegistration(l.Name, nil, time.Time{})
		return
	}
	inst, expires, err := parseLease(l)
	if err != nil {
		b.opts.Log.Warn("unusable TARS registration Lease ignored", "lease", l.Namespace+"/"+l.Name, "err", err)
		b.setRegistration(l.Name, nil, time.Time{})
		return
	}
	b.setRegistration(l.Name, &inst, expires)
}

// handler adapts f to informer events; deletions may arrive as tombstones.
func handler(f func(obj any, deleted bool)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { f(obj, false) },
		UpdateFunc: func(_, obj any) { f(obj, false) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			f(obj, true)
		},
	}
}

func slimNode(obj any) (any, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: map[string]string{LabelSite: n.Labels[LabelSite], LabelRegion: n.Labels[LabelRegion]}, ResourceVersion: n.ResourceVersion},
		Status:     corev1.NodeStatus{Addresses: n.Status.Addresses},
	}, nil
}

func slimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, ResourceVersion: p.ResourceVersion,
			DeletionTimestamp: p.DeletionTimestamp, Labels: map[string]string{LabelSet: p.Labels[LabelSet]}},
		Spec:   corev1.PodSpec{NodeName: p.Spec.NodeName},
		Status: corev1.PodStatus{PodIPs: p.Status.PodIPs},
	}, nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func must2[T any](_ T, err error) { must(err) }
