package testenv

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Kubectl runs the real kubectl against kubeconfig, with stdin when not
// empty, and returns its exit code and output: stdout alone when it
// succeeds, stdout and then stderr when it fails (where the reason is). A
// successful run's stderr is only logged: kubectl's own client logs a
// harmless line there at times (e.g. "Unknown stream id 1, discarding
// message" from its WebSocket exec client), which must not be mistaken
// for the command's output. It fails the test only when kubectl cannot be
// run at all.
func Kubectl(tb testing.TB, kubeconfig, stdin string, args ...string) (string, int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return stdout.String() + stderr.String(), exit.ExitCode()
	}
	if err != nil {
		tb.Fatalf("kubectl %v: %v", args, err)
	}
	if stderr.Len() > 0 {
		tb.Logf("kubectl %v stderr: %s", args, stderr.String())
	}
	return stdout.String(), 0
}

// RunningPod creates a pod bound to node (containers "app", with stdin and
// GREETING=bonjour, and "sidecar") and waits until its kubelet reports it
// Running.
func RunningPod(tb testing.TB, client kubernetes.Interface, ns, name, node string) *corev1.Pod {
	tb.Helper()
	_, err := client.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{
				{Name: "app", Image: "example.invalid/app", Stdin: true, Env: []corev1.EnvVar{{Name: "GREETING", Value: "bonjour"}}},
				{Name: "sidecar", Image: "example.invalid/sidecar"},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var pod *corev1.Pod
	Eventually(tb, DefaultTimeout, "pod running", func() error {
		pod, err = client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if pod.Status.Phase != corev1.PodRunning {
			return fmt.Errorf("phase %s", pod.Status.Phase)
		}
		return nil
	})
	return pod
}
