// Package server_test checks `outpost server` with an embedded control plane
// as a user sees it: through kubectl-equivalent clients of the real binary.
package server_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/outpost-edge/outpost/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestFreshServerIsReadyAndKubectlWorks(t *testing.T) {
	srv := testenv.Shared(t)
	ctx := t.Context()
	body, err := srv.Client(t).Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil || string(body) != "ok" {
		t.Fatalf("/readyz = %q, %v", body, err)
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatalf("kubectl is needed for this test: %v", err)
	}
	out, err := exec.Command("kubectl", "--kubeconfig", srv.Kubeconfig(), "get", "ns", "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get ns: %v\n%s", err, out)
	}
	for _, ns := range []string{"namespace/default", "namespace/kube-system", "namespace/kube-node-lease"} {
		if !strings.Contains(string(out), ns) {
			t.Errorf("kubectl get ns lacks %s:\n%s", ns, out)
		}
	}
	if !strings.Contains(srv.Output(), srv.Kubeconfig()) {
		t.Errorf("the server did not print where its kubeconfig is:\n%s", srv.Output())
	}
}

func TestRestartKeepsObjects(t *testing.T) {
	srv := testenv.StartServer(t, testenv.ServerOptions{})
	client := srv.Client(t)
	ns := testenv.Namespace(t, client)
	want := map[string]string{"site": "paris-17", "written": time.Now().Format(time.RFC3339Nano)}
	_, err := client.CoreV1().ConfigMaps(ns).Create(t.Context(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "survivor"}, Data: want,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	caBefore, err := os.ReadFile(srv.DataDir + "/pki/ca.crt")
	if err != nil {
		t.Fatal(err)
	}

	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, srv.Log())
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}

	got, err := srv.Client(t).CoreV1().ConfigMaps(ns).Get(t.Context(), "survivor", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	for k, v := range want {
		if got.Data[k] != v {
			t.Errorf("after restart data[%q] = %q, want %q", k, got.Data[k], v)
		}
	}
	caAfter, _ := os.ReadFile(srv.DataDir + "/pki/ca.crt")
	if string(caAfter) != string(caBefore) {
		t.Error("the CA changed across a restart; earlier kubeconfigs would stop working")
	}
}

func TestSecondServerOnSameDataDirIsRefused(t *testing.T) {
	first := testenv.Shared(t)
	second := &testenv.Server{DataDir: first.DataDir, Port: mustFreePort(t)}
	if err := second.Launch(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.Exited():
	case <-time.After(30 * time.Second):
		second.Kill()
		t.Fatalf("a second server on a data dir in use kept running:\n%s", second.Log())
	}
	if second.ExitErr() == nil {
		t.Fatal("the second server exited with status 0")
	}
	if out := second.Output(); !strings.Contains(out, "in use") || !strings.Contains(out, first.DataDir) {
		t.Errorf("the refusal does not say the data dir is in use:\n%s", out)
	}
	// The first server is unharmed.
	if _, err := first.Client(t).CoreV1().Namespaces().Get(context.Background(), "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("first server broken after the refused start: %v", err)
	}
}

func TestInterruptStopsCleanly(t *testing.T) {
	srv := testenv.StartServer(t, testenv.ServerOptions{})
	start := time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop after SIGINT: %v\n%s", err, srv.Log())
	}
	t.Logf("stopped %s after SIGINT", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(srv.Output(), "stopped") {
		t.Errorf("no clean-stop message:\n%s", srv.Output())
	}
	// The data directory lock is free again: the same dir starts at once.
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
}

func mustFreePort(t *testing.T) int {
	t.Helper()
	p, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
