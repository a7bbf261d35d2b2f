package edgeproxy_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/outpost-edge/outpost/internal/edgeproxy/faultrelay"
	"github.com/outpost-edge/outpost/internal/testenv"
)

// hostIP is an address of this machine the API server agrees to proxy to
// (it refuses loopback).
func hostIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Fatal("this machine has no non-loopback IPv4 address for the API server to proxy to")
	return ""
}

// upgradeEcho serves one protocol upgrade ("echo") and echoes bytes.
func upgradeEcho(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			fmt.Fprintln(w, "plain", r.URL.Path)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = brw.Flush()
		_, _ = io.Copy(conn, brw)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// TestStreamingThroughTheProxy: HTTP/2 to clients, connection upgrades
// (what exec, attach and port-forward use) carried through with the
// client's identity, and kubectl get and get --watch, online and offline.
func TestStreamingThroughTheProxy(t *testing.T) {
	srv := testenv.Shared(t)
	direct := srv.Client(t)
	ns := testenv.Namespace(t, direct)
	ctx := context.Background()
	e := startEdge(t, srv, edgeOptions{})
	admin := srv.RestConfig(t)

	// HTTP/2 between client and proxy.
	tr, err := rest.TransportFor(e.config(admin))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Get("https://" + e.addr + "/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("client to proxy spoke %s, want HTTP/2", resp.Proto)
	}

	// An upgrade through the API server's service proxy to a server of
	// ours: bytes flow both ways after 101.
	ip := hostIP(t)
	port := upgradeEcho(t, ip)
	// The API server proxies only to pod addresses: a pod that claims
	// this machine's address.
	pod, err := direct.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec:       corev1.PodSpec{NodeName: "no-such-node", Containers: []corev1.Container{{Name: "c", Image: "example.invalid/c:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
	if _, err := direct.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	tlsConf, err := rest.TLSConfigFor(e.config(admin))
	if err != nil {
		t.Fatal(err)
	}
	tlsConf.NextProtos = []string{"http/1.1"}
	path := fmt.Sprintf("/api/v1/namespaces/%s/pods/echo:%d/proxy/", ns, port)
	testenv.Eventually(t, time.Minute, "an upgraded connection through the proxy", func() error {
		conn, err := tls.Dial("tcp", e.addr, tlsConf)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n", path, e.addr)
		br := bufio.NewReader(conn)
		status, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.Contains(status, " 101 ") {
			rest, _ := io.ReadAll(io.LimitReader(br, 512))
			return fmt.Errorf("upgrade answered %q %s", status, rest)
		}
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return err
			}
			if line == "\r\n" {
				break
			}
		}
		for _, msg := range []string{"ping\n", "pong\n"} {
			if _, err := conn.Write([]byte(msg)); err != nil {
				return err
			}
			got, err := br.ReadString('\n')
			if err != nil || got != msg {
				return fmt.Errorf("echo: %q %v", got, err)
			}
		}
		return nil
	})

	// kubectl, as users run it.
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatal("kubectl is not on PATH (CI builds it: go build -o /usr/local/bin/kubectl k8s.io/kubernetes/cmd/kubectl)")
	}
	kc := writeKubeconfig(t, e.config(admin))
	kubectl := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kc, "-n", ns}, args...)...).CombinedOutput()
		return string(out), err
	}
	createConfigMaps(t, direct, ns, 2, nil)
	out, err := kubectl("get", "configmaps")
	if err != nil || !strings.Contains(out, "cm-0") || !strings.Contains(out, "DATA") {
		t.Errorf("kubectl get through the proxy: %v\n%s", err, out)
	}
	// get --watch sees a change made while it watches.
	w := exec.Command("kubectl", "--kubeconfig", kc, "-n", ns, "get", "configmaps", "--watch", "-o", "name")
	stdout, _ := w.StdoutPipe()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Process.Kill(); _ = w.Wait() }()
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	waitLine := func(want string) {
		t.Helper()
		timeout := time.After(time.Minute)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("kubectl get --watch ended before %q", want)
				}
				if l == want {
					return
				}
			case <-timeout:
				t.Fatalf("kubectl get --watch did not show %q", want)
			}
		}
	}
	waitLine("configmap/cm-1")
	if _, err := direct.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLine("configmap/watched")

	// Offline, kubectl get answers from the cache (as plain objects, which
	// kubectl prints itself), and the watch carries on.
	e.cut((*faultrelay.Relay).Refuse)
	testenv.Eventually(t, 30*time.Second, "kubectl get offline", func() error {
		out, err := kubectl("get", "configmaps", "-o", "name")
		if err != nil || !strings.Contains(out, "configmap/watched") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	out, err = kubectl("get", "configmaps")
	if err != nil || !strings.Contains(out, "cm-0") {
		t.Errorf("kubectl get (table) offline: %v\n%s", err, out)
	}
	e.restore()
	if _, err := direct.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after-cut"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLine("configmap/after-cut")
}

// writeKubeconfig writes a kubeconfig for a client configuration.
func writeKubeconfig(t *testing.T, c *rest.Config) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["edge"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.CAData}
	cfg.AuthInfos["edge"] = &clientcmdapi.AuthInfo{ClientCertificateData: c.CertData, ClientKeyData: c.KeyData,
		ClientCertificate: c.CertFile, ClientKey: c.KeyFile, Token: c.BearerToken}
	cfg.Contexts["edge"] = &clientcmdapi.Context{Cluster: "edge", AuthInfo: "edge"}
	cfg.CurrentContext = "edge"
	path := filepath.Join(t.TempDir(), "edge.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
