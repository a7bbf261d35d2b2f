package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	coordinationv1ac "k8s.io/client-go/applyconfigurations/coordination/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/registry"
)

// A process outside Kubernetes is recorded as one Lease: renewTime and
// leaseDurationSeconds are its heartbeat and TTL, holderIdentity its node,
// and annotations the rest of its Instance. The Lease's name is derived
// from the object and address, so that any replica can renew what another
// created, and a re-registration after a restart replaces the old entry.
const (
	// LabelComponent marks the registration Leases (the key the server
	// replica Leases use too, with another value).
	LabelComponent = "outpost.io/component"
	componentValue = "tars-registration"

	AnnotationObject   = "tars.outpost.io/object"
	AnnotationEndpoint = "tars.outpost.io/endpoint"
	AnnotationInactive = "tars.outpost.io/inactive"
	AnnotationGroup    = "tars.outpost.io/group"
	// AnnotationSet (declared with the Service mapping) carries the set id.

	fieldManager = "outpost-registry"
)

// leaseName is the Lease that records registrations of inst's object and
// address.
func leaseName(inst registry.Instance) string {
	e := inst.Endpoint
	sum := sha256.Sum256([]byte(inst.Object + "\x00" + string(e.Proto) + "\x00" + normalizeIP(e.Host) + "\x00" + strconv.Itoa(e.Port)))
	return "tars-" + hex.EncodeToString(sum[:16])
}

// validateInstance rejects registrations that no client could use.
func validateInstance(inst registry.Instance) error {
	if _, _, _, ok := splitObject(inst.Object); !ok {
		return fmt.Errorf("registry: object %q is not App.Server.Servant", inst.Object)
	}
	e := inst.Endpoint
	switch {
	case e.Host == "" || e.Host == "*" || e.Host == "0.0.0.0" || e.Host == "::":
		return fmt.Errorf("registry: %s: host %q is not an address clients can reach", inst.Object, e.Host)
	case e.Port <= 0 || e.Port > 65535:
		return fmt.Errorf("registry: %s: port %d out of range", inst.Object, e.Port)
	case e.Proto != endpoint.TCP && e.Proto != endpoint.UDP && e.Proto != endpoint.SSL:
		return fmt.Errorf("registry: %s: unknown transport %q", inst.Object, e.Proto)
	}
	if _, err := endpoint.Parse(e.String()); err != nil {
		return fmt.Errorf("registry: %s: %w", inst.Object, err)
	}
	return nil
}

// leases records registrations as Leases in one namespace.
type leases struct {
	client    kubernetes.Interface
	namespace string
	now       func() time.Time
}

// Register implements registry.Registrar with one server-side apply: the
// same call creates and renews.
func (l *leases) Register(ctx context.Context, inst registry.Instance, ttl time.Duration) error {
	if err := validateInstance(inst); err != nil {
		return err
	}
	if ttl < registry.MinTTL || ttl > registry.MaxTTL {
		return fmt.Errorf("registry: TTL %s out of range [%s, %s]", ttl, registry.MinTTL, registry.MaxTTL)
	}
	annotations := map[string]string{
		AnnotationObject:   inst.Object,
		AnnotationEndpoint: inst.Endpoint.String(),
	}
	if !inst.Active {
		annotations[AnnotationInactive] = "true"
	}
	if inst.Group != "" {
		annotations[AnnotationGroup] = inst.Group
	}
	if inst.SetID != "" {
		annotations[AnnotationSet] = inst.SetID
	}
	labels := map[string]string{LabelComponent: componentValue}
	if app, server, _, _ := splitObject(inst.Object); len(validation.IsValidLabelValue(app)) == 0 && len(validation.IsValidLabelValue(server)) == 0 {
		labels[LabelApp], labels[LabelServer] = app, server // for kubectl -l
	}
	spec := coordinationv1ac.LeaseSpec().
		WithLeaseDurationSeconds(int32(math.Ceil(ttl.Seconds()))).
		WithRenewTime(metav1.NewMicroTime(l.now()))
	if inst.NodeName != "" {
		spec.WithHolderIdentity(inst.NodeName)
	}
	lease := coordinationv1ac.Lease(leaseName(inst), l.namespace).
		WithLabels(labels).
		WithAnnotations(annotations).
		WithSpec(spec)
	_, err := l.client.CoordinationV1().Leases(l.namespace).Apply(ctx, lease, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("registry: register %s at %s: %w", inst.Object, inst.Endpoint.Address(), err)
	}
	return nil
}

// Deregister implements registry.Registrar.
func (l *leases) Deregister(ctx context.Context, inst registry.Instance) error {
	err := l.client.CoordinationV1().Leases(l.namespace).Delete(ctx, leaseName(inst), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("registry: deregister %s at %s: %w", inst.Object, inst.Endpoint.Address(), err)
	}
	return nil
}

// parseLease reads a registration Lease back; it fails for Leases that
// were not written by Register (edited by hand, say).
func parseLease(l *coordinationv1.Lease) (registry.Instance, time.Time, error) {
	var inst registry.Instance
	if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return inst, time.Time{}, errors.New("no renewTime or leaseDurationSeconds")
	}
	ep, err := endpoint.Parse(l.Annotations[AnnotationEndpoint])
	if err != nil {
		return inst, time.Time{}, err
	}
	inst = registry.Instance{
		Object:   l.Annotations[AnnotationObject],
		Endpoint: ep,
		Active:   l.Annotations[AnnotationInactive] != "true",
		Group:    l.Annotations[AnnotationGroup],
		SetID:    l.Annotations[AnnotationSet],
	}
	if l.Spec.HolderIdentity != nil {
		inst.NodeName = *l.Spec.HolderIdentity
	}
	if err := validateInstance(inst); err != nil {
		return inst, time.Time{}, err
	}
	expires := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
	return inst, expires, nil
}
