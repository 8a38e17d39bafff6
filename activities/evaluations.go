package activities

import (
	"context"
	"time"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// Evaluations are the activities of the monthly staff evaluation.
type Evaluations struct {
	Store    *store.Store
	Location *time.Location
}

// EvaluateStaff scores the receptionists for the month before at (in the
// centre's zone) with the settings in force and stores the month, replacing
// an earlier run's; it returns that month. A retry scores again from the
// data as it then stands, which is what a supervisor's re-run would do.
func (a *Evaluations) EvaluateStaff(ctx context.Context, at time.Time) (string, error) {
	at = at.In(a.Location)
	to := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, a.Location)
	from := to.AddDate(0, -1, 0)
	month := from.Format("2006-01")
	set, err := a.Store.EvaluationSettings(ctx)
	if err != nil {
		return "", err
	}
	inputs, err := a.Store.EvaluationInputs(ctx, from, to, time.Now(), month)
	if err != nil {
		return "", err
	}
	results := domain.Evaluate(inputs, set.Weights, set.Threshold)
	return month, a.Store.SaveEvaluation(ctx, month, set.EvalSettings, results)
}
