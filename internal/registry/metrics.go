package registry

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/outpost-edge/outpost/tars/protocol"
	tarsregistry "github.com/outpost-edge/outpost/tars/registry"
	"github.com/outpost-edge/outpost/tars/servant"
	"github.com/outpost-edge/outpost/tars/server"
)

// Metrics of the name service, served on outpost server's /metrics (the
// controller-runtime registry the cloud components' manager exposes).
var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outpost_registry_requests_total",
		Help: "Calls to the TARS name service by servant, function and TARS result code (0 is success).",
	}, []string{"servant", "function", "code"})
	latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "outpost_registry_request_duration_seconds",
		Help:    "Time to answer a call to the TARS name service.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 4, 8), // 50 µs to 0.8 s
	}, []string{"servant", "function"})
	// serving is the Registry now serving, read by the watchers gauge.
	serving  atomic.Pointer[tarsregistry.Registry]
	watchers = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "outpost_registry_watchers",
		Help: "Outpost clients subscribed to pushed endpoint changes.",
	}, func() float64 {
		if r := serving.Load(); r != nil {
			return float64(r.Watchers())
		}
		return 0
	})
)

func init() {
	ctrlmetrics.Registry.MustRegister(requests, latency, watchers)
}

// observe is a server interceptor counting and timing every call. Servant
// and function names come from the client, so names the servants do not
// serve are counted as "unknown": a client cannot grow the label set.
func observe(next server.Handler) server.Handler {
	return func(ctx context.Context, req *protocol.RequestPacket, resp *protocol.ResponsePacket) error {
		start := time.Now()
		err := next(ctx, req, resp)
		code, _ := servant.Result(err)
		servantName, function := req.ServantName, req.FuncName
		switch code {
		case protocol.ServerNoServantErr:
			servantName, function = "unknown", "unknown"
		case protocol.ServerNoFuncErr:
			function = "unknown"
		}
		requests.WithLabelValues(servantName, function, strconv.Itoa(int(code))).Inc()
		latency.WithLabelValues(servantName, function).Observe(time.Since(start).Seconds())
		return err
	}
}
