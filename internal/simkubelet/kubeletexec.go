package simkubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cri-streaming/pkg/streaming/portforward"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	utilexec "k8s.io/utils/exec"
)

// exec serves /exec/...: the upstream kubelet streaming server code
// (SPDY and WebSocket remotecommand), running a built-in command.
func (k *kubeletAPI) exec(w http.ResponseWriter, r *http.Request) {
	pod, container, opts, ok := k.streamTarget(w, r)
	if !ok {
		return
	}
	cmd := r.URL.Query()["command"]
	if len(cmd) == 0 {
		http.Error(w, "no command", http.StatusBadRequest)
		return
	}
	k.log.Info("exec", "pod", pod.Namespace+"/"+pod.Name, "container", container, "command", cmd)
	remotecommand.ServeExec(w, r, simContainers{pod: pod}, pod.Name, string(pod.UID), container, cmd, opts,
		streamIdleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
}

// streamTarget is the pod, container and stream options of an exec or
// attach request, or false once the client has been answered.
func (k *kubeletAPI) streamTarget(w http.ResponseWriter, r *http.Request) (*corev1.Pod, string, *remotecommand.Options, bool) {
	pod, container, ok := k.podContainer(w, r)
	if !ok {
		return nil, "", nil, false
	}
	opts, err := remotecommand.NewOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, "", nil, false
	}
	return pod, container, opts, true
}

// attach serves /attach/...: the container's "main process" echoes its
// stdin, or, without stdin, keeps writing its log.
func (k *kubeletAPI) attach(w http.ResponseWriter, r *http.Request) {
	pod, container, opts, ok := k.streamTarget(w, r)
	if !ok {
		return
	}
	remotecommand.ServeAttach(w, r, simContainers{pod: pod, interval: k.interval}, pod.Name, string(pod.UID), container, opts,
		streamIdleTimeout, streamCreationTimeout, remotecommand.SupportedStreamingProtocols)
}

// portForward serves /portForward/...: every port of a simulated pod is an
// echo server.
func (k *kubeletAPI) portForward(w http.ResponseWriter, r *http.Request) {
	pod, ok := k.pod(w, r)
	if !ok {
		return
	}
	opts, err := portforward.NewV4Options(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	portforward.ServePortForward(w, r, simContainers{pod: pod}, pod.Name, string(pod.UID), opts,
		streamIdleTimeout, streamCreationTimeout, portforward.SupportedProtocols)
}

// simContainers is the "container runtime" of simulated pods.
type simContainers struct {
	pod      *corev1.Pod
	interval time.Duration
}

// ExecInContainer runs one of the built-in commands: echo ARGS, cat (stdin
// to stdout), hostname (the pod name, as in a container), env (the
// container's literal env), sleep SECONDS, exit CODE, and true/false. `sh
// -c "..."` runs its script's first word as one of these. Unknown commands
// fail with exit code 127, as a shell's would.
func (c simContainers) ExecInContainer(ctx context.Context, _, _, container string, cmd []string, in io.Reader, out, errOut io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize, _ time.Duration) error {
	if len(cmd) == 3 && (cmd[0] == "sh" || cmd[0] == "/bin/sh") && cmd[1] == "-c" {
		cmd = strings.Fields(cmd[2])
	}
	if len(cmd) == 0 {
		return exitCode(0)
	}
	stdout := func(s string) error {
		if out == nil {
			return nil
		}
		_, err := io.WriteString(out, s)
		return err
	}
	switch cmd[0] {
	case "echo":
		return stdout(strings.Join(cmd[1:], " ") + "\n")
	case "cat":
		if in == nil || out == nil {
			return nil
		}
		_, err := io.Copy(out, in)
		return err
	case "hostname":
		return stdout(c.pod.Name + "\n")
	case "env":
		return stdout(c.env(container))
	case "true":
		return nil
	case "false":
		return exitCode(1)
	case "exit":
		code := 0
		if len(cmd) > 1 {
			n, err := strconv.Atoi(cmd[1])
			if err != nil || n < 0 || n > 255 {
				return c.fail(errOut, 2, "exit: %s: numeric argument in 0..255 required\n", cmd[1])
			}
			code = n
		}
		return exitCode(code)
	case "sleep":
		d, err := time.ParseDuration(strings.Join(cmd[1:], "") + "s")
		if len(cmd) != 2 || err != nil || d < 0 {
			return c.fail(errOut, 1, "sleep: invalid time interval\n")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	return c.fail(errOut, 127, "%s: command not found (simulated containers know echo, cat, hostname, env, sleep, exit, true, false)\n", cmd[0])
}

func (simContainers) fail(errOut io.Writer, code int, format string, args ...any) error {
	if errOut != nil {
		fmt.Fprintf(errOut, format, args...)
	}
	return exitCode(code)
}

func (c simContainers) env(container string) string {
	vars := map[string]string{"HOSTNAME": c.pod.Name, "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for _, ct := range c.pod.Spec.Containers {
		if ct.Name != container {
			continue
		}
		for _, e := range ct.Env {
			if e.ValueFrom == nil {
				vars[e.Name] = e.Value
			}
		}
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s\n", n, vars[n])
	}
	return b.String()
}

// exitCode is how a command's exit status reaches ServeExec, which sends it
// to the client (kubectl exits with it).
func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
}

// AttachContainer echoes stdin to stdout; without stdin it writes a log
// line every interval until the client leaves.
func (c simContainers) AttachContainer(ctx context.Context, _, _, container string, in io.Reader, out, _ io.WriteCloser, _ bool, _ <-chan remotecommand.TerminalSize) error {
	if in != nil && out != nil {
		_, err := io.Copy(out, in)
		return err
	}
	if in != nil {
		_, err := io.Copy(io.Discard, in)
		return err
	}
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	for i := startupLogLines; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if out != nil {
				if _, err := io.WriteString(out, logLine(c.pod, container, i)+"\n"); err != nil {
					return nil
				}
			}
		}
	}
}

// PortForward echoes what the client sends on any port.
func (simContainers) PortForward(_ context.Context, _, _ string, _ int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	_, err := io.Copy(stream, stream)
	return err
}

// statsSummary serves a small /stats/summary: the node and its pods, with
// no usage figures, enough for clients that list what runs on the node.
func (k *kubeletAPI) statsSummary(w http.ResponseWriter, _ *http.Request) {
	pods, err := k.pods.List(labels.Everything())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	summary := statsv1alpha1.Summary{Node: statsv1alpha1.NodeStats{NodeName: k.node.name}, Pods: []statsv1alpha1.PodStats{}}
	for _, p := range pods {
		if p.Spec.NodeName != k.node.name {
			continue
		}
		ps := statsv1alpha1.PodStats{PodRef: statsv1alpha1.PodReference{Name: p.Name, Namespace: p.Namespace, UID: string(p.UID)}}
		if p.Status.StartTime != nil {
			ps.StartTime = *p.Status.StartTime
		}
		summary.Pods = append(summary.Pods, ps)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(summary)
}
