package telemetry

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// CaseMetrics are the business metrics, read from PostgreSQL's read model
// when Prometheus scrapes: open cases by kind, status and community, those
// that breached a deadline, those escalated by level, and notifications
// waiting or failed. Every replica of the API exports the same figures, so
// dashboards take max() of them, not sum(). A scrape within maxAge of the
// last reading is answered from it, so several scrapers cost one query.
type CaseMetrics struct {
	store   *store.Store
	logger  *slog.Logger
	maxAge  time.Duration
	timeout time.Duration

	open, breached, escalated, notifications, up *prometheus.Desc

	mu   sync.Mutex
	last store.Gauges
	at   time.Time
	ok   bool
}

// NewCaseMetrics makes the collector; register it on the API's registry.
func NewCaseMetrics(st *store.Store, logger *slog.Logger) *CaseMetrics {
	return &CaseMetrics{
		store: st, logger: logger, maxAge: 10 * time.Second, timeout: 5 * time.Second,
		open: prometheus.NewDesc("concierge_open_cases", "Open cases (not in a terminal status) by kind, status and community.",
			[]string{"kind", "status", "community"}, nil),
		breached: prometheus.NewDesc("concierge_open_cases_breached", "Open cases that breached a deadline, by kind and community.",
			[]string{"kind", "community"}, nil),
		escalated: prometheus.NewDesc("concierge_open_cases_escalated", "Open cases escalated, by kind and escalation level (1 and up).",
			[]string{"kind", "level"}, nil),
		notifications: prometheus.NewDesc("concierge_notifications", "Notifications pending delivery or failed, by audience and status.",
			[]string{"audience", "status"}, nil),
		up: prometheus.NewDesc("concierge_read_model_up", "1 when the business metrics could be read from PostgreSQL, else 0.",
			nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *CaseMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.open, m.breached, m.escalated, m.notifications, m.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *CaseMetrics) Collect(ch chan<- prometheus.Metric) {
	g, ok := m.read()
	up := 0.0
	if ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, up)
	if !ok {
		return
	}
	// Fixed label sets are filled with zeros, so a panel shows 0, not "no
	// data", and an alert on them has a series to watch.
	type kc struct{ kind, community string }
	type kl struct {
		kind  string
		level int
	}
	breached, escalated := map[kc]int64{}, map[kl]int64{}
	for _, k := range domain.Kinds() {
		for level := 1; level <= domain.TopLevel; level++ {
			escalated[kl{string(k.Kind), level}] = 0
		}
	}
	notifications := map[[2]string]int64{}
	for _, audience := range []string{"resident", "staff"} {
		for _, status := range []string{"pending", "failed"} {
			notifications[[2]string{audience, status}] = 0
		}
	}
	// The rows are by escalation level too: summed here per label set.
	open := map[[3]string]int64{}
	for _, o := range g.Open {
		open[[3]string{o.Kind, o.Status, o.Community}] += o.Count
		breached[kc{o.Kind, o.Community}] += o.Breached
		if o.Level > 0 {
			escalated[kl{o.Kind, o.Level}] += o.Count
		}
	}
	for k, n := range open {
		ch <- prometheus.MustNewConstMetric(m.open, prometheus.GaugeValue, float64(n), k[0], k[1], k[2])
	}
	for k, n := range breached {
		ch <- prometheus.MustNewConstMetric(m.breached, prometheus.GaugeValue, float64(n), k.kind, k.community)
	}
	for k, n := range escalated {
		ch <- prometheus.MustNewConstMetric(m.escalated, prometheus.GaugeValue, float64(n), k.kind, strconv.Itoa(k.level))
	}
	for _, n := range g.Notifications {
		notifications[[2]string{n.Audience, n.Status}] = n.Count
	}
	for k, n := range notifications {
		ch <- prometheus.MustNewConstMetric(m.notifications, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}

// read answers the figures, from the last reading when it is recent.
func (m *CaseMetrics) read() (store.Gauges, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ok && time.Since(m.at) < m.maxAge {
		return m.last, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	g, err := m.store.Gauges(ctx)
	if err != nil {
		m.logger.Warn("business metrics not read", "error", err)
		m.ok = false
		return g, false
	}
	m.last, m.at, m.ok = g, time.Now(), true
	return g, true
}
