package edgeproxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/edgeproxy"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// kubelet plays what a kubelet does against the API server when it
// starts, with a node's certificate and protobuf, as the real one.
type kubelet struct {
	t      *testing.T
	node   string
	client kubernetes.Interface
	stop   chan struct{}
	pods   cache.SharedIndexInformer
	nodes  cache.SharedIndexInformer
}

func startKubelet(t *testing.T, c kubernetes.Interface, node string, ns string, pod *corev1.Pod) (*kubelet, string) {
	t.Helper()
	k := &kubelet{t: t, node: node, client: c, stop: make(chan struct{})}
	ctx := context.Background()

	// Register (or find itself registered).
	_, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("registering node: %v", err)
	}
	if _, err := c.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err != nil {
		t.Fatalf("getting own node: %v", err)
	}
	// Its node and its pods, by informer.
	nf := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = "metadata.name=" + node
	}))
	pf := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = "spec.nodeName=" + node
	}))
	k.nodes, k.pods = nf.Core().V1().Nodes().Informer(), pf.Core().V1().Pods().Informer()
	nf.Start(k.stop)
	pf.Start(k.stop)
	t.Cleanup(func() { k.close(); nf.Shutdown(); pf.Shutdown() })
	if !cache.WaitForCacheSync(k.stop, k.nodes.HasSynced, k.pods.HasSynced) {
		t.Fatal("kubelet informers did not sync")
	}
	// Heartbeats: the lease, then the node status.
	leases := c.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	lease, err := leases.Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: node, Namespace: corev1.NamespaceNodeLease},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node), LeaseDurationSeconds: ptr.To[int32](40)},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("lease: %v", err)
	}
	lease.Spec.RenewTime = ptr.To(metav1.NewMicroTime(time.Now()))
	if _, err := leases.Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("renewing the lease: %v", err)
	}
	status, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: metav1.Now(),
	}}}})
	if _, err := c.CoreV1().Nodes().PatchStatus(ctx, node, status); err != nil {
		t.Fatalf("node status: %v", err)
	}
	// The projected service-account token of its pod.
	tr, err := c.CoreV1().ServiceAccounts(ns).CreateToken(ctx, pod.Spec.ServiceAccountName, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{
			ExpirationSeconds: ptr.To[int64](3600),
			BoundObjectRef:    &authnv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	return k, tr.Status.Token
}

func (k *kubelet) close() {
	select {
	case <-k.stop:
	default:
		close(k.stop)
	}
}

func (k *kubelet) podNames() []string {
	var out []string
	for _, o := range k.pods.GetStore().List() {
		out = append(out, o.(*corev1.Pod).Name)
	}
	slices.Sort(out)
	return out
}

// createPodOn creates a pod bound to node, with the default service
// account (whose token its kubelet asks for).
func createPodOn(t *testing.T, c kubernetes.Interface, ns, node, name string) *corev1.Pod {
	t.Helper()
	pod, err := c.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{NodeName: node, ServiceAccountName: "default",
			Containers: []corev1.Container{{Name: "c", Image: "example.invalid/c:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

// TestColdStartOffline: the agent and its clients restart while the cloud
// is unreachable. The kubelet registers (told it already is), gets its node
// and pods, renews its lease and reports status (acknowledged), gets the
// real token it had for its pod; other clients get their state; pod status
// writes fail fast. When the cloud is back, what changed meanwhile shows.
func TestColdStartOffline(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	const node = "coldnode"
	t.Cleanup(func() { _ = direct.CoreV1().Nodes().Delete(ctx, node, metav1.DeleteOptions{}) })
	pod := createPodOn(t, direct, ns, node, "p1")
	createConfigMaps(t, direct, ns, 3, nil)

	e := startEdge(t, srv, edgeOptions{})
	nodeCfg := withProtobuf(identity(t, srv, "system:node:"+node, "system:nodes"))
	admin := srv.RestConfig(t)

	// First boot, online.
	k, token := startKubelet(t, e.client(nodeCfg), node, ns, pod)
	if got := k.podNames(); !slices.Equal(got, []string{"p1"}) {
		t.Fatalf("kubelet pods online: %v", got)
	}
	app := e.client(admin)
	appInformer := func() cache.SharedIndexInformer {
		f := informers.NewSharedInformerFactoryWithOptions(app, 0, informers.WithNamespace(ns))
		inf := f.Core().V1().ConfigMaps().Informer()
		stop := make(chan struct{})
		f.Start(stop)
		t.Cleanup(func() { close(stop); f.Shutdown() })
		if !cache.WaitForCacheSync(stop, inf.HasSynced) {
			t.Fatal("app informer did not sync")
		}
		return inf
	}
	appInformer()
	version, err := app.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	want := serverState(t, direct, ns)

	// Power cut: everything stops; the node comes back with no cloud.
	k.close()
	e.stop()
	e.relay.Refuse()
	e.restart()
	e.waitState(edgeproxy.Offline)

	k2, token2 := startKubelet(t, e.client(nodeCfg), node, ns, pod)
	if got := k2.podNames(); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("kubelet pods after an offline restart: %v", got)
	}
	if token2 != token {
		t.Errorf("offline token request got another token than the cloud issued")
	}
	if got := informerState(appInformer()); !slices.Equal(got, want) {
		t.Errorf("app informer after an offline restart: %v, want %v", got, want)
	}
	if v, err := app.Discovery().ServerVersion(); err != nil || v.GitVersion != version.GitVersion {
		t.Errorf("discovery offline: %v %v", v, err)
	}
	if n := e.metric("outpost_edgeproxy_heartbeats_acknowledged_total", nil); n < 2 {
		t.Errorf("heartbeats acknowledged locally: %v", n)
	}
	// A pod status write is refused at once, with Retry-After.
	patch := []byte(`{"status":{"phase":"Running"}}`)
	res := k2.client.CoreV1().RESTClient().Patch(types.MergePatchType).AbsPath("/api/v1/namespaces", ns, "pods", "p1", "status").
		Body(patch).MaxRetries(0).Do(ctx)
	var code int
	res.StatusCode(&code)
	if code != http.StatusServiceUnavailable {
		t.Errorf("offline pod status write: %d %v", code, res.Error())
	}

	// Meanwhile, in the cloud: a new pod for the node, a changed and a
	// deleted configmap.
	if _, err := direct.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p2"},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "example.invalid/c:1"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := direct.CoreV1().ConfigMaps(ns).Delete(ctx, "cm-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.restore()
	testenv.Eventually(t, time.Minute, "the kubelet sees the pod created during the cut", func() error {
		if got := k2.podNames(); !slices.Equal(got, []string{"p1", "p2"}) {
			return fmt.Errorf("pods %v", got)
		}
		return nil
	})
}
