package simkubelet

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
)

// podSyncer plays the kubelet's part for pods: bound pods become Running
// with an IP, and pods being deleted are removed once "stopped" (at once,
// since nothing really runs).
type podSyncer struct {
	client kubernetes.Interface
	lister corelisters.PodLister
	nodes  map[string]*node // by name; read-only after start
	queue  workqueue.TypedRateLimitingInterface[types.NamespacedName]
	log    *slog.Logger

	mu  sync.Mutex
	ips map[string]*ipPool // by node name
}

func (s *podSyncer) enqueue(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		tomb, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if pod, ok = tomb.Obj.(*corev1.Pod); !ok {
			return
		}
	}
	if _, ours := s.nodes[pod.Spec.NodeName]; ours {
		s.queue.Add(types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name})
	}
}

func (s *podSyncer) worker(ctx context.Context) {
	for {
		key, quit := s.queue.Get()
		if quit {
			return
		}
		if err := s.sync(ctx, key); err != nil {
			if ctx.Err() == nil && !apierrors.IsConflict(err) {
				s.log.Warn("pod sync failed", "pod", key, "err", err)
			}
			s.queue.AddRateLimited(key)
		} else {
			s.queue.Forget(key)
		}
		s.queue.Done(key)
	}
}

func (s *podSyncer) sync(ctx context.Context, key types.NamespacedName) error {
	pod, err := s.lister.Pods(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	n := s.nodes[pod.Spec.NodeName]
	if pod.DeletionTimestamp != nil {
		err := s.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: &pod.UID},
		})
		s.pool(n).release(pod.UID)
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil // gone, or replaced by a new pod of the same name
		}
		return err
	}
	if pod.Status.Phase != corev1.PodPending && pod.Status.Phase != "" {
		if ip, err := netip.ParseAddr(pod.Status.PodIP); err == nil {
			s.pool(n).claim(pod.UID, ip) // a restarted simulator keeps the IPs it gave out
		}
		return nil
	}
	ip, err := s.pool(n).assign(pod.UID)
	if err != nil {
		return err
	}
	running := pod.DeepCopy()
	running.Status = runningStatus(pod, n.hostIP(), ip)
	_, err = s.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, running, metav1.UpdateOptions{})
	return err
}

func (s *podSyncer) pool(n *node) *ipPool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.ips[n.name]
	if p == nil {
		p = newIPPool(n.subnet)
		s.ips[n.name] = p
	}
	return p
}

// runningStatus is the status a kubelet reports once all containers run.
func runningStatus(pod *corev1.Pod, hostIP, podIP netip.Addr) corev1.PodStatus {
	now := metav1.Now()
	status := pod.Status.DeepCopy()
	status.Phase = corev1.PodRunning
	status.HostIP, status.HostIPs = hostIP.String(), []corev1.HostIP{{IP: hostIP.String()}}
	if pod.Spec.HostNetwork {
		podIP = hostIP
	}
	status.PodIP, status.PodIPs = podIP.String(), []corev1.PodIP{{IP: podIP.String()}}
	if status.StartTime == nil {
		status.StartTime = &now
	}
	status.Conditions = nil
	for _, t := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady, corev1.PodScheduled} {
		status.Conditions = append(status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	containerID := func(c corev1.Container) string {
		return fmt.Sprintf("simulated://%s/%s", pod.UID, c.Name)
	}
	status.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		status.InitContainerStatuses = append(status.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: containerID(c), Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				Reason: "Completed", StartedAt: now, FinishedAt: now, ContainerID: containerID(c)}},
		})
	}
	status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		status.ContainerStatuses = append(status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, ContainerID: containerID(c),
			Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	return *status
}
