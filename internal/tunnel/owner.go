package tunnel

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	coordinationlisters "k8s.io/client-go/listers/coordination/v1"
	"k8s.io/utils/ptr"

	"github.com/outpost-edge/outpost/internal/replica"
)

// Node ownership. The replica an agent is connected to records it in Lease
// kube-system/outpost-tunnel-node-<node> (holderIdentity = replica ID), and
// publishes its own agent-facing address as an annotation on its replica
// Lease (kube-system/outpost-server-<id>). A node's Lease is not renewed:
// it is valid while its holder's replica Lease is, so a thousand connected
// nodes cost no API writes in the steady state, and a dead replica's nodes
// are known to be unreachable as soon as its replica Lease expires (their
// agents are then reconnecting elsewhere and overwrite the holder). Every
// replica reads these through one informer, so routing a dial costs no API
// call (SuperEdge spread the same table through ConfigMaps mounted into
// pods, at kubelet sync speed).
const (
	ownerLeasePrefix = "outpost-tunnel-node-"
	// LabelOwner marks node ownership Leases.
	LabelOwner = "outpost.io/tunnel-owner"
	// AnnotationAddress on a replica Lease is its agent-facing address,
	// AnnotationProxyAddress its user-facing proxy address.
	AnnotationAddress      = "outpost.io/tunnel-address"
	AnnotationProxyAddress = "outpost.io/tunnel-proxy-address"
)

type owners struct {
	client   kubernetes.Interface
	serverID string
	leases   coordinationlisters.LeaseNamespaceLister // kube-system, from an informer
}

// claim records this replica as the holder of node's connection.
func (o *owners) claim(ctx context.Context, node string) error {
	leases := o.client.CoordinationV1().Leases(SystemNamespace)
	name := objectName(ownerLeasePrefix, node)
	now := metav1.NewMicroTime(time.Now())
	for {
		l, err := leases.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = leases.Create(ctx, &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: SystemNamespace,
					Labels: map[string]string{LabelOwner: "true"}, Annotations: map[string]string{"outpost.io/node": node}},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(o.serverID), AcquireTime: &now, RenewTime: &now},
			}, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != o.serverID {
			l.Spec.LeaseTransitions = ptr.To(ptr.Deref(l.Spec.LeaseTransitions, 0) + 1)
		}
		l.Spec.HolderIdentity, l.Spec.AcquireTime, l.Spec.RenewTime = ptr.To(o.serverID), &now, &now
		_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		return err
	}
}

// release deletes node's Lease if this replica still holds it (the agent
// may already be connected to another replica).
func (o *owners) release(ctx context.Context, node string) error {
	leases := o.client.CoordinationV1().Leases(SystemNamespace)
	l, err := leases.Get(ctx, objectName(ownerLeasePrefix, node), metav1.GetOptions{})
	if err != nil {
		return client404(err)
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != o.serverID {
		return nil
	}
	return client404(leases.Delete(ctx, l.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &l.UID, ResourceVersion: &l.ResourceVersion},
	}))
}

func client404(err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// lookup returns the replica holding node's connection and its address.
func (o *owners) lookup(ctx context.Context, node string) (owner, addr string, err error) {
	name := objectName(ownerLeasePrefix, node)
	l, err := o.leases.Get(name)
	if apierrors.IsNotFound(err) {
		// Not in the cache (yet): the agent may have connected a moment
		// ago to another replica.
		l, err = o.client.CoordinationV1().Leases(SystemNamespace).Get(ctx, name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return "", "", fmt.Errorf("%w: %s", ErrNodeNotConnected, node)
	}
	if err != nil {
		return "", "", err
	}
	owner = ptr.Deref(l.Spec.HolderIdentity, "")
	if owner == o.serverID {
		return owner, "", nil
	}
	rl, err := o.leases.Get(replica.LeaseName(owner))
	if err != nil || !live(rl) {
		return owner, "", fmt.Errorf("%w: %s (its replica %s is gone; the agent will reconnect to another)", ErrNodeNotConnected, node, owner)
	}
	addr = rl.Annotations[AnnotationAddress]
	if addr == "" {
		return owner, "", fmt.Errorf("%w: %s (replica %s publishes no tunnel address)", ErrNodeNotConnected, node, owner)
	}
	return owner, addr, nil
}

func hasAll(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func live(l *coordinationv1.Lease) bool {
	if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return false
	}
	return time.Now().Before(l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second))
}

// advertise keeps this replica's address on its replica Lease. The
// heartbeat (package replica) creates and renews the Lease; it reads before
// it writes, so the annotation survives renewals, and this loop puts it
// back should the Lease be recreated.
func (o *owners) advertise(ctx context.Context, annotations map[string]string) {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	for {
		l, err := o.leases.Get(replica.LeaseName(o.serverID))
		if err != nil || !hasAll(l.Annotations, annotations) {
			_, _ = o.client.CoordinationV1().Leases(SystemNamespace).Patch(ctx, replica.LeaseName(o.serverID),
				types.MergePatchType, patch, metav1.PatchOptions{})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

// advertiseHost picks the address peers reach this replica at when none is
// configured: the first global unicast address of the machine.
func advertiseHost() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.IsGlobalUnicast() && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
