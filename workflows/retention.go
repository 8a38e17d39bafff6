package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// Names of the retention schedule's workflow and activity (registered
// names are forever, docs/DESIGN.md §11.11).
const (
	RetentionWorkflow        = "PersonalDataRetention"
	AnonymiseExpiredActivity = "AnonymiseExpiredData"
)

// PersonalDataRetention anonymises the residents' personal data that the
// retention period no longer allows to keep (个人信息保存期限): the
// activity works out the cut-off from the run's time and the configured
// period, so a change of the setting needs no change here. It returns the
// cut-off and the counts, nothing else (docs/DESIGN.md §11.14).
func PersonalDataRetention(ctx workflow.Context) (domain.RetentionRun, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The first run after years without one may have a backlog; the
		// activity is idempotent, so one cut short is retried and goes on
		// from where it stopped.
		StartToCloseTimeout: 2 * time.Hour,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
	})
	var run domain.RetentionRun
	err := workflow.ExecuteActivity(ctx, AnonymiseExpiredActivity, workflow.Now(ctx)).Get(ctx, &run)
	return run, err
}
