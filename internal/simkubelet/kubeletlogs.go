package simkubelet

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// startupLogLines is how many lines every simulated container has logged
// by the time anyone asks; a followed log gets one more per LogInterval.
const startupLogLines = 10

// logLine is line i (from 0) of a container's simulated log. The text
// depends only on the pod, container and index, so tests can predict it.
func logLine(pod *corev1.Pod, container string, i int) string {
	return fmt.Sprintf("%s/%s %s: simulated log line %d", pod.Namespace, pod.Name, container, i+1)
}

// logOptions are the kubelet's /containerLogs query parameters (the
// fields of PodLogOptions the API server forwards).
type logOptions struct {
	follow, timestamps bool
	tailLines          int64 // -1: all
	limitBytes         int64 // -1: no limit
	since              time.Time
	stderrOnly         bool
}

func parseLogOptions(r *http.Request) (logOptions, error) {
	q := r.URL.Query()
	o := logOptions{tailLines: -1, limitBytes: -1}
	var err error
	parseBool := func(name string) bool {
		v := q.Get(name)
		if v == "" || err != nil {
			return false
		}
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			err = fmt.Errorf("%s: %w", name, perr)
		}
		return b
	}
	parseInt := func(name string, min int64) int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return -1
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < min {
			err = fmt.Errorf("%s: want an integer ≥ %d, got %q", name, min, v)
		}
		return n
	}
	o.follow, o.timestamps = parseBool("follow"), parseBool("timestamps")
	if parseBool("previous") && err == nil {
		return o, fmt.Errorf("previous terminated container not found")
	}
	o.tailLines, o.limitBytes = parseInt("tailLines", 0), parseInt("limitBytes", 1)
	if s := parseInt("sinceSeconds", 1); s > 0 {
		o.since = time.Now().Add(-time.Duration(s) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" && err == nil {
		if o.since, err = time.Parse(time.RFC3339, v); err != nil {
			err = fmt.Errorf("sinceTime: %w", err)
		}
	}
	o.stderrOnly = q.Get("stream") == string(corev1.LogStreamStderr)
	return o, err
}

// containerLogs serves GET /containerLogs/{ns}/{pod}/{container}: the
// startup lines (stamped at the pod's start, a millisecond apart), then,
// when following, a new line every interval until the client leaves or
// the pod goes away. Simulated containers write only to stdout.
func (k *kubeletAPI) containerLogs(w http.ResponseWriter, r *http.Request) {
	pod, container, ok := k.podContainer(w, r)
	if !ok {
		return
	}
	opts, err := parseLogOptions(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	out := &limitedWriter{w: w, left: opts.limitBytes}
	if opts.stderrOnly {
		return
	}
	start := pod.CreationTimestamp.Time
	if pod.Status.StartTime != nil {
		start = pod.Status.StartTime.Time
	}
	write := func(i int, ts time.Time) bool {
		line := logLine(pod, container, i) + "\n"
		if opts.timestamps {
			line = ts.UTC().Format(time.RFC3339Nano) + " " + line
		}
		_, err := io.WriteString(out, line)
		return err == nil
	}
	first := 0
	if opts.tailLines >= 0 {
		first = max(0, startupLogLines-int(opts.tailLines))
	}
	for i := first; i < startupLogLines; i++ {
		ts := start.Add(time.Duration(i) * time.Millisecond)
		if ts.Before(opts.since) {
			continue
		}
		if !write(i, ts) {
			return
		}
	}
	if !opts.follow {
		return
	}
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	tick := time.NewTicker(k.interval)
	defer tick.Stop()
	for i := startupLogLines; ; i++ {
		select {
		case <-r.Context().Done():
			return
		case now := <-tick.C:
			if cur, err := k.pods.Pods(pod.Namespace).Get(pod.Name); err != nil || cur.UID != pod.UID {
				return // the container is gone: a kubelet ends the stream then too
			}
			if !write(i, now) {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
}

// limitedWriter implements limitBytes: it writes up to left bytes (-1: no
// limit), cutting the last line short as the kubelet does, and then fails.
type limitedWriter struct {
	w    io.Writer
	left int64
}

var errLimitReached = fmt.Errorf("limitBytes reached")

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.left < 0 {
		return l.w.Write(p)
	}
	if l.left == 0 {
		return 0, errLimitReached
	}
	cut := p
	if int64(len(cut)) > l.left {
		cut = cut[:l.left]
	}
	n, err := l.w.Write(cut)
	l.left -= int64(n)
	if err == nil && n < len(p) {
		err = errLimitReached
	}
	return n, err
}
