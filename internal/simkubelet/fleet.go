package simkubelet

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Run registers the fleet's nodes and simulates their kubelets until ctx
// ends. It returns once registration fails or ctx is cancelled; ready, if
// not nil, is closed when every node is registered and pods are watched.
func Run(ctx context.Context, client kubernetes.Interface, cfg Config, log *slog.Logger, ready chan<- struct{}) error {
	if err := cfg.complete(); err != nil {
		return err
	}
	// Whatever ends the fleet (ctx, or a kubelet API that fails) stops all
	// of its goroutines.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nodes := make(map[string]*node, cfg.Count)
	ordered := make([]*node, cfg.Count)
	for i := range cfg.Count {
		n := &node{name: cfg.nodeName(i), subnet: cfg.nodeSubnet(i), cfg: &cfg, client: client, log: log}
		nodes[n.name], ordered[i] = n, n
	}
	var authz authorizer.Authorizer
	if k := cfg.Kubelet; k != nil {
		if authz = k.Authorizer; authz == nil {
			var err error
			if authz, err = newKubeletAuthorizer(client); err != nil {
				return err
			}
		}
		// Listen first: registration reports the ports.
		if err := listenKubelets(k, ordered); err != nil {
			return err
		}
		defer closeKubelets(ordered)
	}

	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32) // enough to saturate a client's QPS budget without a goroutine per node
	for _, n := range nodes {
		g.Go(func() error { return n.register(gctx) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	log.Info("simulated nodes registered", "count", cfg.Count, "prefix", cfg.NamePrefix, "took", time.Since(start).Round(time.Millisecond))

	// One informer for the pods of all simulated nodes: a per-node watch
	// would cost the API server one watcher per node.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermNotEqualSelector("spec.nodeName", "").String()
		}))
	podInformer := factory.Core().V1().Pods()
	s := &podSyncer{
		client: client,
		lister: podInformer.Lister(),
		nodes:  nodes,
		queue:  workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[types.NamespacedName]()),
		log:    log,
		ips:    map[string]*ipPool{},
	}
	defer s.queue.ShutDown()
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.enqueue,
		UpdateFunc: func(_, obj any) { s.enqueue(obj) },
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.Informer().HasSynced) {
		return fmt.Errorf("pod informer did not sync: %w", ctx.Err())
	}
	for range cfg.Workers {
		go s.worker(ctx)
	}
	for _, n := range nodes {
		go n.run(ctx)
	}
	serving, sctx := errgroup.WithContext(ctx)
	if k := cfg.Kubelet; k != nil {
		for _, n := range ordered {
			serving.Go(func() error { return serveKubelet(sctx, n, podInformer.Lister(), k, authz, log) })
		}
		log.Info("simulated kubelet API serving", "address", k.Address, "firstPort", ordered[0].kubeletPort, "lastPort", ordered[len(ordered)-1].kubeletPort)
	}
	if ready != nil {
		close(ready)
	}
	<-sctx.Done()
	return serving.Wait()
}
