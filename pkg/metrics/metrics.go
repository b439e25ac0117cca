package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Results a run ends with, as the "result" label.
const (
	ResultSucceeded = "succeeded"
	ResultFailed    = "failed"
	ResultError     = "error" // timeout, crash, or no outcome reported
	ResultSkipped   = "skipped"
)

var (
	runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "foreman_operator_ansible_run_duration_seconds",
		Help:    "Duration of whole Ansible runs, from start to exit, by kind and result.",
		Buckets: []float64{0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 300, 600, 1800},
	}, []string{"kind", "result"})
	runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foreman_operator_ansible_runs_total",
		Help: "Ansible runs by kind and result.",
	}, []string{"kind", "result"})
	inProgress = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "foreman_operator_ansible_runs_in_progress",
		Help: "Ansible runs in progress, by kind.",
	}, []string{"kind"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(runDuration, runs, inProgress)
}

// RunStarted counts a run of kind as in progress and returns the function
// that records its end with a result.
func RunStarted(kind string) func(result string) {
	start := time.Now()
	inProgress.WithLabelValues(kind).Inc()
	return func(result string) {
		inProgress.WithLabelValues(kind).Dec()
		runDuration.WithLabelValues(kind, result).Observe(time.Since(start).Seconds())
		runs.WithLabelValues(kind, result).Inc()
	}
}
