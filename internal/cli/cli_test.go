package cli

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseLabels(t *testing.T) {
	got, err := parseLabels([]string{"site=paris", "tier=edge", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	if got["site"] != "paris" || got["tier"] != "edge" || got["empty"] != "" || len(got) != 3 {
		t.Errorf("labels = %v", got)
	}
	for _, bad := range []string{"novalue", "=v"} {
		if _, err := parseLabels([]string{bad}); err == nil {
			t.Errorf("parseLabels(%q) accepted", bad)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"version"}, []string{"outpost", "Kubernetes v1.37.2"}},
		{[]string{"--help"}, []string{"outpost server", "outpost agent --simulate-kubelet", "edge"}},
		{[]string{"server", "--help"}, []string{"--data-dir", "--datastore-endpoint", "--kubeconfig", "admin.kubeconfig"}},
		{[]string{"agent", "--help"}, []string{"--simulate-kubelet", "--nodes"}},
	} {
		var out bytes.Buffer
		root := newRoot()
		root.SetArgs(tc.args)
		root.SetOut(&out)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v output lacks %q:\n%s", tc.args, w, out.String())
			}
		}
	}
}

func TestBadFlagsAreClearErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "--bind-address", "nowhere"}, `"nowhere" is not an IP address`},
		{[]string{"server", "--log-level", "loud"}, "--log-level"},
		{[]string{"agent"}, "--simulate-kubelet"},
	} {
		root := newRoot()
		root.SetArgs(tc.args)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

func TestTarsGenIsWired(t *testing.T) {
	dir := t.TempDir()
	bad := dir + "/bad.tars"
	if err := os.WriteFile(bad, []byte("module M { struct S { 0 require nosuch x; }; };\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	root := newRoot()
	root.SetArgs([]string{"tars", "gen", "-check", bad})
	root.SetErr(&stderr)
	err := root.Execute()
	var code exitCode
	if !errors.As(err, &code) || code == 0 {
		t.Fatalf("gen on a bad IDL: err = %v, want a non-zero exit code", err)
	}
	if !strings.Contains(stderr.String(), "bad.tars:1:") || !strings.Contains(stderr.String(), "nosuch") {
		t.Errorf("IDL error not reported as file:line:col with the token:\n%s", stderr.String())
	}

	root = newRoot()
	root.SetArgs([]string{"tars", "gen", "-out", dir, "../../tars/gen/testdata/Interop.tars"})
	if err := root.Execute(); err != nil {
		t.Fatalf("gen Interop.tars: %v", err)
	}
	if _, err := os.Stat(dir + "/interop/Interop.tars.go"); err != nil {
		t.Errorf("generated file missing: %v", err)
	}
}
