package activities

import (
	"context"
	"log/slog"
	"time"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// Retention is the activity of the retention schedule.
type Retention struct {
	Store *store.Store
	// Retention is the configured period; zero is off.
	Retention time.Duration
	// Batch is the records per transaction (store.DefaultRetentionBatch when 0).
	Batch int
}

// AnonymiseExpired anonymises what was closed more than the retention
// period before at, the run's scheduled time, and returns the cut-off and
// the counts. With retention off it looks at nothing and says so.
func (a *Retention) AnonymiseExpired(ctx context.Context, at time.Time) (domain.RetentionRun, error) {
	if a.Retention <= 0 {
		return domain.RetentionRun{Off: true}, nil
	}
	run, err := a.Store.AnonymiseBefore(ctx, at.Add(-a.Retention), a.Batch)
	if err != nil {
		return run, err
	}
	slog.InfoContext(ctx, "retention run", "cutoff", run.Cutoff, "cases", run.Cases, "visits", run.Visits,
		"emails", run.Emails, "callback_tasks", run.CallbackTasks)
	return run, nil
}
