package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// metricName finds the metrics a PromQL expression reads: Concierge's own,
// the Temporal SDK's and the process collector's all carry one of these
// prefixes, and no label or function does.
var metricName = regexp.MustCompile(`\b(?:concierge|temporal|process)_[a-z0-9_]+\b`)

// TestDashboardMetricsAreExported reads every query of the Grafana
// dashboard in deploy/ and checks that each metric it names is exported by
// the process's registry (the one concierge dev serves on /metrics), once a
// case has been recorded and another withdrawn, so that the SDK's workflow,
// activity and request metrics exist. A panel on a metric renamed or never
// exported fails here instead of showing "no data" in production.
func TestDashboardMetricsAreExported(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/concierge-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	wanted := map[string][]string{} // metric → panels
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			names := metricName.FindAllString(q.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: no metric found in %q", p.Title, q.Expr)
			}
			for _, n := range names {
				wanted[n] = append(wanted[n], p.Title)
			}
		}
	}
	if len(wanted) < 10 {
		t.Fatalf("only %d metrics found in the dashboard: %v", len(wanted), wanted)
	}

	// An open case (the business gauges) and a finished workflow (the SDK's
	// completion and end-to-end metrics).
	create(t, "noise")
	gone := create(t, "noise")
	act(t, gone.Number, "withdraw", map[string]any{"reason": "观测测试"}, http.StatusOK)

	// The SDK's metrics reach the registry once a second.
	var missing []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		families, err := sys.registry.Gather()
		if err != nil {
			t.Fatalf("gather: %v", err)
		}
		missing = missing[:0]
		for n, panels := range wanted {
			if !exported(families, n) {
				missing = append(missing, n+" ("+strings.Join(panels, "; ")+")")
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("the dashboard queries %s, which is not exported", m)
	}
}

// exported says whether a metric name is among the families: a family's
// own name, or a histogram's series (_bucket, _sum, _count).
func exported(families []*dto.MetricFamily, name string) bool {
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			return true
		}
		if f.GetType() != dto.MetricType_HISTOGRAM {
			continue
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if f.GetName()+suffix == name && len(f.GetMetric()) > 0 {
				return true
			}
		}
	}
	return false
}
