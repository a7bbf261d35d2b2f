package edgeproxy

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outpost-edge/outpost/internal/edgeproxy/store"
)

// metrics of the proxy, all prefixed outpost_edgeproxy_.
type metrics struct {
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	hits           *prometheus.CounterVec
	misses         *prometheus.CounterVec
	watches        *prometheus.GaugeVec
	upstreamUp     prometheus.Gauge
	transitions    *prometheus.CounterVec
	recordErrors   *prometheus.CounterVec
	acknowledged   *prometheus.CounterVec
	reconciled     *prometheus.CounterVec
	watchesBridged prometheus.Counter
	watchesResumed prometheus.Counter
	storeBytes     prometheus.Gauge
	storeFile      prometheus.Gauge
	storeViews     prometheus.Gauge
	evictions      prometheus.Gauge
	writeErrors    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, p *Proxy) *metrics {
	const ns, sub = "outpost", "edgeproxy"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "Requests handled, by verb, by who answered (cloud, cache or local) and HTTP code."}, []string{"verb", "served_by", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "request_duration_seconds",
			Help:    "Time to answer a request (watches excluded), by verb and by who answered.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"verb", "served_by"}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "cache_hits_total",
			Help: "Requests answered from the cache, by verb."}, []string{"verb"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "cache_misses_total",
			Help: "Reads the cache could not answer while the cloud was unreachable, by verb."}, []string{"verb"}),
		watches: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "watches",
			Help: "Watches open, by who serves them (cloud or cache)."}, []string{"served_by"}),
		upstreamUp: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "upstream_up",
			Help: "1 when the cloud API server is reachable, 0 when the proxy serves from its cache."}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "upstream_transitions_total",
			Help: "Changes of the link's state, by the state entered."}, []string{"state"}),
		recordErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "record_errors_total",
			Help: "Responses that could not be recorded in the cache, by verb."}, []string{"verb"}),
		acknowledged: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "heartbeats_acknowledged_total",
			Help: "Kubelet heartbeats (lease renewals, node status) acknowledged locally while the cloud was unreachable, by resource."}, []string{"resource"}),
		reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "reconciled_views_total",
			Help: "Cached collections re-listed by the proxy after the cloud came back, by result."}, []string{"result"}),
		watchesBridged: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "watches_bridged_total",
			Help: "Watches to the cloud whose link broke and whose clients the proxy kept connected."}),
		watchesResumed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "watches_resumed_total",
			Help: "Bridged watches resumed from the cloud where they stopped."}),
		storeBytes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "store_bytes",
			Help: "Bytes of data in the cache."}),
		storeFile: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "store_file_bytes",
			Help: "Size of the cache file, free pages included."}),
		storeViews: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "store_views",
			Help: "Collections (identity, resource, namespace, selectors) in the cache."}),
		evictions: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "store_evictions",
			Help: "Collections evicted to keep the cache under its cap since start."}),
		writeErrors: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "store_write_errors",
			Help: "Failed cache writes since start."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.hits, m.misses, m.watches, m.upstreamUp, m.transitions,
			m.recordErrors, m.acknowledged, m.reconciled, m.watchesBridged, m.watchesResumed, m.storeBytes, m.storeFile, m.storeViews, m.evictions, m.writeErrors)
	}
	return m
}

// request counts a finished request.
func (m *metrics) request(rs *request, servedBy string, code int) {
	verb := rs.info.Verb
	if !rs.info.Resource {
		verb = "nonresource"
	}
	m.requests.WithLabelValues(verb, servedBy, strconv.Itoa(code)).Inc()
	if !rs.watch && !rs.upgrade {
		m.latency.WithLabelValues(verb, servedBy).Observe(time.Since(rs.start).Seconds())
	}
}

func (m *metrics) transition(to State) {
	m.transitions.WithLabelValues(to.String()).Inc()
	if to == Online {
		m.upstreamUp.Set(1)
	} else {
		m.upstreamUp.Set(0)
	}
}

func (m *metrics) storeStats(s store.Stats) {
	m.storeBytes.Set(float64(s.Bytes))
	m.storeFile.Set(float64(s.FileBytes))
	m.storeViews.Set(float64(s.Views))
	m.evictions.Set(float64(s.Evictions))
	m.writeErrors.Set(float64(s.WriteErrors))
}
