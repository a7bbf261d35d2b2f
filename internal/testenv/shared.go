package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	sharedDir  string
	// SharedArgs are extra server arguments for the shared server; set them
	// in TestMain before calling Main.
	SharedArgs []string
)

// Main runs the package's tests and then stops the shared server.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the shared outpost server:", err)
		}
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Shared returns the package's shared server, starting it on first use.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "outpost-shared-")
		if sharedErr != nil {
			return
		}
		shared, sharedErr = startServer(ServerOptions{Args: SharedArgs}, func() string { return sharedDir })
	})
	if sharedErr != nil {
		tb.Fatal(sharedErr)
	}
	return shared
}

// Namespace creates a namespace named after the test and deletes it when
// the test ends, so tests sharing a server do not see each other's objects.
func Namespace(tb testing.TB, client kubernetes.Interface) string {
	tb.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(tb.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	ns, err := client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.Trim(name, "-") + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = client.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	// Pods are refused until the controller manager has created the
	// namespace's default ServiceAccount.
	Eventually(tb, DefaultTimeout, "default service account", func() error {
		_, err := client.CoreV1().ServiceAccounts(ns.Name).Get(context.Background(), "default", metav1.GetOptions{})
		return err
	})
	return ns.Name
}

// DefaultTimeout bounds how long Eventually waits for a condition.
const DefaultTimeout = 2 * time.Minute

// Eventually polls cond until it returns nil, failing the test with cond's
// last error after timeout. It waits for the cluster to converge; it is no
// performance assertion.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not true after %s: %v", what, timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
