package tunnel

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics are registered with controller-runtime's registry, which the
// server's /metrics endpoint serves.
var (
	metricSessions = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "outpost_tunnel_connected_nodes",
		Help: "Edge nodes whose agent is connected to this replica.",
	})
	metricStreams = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outpost_tunnel_streams_total",
		Help: "Streams opened to edge nodes, by how they came (dialnode, connect, http, replica) and result.",
	}, []string{"via", "result"})
)

func init() { metrics.Registry.MustRegister(metricSessions, metricStreams) }
