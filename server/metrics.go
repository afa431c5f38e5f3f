package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics holds the service's Prometheus collectors, registered on a
// registry of the server's own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	stages   *prometheus.HistogramVec
	waits    *prometheus.HistogramVec
	rejected *prometheus.CounterVec
	inflight prometheus.Gauge
}

func newMetrics(banks BankReader, logger *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "medialabel_http_requests_total",
			Help: "HTTP requests answered, by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "medialabel_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "status"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "medialabel_stage_duration_seconds",
			Help:    "Time spent in each stage of a request: read (upload body), fingerprint (decode and hash), match, classify.",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"stage"}),
		waits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "medialabel_pool_wait_seconds",
			Help:    "Time requests waited for a slot: upload (memory budget for bodies) or decode.",
			Buckets: []float64{.0001, .001, .005, .01, .05, .1, .25, .5, 1, 2},
		}, []string{"pool"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "medialabel_overload_rejections_total",
			Help: "Requests refused with 503 because a pool stayed full, by pool.",
		}, []string{"pool"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "medialabel_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.stages, m.waits, m.rejected, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if banks != nil {
		m.reg.MustRegister(&bankCollector{banks: banks, logger: logger, desc: prometheus.NewDesc(
			"medialabel_bank_entries", "Entries in each bank.", []string{"bank"}, nil)})
	}
	return m
}

// observe records how long stage took since start.
func (m *metrics) observe(stage string, start time.Time) {
	m.stages.WithLabelValues(stage).Observe(time.Since(start).Seconds())
}

// bankCollector reports bank sizes from the store at scrape time.
type bankCollector struct {
	banks  BankReader
	logger *slog.Logger
	desc   *prometheus.Desc
}

func (b *bankCollector) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b *bankCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	banks, err := b.banks.Banks(ctx)
	if err != nil {
		b.logger.Warn("metrics: listing banks", "err", err)
		return
	}
	for _, bk := range banks {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, float64(bk.Entries), bk.Name)
	}
}
