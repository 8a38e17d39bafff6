package telemetry

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/concierge-pm/concierge/internal/testdb"
	"github.com/concierge-pm/concierge/store"
)

// TestCaseMetrics generates a history, closes every case, then opens a few
// in known states with SQL, so each expected figure is known by
// construction rather than recomputed the way the collector computes it.
func TestCaseMetrics(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.New(t, "concierge_telemetry"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// The generator draws its staff and departments from the demo set.
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	// A fixed month long past: every figure below comes from the states
	// set by hand, whatever day the test runs.
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := st.GenerateHistory(ctx, store.HistoryOptions{Complaints: 40, Communities: 2, Households: 20,
		From: from, To: from.AddDate(0, 1, 0), Seed: 0.3}); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`UPDATE cases SET status = 'closed', escalation_level = 0, sla_breached = false`)
	// Open, by number order: 2 recorded in G001 (one breached and at level
	// 2), 1 routed in G002 at level 1.
	for i, set := range []string{
		`status = 'recorded', community = 'G001', sla_breached = true, escalation_level = 2`,
		`status = 'recorded', community = 'G001'`,
		`status = 'routed', community = 'G002', escalation_level = 1`,
	} {
		exec(`UPDATE cases SET `+set+` WHERE number = (SELECT number FROM cases ORDER BY number OFFSET $1 LIMIT 1)`, i)
	}
	exec(`INSERT INTO notifications (number, audience, template, status, idempotency_key) VALUES
		('X', 'resident', 't', 'failed', 'telemetry/1'), ('X', 'resident', 't', 'failed', 'telemetry/2'),
		('X', 'staff', 't', 'pending', 'telemetry/3'), ('X', 'staff', 't', 'sent', 'telemetry/4')`)

	m := NewCaseMetrics(st, slog.New(slog.DiscardHandler))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	want := `
# HELP concierge_open_cases Open cases (not in a terminal status) by kind, status and community.
# TYPE concierge_open_cases gauge
concierge_open_cases{community="G001",kind="complaint",status="recorded"} 2
concierge_open_cases{community="G002",kind="complaint",status="routed"} 1
# HELP concierge_open_cases_breached Open cases that breached a deadline, by kind and community.
# TYPE concierge_open_cases_breached gauge
concierge_open_cases_breached{community="G001",kind="complaint"} 1
concierge_open_cases_breached{community="G002",kind="complaint"} 0
# HELP concierge_open_cases_escalated Open cases escalated, by kind and escalation level (1 and up).
# TYPE concierge_open_cases_escalated gauge
concierge_open_cases_escalated{kind="complaint",level="1"} 1
concierge_open_cases_escalated{kind="complaint",level="2"} 1
concierge_open_cases_escalated{kind="complaint",level="3"} 0
concierge_open_cases_escalated{kind="repair",level="1"} 0
concierge_open_cases_escalated{kind="repair",level="2"} 0
concierge_open_cases_escalated{kind="repair",level="3"} 0
# HELP concierge_notifications Notifications pending delivery or failed, by audience and status.
# TYPE concierge_notifications gauge
concierge_notifications{audience="resident",status="failed"} 2
concierge_notifications{audience="resident",status="pending"} 0
concierge_notifications{audience="staff",status="failed"} 0
concierge_notifications{audience="staff",status="pending"} 1
# HELP concierge_read_model_up 1 when the business metrics could be read from PostgreSQL, else 0.
# TYPE concierge_read_model_up gauge
concierge_read_model_up 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}

	// A scrape soon after answers the last reading; once the database is
	// gone, the figures go and up says 0.
	exec(`UPDATE cases SET status = 'closed'`)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Errorf("a scrape within maxAge: %v", err)
	}
	m.maxAge = 0
	st.Close()
	down := `
# HELP concierge_read_model_up 1 when the business metrics could be read from PostgreSQL, else 0.
# TYPE concierge_read_model_up gauge
concierge_read_model_up 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(down)); err != nil {
		t.Errorf("with the database closed: %v", err)
	}
}
