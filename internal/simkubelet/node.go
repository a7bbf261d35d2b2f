package simkubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/version"
)

// node is one simulated node.
type node struct {
	name   string
	subnet netip.Prefix
	cfg    *Config
	client kubernetes.Interface
	log    *slog.Logger

	// The kubelet API's listener, when the fleet serves one.
	kubeletListener net.Listener
	kubeletPort     int
}

// hostIP is the node's own address: where its kubelet API listens when it
// serves one, else the first address of its subnet.
func (n *node) hostIP() netip.Addr {
	if n.cfg.Kubelet != nil {
		return n.cfg.Kubelet.Address
	}
	return n.subnet.Addr().Next()
}

// kubeletEndpointPort is the port the node reports for its kubelet API.
func (n *node) kubeletEndpointPort() int32 {
	if n.kubeletPort != 0 {
		return int32(n.kubeletPort)
	}
	return 10250
}

// register creates the Node, or takes over an existing one of that name (a
// restarted simulator), and marks it Ready.
func (n *node) register(ctx context.Context) error {
	labels := map[string]string{
		corev1.LabelHostname:   n.name,
		corev1.LabelOSStable:   runtime.GOOS,
		corev1.LabelArchStable: runtime.GOARCH,
		LabelSimulated:         "true",
	}
	for k, v := range n.cfg.Labels {
		labels[k] = v
	}
	want := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.name, Labels: labels},
	}
	_, err := n.client.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
		_, err = n.client.CoreV1().Nodes().Patch(ctx, n.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil {
		return fmt.Errorf("registering node %s: %w", n.name, err)
	}
	return n.reportStatus(ctx, true)
}

// reportStatus patches the node status; full also sends the parts that never
// change (capacity, addresses, node info), which registration needs.
func (n *node) reportStatus(ctx context.Context, full bool) error {
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	status := corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "simulated kubelet is posting ready status"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "simulated"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "simulated"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "simulated"),
		},
	}
	if full {
		status.Capacity = n.cfg.Capacity
		status.Allocatable = n.cfg.Capacity
		status.Addresses = []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: n.hostIP().String()},
			{Type: corev1.NodeHostName, Address: n.name},
		}
		status.DaemonEndpoints = corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: n.kubeletEndpointPort()}}
		status.NodeInfo = corev1.NodeSystemInfo{
			KubeletVersion:          version.Kubernetes + "-simulated",
			ContainerRuntimeVersion: "simulated://" + version.Version,
			OperatingSystem:         runtime.GOOS,
			Architecture:            runtime.GOARCH,
			OSImage:                 "Outpost simulated node",
			KernelVersion:           "simulated",
		}
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return err
	}
	_, err = n.client.CoreV1().Nodes().PatchStatus(ctx, n.name, patch)
	return err
}

// run keeps the node's Lease renewed and its Ready heartbeat fresh until ctx
// ends. Ticks are jittered so that a large fleet does not renew in lockstep.
func (n *node) run(ctx context.Context) {
	renew := time.NewTimer(jitter(n.cfg.RenewInterval))
	status := time.NewTimer(jitter(n.cfg.StatusInterval))
	defer renew.Stop()
	defer status.Stop()
	n.renewLease(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			n.renewLease(ctx)
			renew.Reset(n.cfg.RenewInterval)
		case <-status.C:
			if err := n.reportStatus(ctx, false); err != nil && ctx.Err() == nil {
				n.log.Warn("node status update failed", "node", n.name, "err", err)
			}
			status.Reset(n.cfg.StatusInterval)
		}
	}
}

// renewLease creates or renews the node's Lease in kube-node-lease, owned by
// the Node so that it goes away with it, exactly as the kubelet does.
func (n *node) renewLease(ctx context.Context) {
	leases := n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"renewTime": now, "holderIdentity": n.name}})
	_, err := leases.Patch(ctx, n.name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		err = n.createLease(ctx, now)
	}
	if err != nil && ctx.Err() == nil {
		n.log.Warn("lease renewal failed", "node", n.name, "err", err)
	}
}

func (n *node) createLease(ctx context.Context, now metav1.MicroTime) error {
	owner, err := n.client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:      n.name,
			Namespace: corev1.NamespaceNodeLease,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Node", Name: n.name, UID: owner.UID,
			}},
		},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To(n.name),
			LeaseDurationSeconds: ptr.To(int32(n.cfg.LeaseDuration / time.Second)),
			RenewTime:            &now,
		},
	}
	_, err = n.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(ctx, lease, metav1.CreateOptions{})
	return err
}

// jitter returns a random duration in [d/2, d), so timers of many nodes spread out.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}
