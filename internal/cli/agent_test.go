package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAgentFlags(t *testing.T) {
	if n, err := parseSize("1Gi"); err != nil || n != 1<<30 {
		t.Errorf("parseSize(1Gi) = %d, %v", n, err)
	}
	if n, err := parseSize("0"); err != nil || n != -1 {
		t.Errorf("parseSize(0) = %d, %v (want no cap)", n, err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"agent", "--kubeconfig", kubeconfig, "--proxy-client-credential", "only-a-cert"}, "want CERT,KEY"},
		{[]string{"agent", "--kubeconfig", kubeconfig, "--cache-max-size", "lots"}, "--cache-max-size"},
		{[]string{"agent", "--kubeconfig", kubeconfig, "--no-proxy"}, "nothing to run"},
	} {
		root := newRoot()
		root.SetArgs(append(tc.args, "--data-dir", t.TempDir()))
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}
