// Package replica makes each running `outpost server` visible to the others
// through the Kubernetes API: every replica holds a Lease named after its ID
// and renews it while alive. Replicas find each other by listing these
// Leases, so no replica keeps membership state of its own, and a replica
// that dies drops out when its Lease expires.
package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

const (
	// Namespace holds the replica Leases.
	Namespace = "kube-system"
	// LeasePrefix starts the name of every replica Lease.
	LeasePrefix = "outpost-server-"
	// LabelComponent marks the replica Leases so they can be listed.
	LabelComponent = "outpost.io/component"
	componentValue = "server-replica"
)

// Heartbeat holds and renews this replica's Lease.
type Heartbeat struct {
	Client        kubernetes.Interface
	ID            string
	LeaseDuration time.Duration // default 30s; renewed every third of it
	Log           *slog.Logger
}

// LeaseName is the name of the Lease of replica id.
func LeaseName(id string) string { return LeasePrefix + id }

// Run renews the Lease until ctx ends, then deletes it so that the others
// see a clean departure at once rather than after expiry.
func (h *Heartbeat) Run(ctx context.Context) error {
	if h.LeaseDuration == 0 {
		h.LeaseDuration = 30 * time.Second
	}
	leases := h.Client.CoordinationV1().Leases(Namespace)
	name := LeaseName(h.ID)
	tick := time.NewTicker(h.LeaseDuration / 3)
	defer tick.Stop()
	for {
		if err := h.renew(ctx); err != nil && ctx.Err() == nil {
			h.Log.Warn("replica lease renewal failed", "lease", name, "err", err)
		}
		select {
		case <-ctx.Done():
			cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			err := leases.Delete(cleanup, name, metav1.DeleteOptions{})
			if apierrors.IsNotFound(err) {
				err = nil
			}
			return err
		case <-tick.C:
		}
	}
}

func (h *Heartbeat) renew(ctx context.Context) error {
	leases := h.Client.CoordinationV1().Leases(Namespace)
	now := metav1.NewMicroTime(time.Now())
	lease, err := leases.Get(ctx, LeaseName(h.ID), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: LeaseName(h.ID), Namespace: Namespace,
				Labels: map[string]string{LabelComponent: componentValue},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(h.ID),
				LeaseDurationSeconds: ptr.To(int32(h.LeaseDuration / time.Second)),
				AcquireTime:          &now,
				RenewTime:            &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

// Live lists the IDs of the replicas whose Leases are current.
func Live(ctx context.Context, client kubernetes.Interface) ([]string, error) {
	list, err := client.CoordinationV1().Leases(Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: LabelComponent + "=" + componentValue,
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	now := time.Now()
	for _, l := range list.Items {
		if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
			continue
		}
		expiry := l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second)
		if now.Before(expiry) {
			ids = append(ids, strings.TrimPrefix(l.Name, LeasePrefix))
		}
	}
	return ids, nil
}

// LoadOrCreateID returns the replica ID stored in dir, creating one on first
// use: the host name plus a random suffix, so that two replicas on one host
// differ, and a restarted replica is recognised as the same one.
func LoadOrCreateID(dir string) (string, error) {
	path := filepath.Join(dir, "server-id")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	host, err := os.Hostname()
	if err != nil {
		host = "server"
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	id := fmt.Sprintf("%s-%s", sanitize(host), hex.EncodeToString(suffix))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return id, os.WriteFile(path, []byte(id+"\n"), 0o600)
}

// sanitize makes a host name fit in a Kubernetes object name.
func sanitize(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 40 {
		out = out[:40]
	}
	if out == "" {
		out = "server"
	}
	return out
}
