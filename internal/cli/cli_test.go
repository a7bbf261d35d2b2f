package cli

import (
	"bytes"
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
