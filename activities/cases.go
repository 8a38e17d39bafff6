// Package activities holds the side effects of the workflows: writes to
// PostgreSQL and the notification outbox. Every activity is idempotent.
package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// Cases are the activities of the case workflows, complaints and repairs.
type Cases struct {
	Store *store.Store
}

// RecordCaseEvents writes timeline events of either kind of case, each with
// the case snapshot after it, its notifications and its rating, in one
// transaction. It is registered as workflows.RecordActivity, whose name
// ("RecordComplaintEvents") predates repairs and stays: running workflows
// call it. A case whose intake row is missing can never be written, so that
// error is not retried.
func (a *Cases) RecordCaseEvents(ctx context.Context, recs []domain.CaseRecord) error {
	err := a.Store.RecordCaseEvents(ctx, recs)
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "intake_missing", err)
	}
	if err != nil {
		return fmt.Errorf("record %d events: %w", len(recs), err)
	}
	return nil
}
