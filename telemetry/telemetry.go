// Package telemetry holds what an operator watches of a Concierge process:
// its Prometheus registry (HTTP, Temporal SDK, business and process
// metrics) and the log handler that names the workflow a record belongs
// to.
package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// NewRegistry is a process's registry, with the Go runtime's and the
// process's own metrics (memory, file descriptors, CPU).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves a registry in the Prometheus text format.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// reportEvery is how often the SDK's metrics are copied into the registry.
const reportEvery = time.Second

// latencyBuckets are the SDK's timers' histogram buckets, in seconds: from
// a local activity (milliseconds) to a long poll (a minute).
func latencyBuckets() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
}

// TemporalMetrics is the Temporal SDK's metrics handler for a client (and
// the workers on it), registering into reg under Prometheus names
// (temporal_request_total, temporal_workflow_task_execution_latency_seconds,
// …) with histograms, so that replicas can be summed. close stops the
// reporting.
func TemporalMetrics(reg prometheus.Registerer, logger *slog.Logger) (handler client.MetricsHandler, close func()) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              reg,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: latencyBuckets(),
		// A metric the SDK tags differently from its first use is dropped
		// with a warning rather than stopping the process.
		OnRegisterError: func(err error) { logger.Warn("temporal metric not registered", "error", err) },
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, reportEvery)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), func() {
		if err := closer.Close(); err != nil {
			logger.Warn("stop temporal metrics", "error", err)
		}
	}
}

// WorkflowLogs wraps a log handler so that a record logged with an
// activity's context names the workflow it works for (workflow_id, which
// holds the case number for a case: complaint/TS…) and the activity.
// Workflow code logs through the SDK's logger, which adds them itself.
func WorkflowLogs(h slog.Handler) slog.Handler { return workflowLogs{h} }

type workflowLogs struct{ slog.Handler }

func (w workflowLogs) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil && activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		r = r.Clone()
		r.AddAttrs(slog.String("workflow_id", info.WorkflowExecution.ID), slog.String("activity", info.ActivityType.Name))
	}
	return w.Handler.Handle(ctx, r)
}

func (w workflowLogs) WithAttrs(as []slog.Attr) slog.Handler {
	return workflowLogs{w.Handler.WithAttrs(as)}
}

func (w workflowLogs) WithGroup(name string) slog.Handler {
	return workflowLogs{w.Handler.WithGroup(name)}
}
