package simkubelet

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilexec "k8s.io/utils/exec"
)

func TestParseLogOptions(t *testing.T) {
	for _, c := range []struct {
		query   string
		want    logOptions
		wantErr string
	}{
		{"", logOptions{tailLines: -1, limitBytes: -1}, ""},
		{"follow=true&timestamps=1&tailLines=3&limitBytes=20", logOptions{follow: true, timestamps: true, tailLines: 3, limitBytes: 20}, ""},
		{"tailLines=0", logOptions{tailLines: 0, limitBytes: -1}, ""},
		{"stream=Stderr", logOptions{tailLines: -1, limitBytes: -1, stderrOnly: true}, ""},
		{"tailLines=-1", logOptions{}, "tailLines"},
		{"limitBytes=0", logOptions{}, "limitBytes"},
		{"follow=perhaps", logOptions{}, "follow"},
		{"previous=true", logOptions{}, "previous terminated container not found"},
		{"sinceTime=yesterday", logOptions{}, "sinceTime"},
	} {
		got, err := parseLogOptions(httptest.NewRequest("GET", "/containerLogs/ns/p/c?"+c.query, nil))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: err %v, want %q", c.query, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.query, got, err, c.want)
		}
	}
}

func TestLimitedWriter(t *testing.T) {
	var b bytes.Buffer
	w := &limitedWriter{w: &b, left: 5}
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatal(n, err)
	}
	if n, err := w.Write([]byte("defg")); n != 2 || !errors.Is(err, errLimitReached) {
		t.Fatal(n, err)
	}
	if n, err := w.Write([]byte("h")); n != 0 || err == nil {
		t.Fatal(n, err)
	}
	if b.String() != "abcde" {
		t.Fatalf("wrote %q", b.String())
	}
}

type buf struct{ bytes.Buffer }

func (*buf) Close() error { return nil }

func TestExecBuiltins(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{{Name: "A", Value: "1"}}}}}}
	c := simContainers{pod: pod}
	for _, tc := range []struct {
		cmd      []string
		stdin    string
		out, err string
		code     int
	}{
		{[]string{"echo", "a", "b"}, "", "a b\n", "", 0},
		{[]string{"cat"}, "in\n", "in\n", "", 0},
		{[]string{"hostname"}, "", "web\n", "", 0},
		{[]string{"env"}, "", "A=1\nHOSTNAME=web\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n", "", 0},
		{[]string{"sh", "-c", "exit 4"}, "", "", "", 4},
		{[]string{"exit", "300"}, "", "", "numeric argument", 2},
		{[]string{"false"}, "", "", "", 1},
		{[]string{"sleep", "x"}, "", "", "invalid time interval", 1},
		{[]string{"nope"}, "", "", "nope: command not found", 127},
	} {
		var out, errOut buf
		err := c.ExecInContainer(context.Background(), "web", "", "app", tc.cmd, strings.NewReader(tc.stdin), &out, &errOut, false, nil, 0)
		code := 0
		var exit utilexec.CodeExitError
		if errors.As(err, &exit) {
			code = exit.Code
		} else if err != nil {
			t.Fatalf("%v: %v", tc.cmd, err)
		}
		if out.String() != tc.out || !strings.Contains(errOut.String(), tc.err) || code != tc.code {
			t.Errorf("%v: out %q err %q code %d", tc.cmd, out.String(), errOut.String(), code)
		}
	}
}

func TestKubeletAuthorizationAttributes(t *testing.T) {
	for path, want := range map[string]string{
		"/stats/summary": "stats", "/metrics/resource": "metrics", "/logs/": "log",
		"/containerLogs/ns/p/c": "proxy", "/exec/ns/p/c": "proxy", "/statsx": "proxy",
	} {
		if got := kubeletSubresource(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	if kubeletVerb("POST") != "create" || kubeletVerb("GET") != "get" {
		t.Error("verbs")
	}
}

// FuzzLogOptions: the query string comes from the API server (from users'
// kubectl flags); parsing never panics and accepted values are in range.
func FuzzLogOptions(f *testing.F) {
	for _, s := range []string{"", "follow=true&tailLines=3", "limitBytes=1", "sinceSeconds=10", "sinceTime=2026-01-02T03:04:05Z", "tailLines=%zz", "previous=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/containerLogs/ns/p/c", nil)
		r.URL.RawQuery = query
		if _, err := url.ParseQuery(query); err != nil {
			return
		}
		o, err := parseLogOptions(r)
		if err != nil {
			return
		}
		if o.tailLines < -1 || o.limitBytes == 0 || o.limitBytes < -1 {
			t.Fatalf("%q gave %+v", query, o)
		}
	})
}
