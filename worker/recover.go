package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/cases"
	"github.com/concierge-pm/concierge/store"
)

// RecoverGrace is how old an intake without a recorded case must be before
// recovery starts its workflow; younger ones are still being started by the API.
const RecoverGrace = 30 * time.Second

// RecoverIntakes starts the workflow of every intake whose start was cut
// short (the API stopped between storing the intake and starting the
// workflow), so no case taken down is lost. Starting is idempotent, so
// a race with a late API call or a second worker is harmless.
func RecoverIntakes(ctx context.Context, c client.Client, taskQueue string, st *store.Store, grace time.Duration) (int, error) {
	intakes, err := st.UnstartedIntakes(ctx, grace, 100)
	if err != nil {
		return 0, err
	}
	started := 0
	for _, in := range intakes {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		state, err := cases.StartStored(sctx, c, taskQueue, in.Kind, in.Input, st)
		cancel()
		if err != nil {
			return started, fmt.Errorf("recover a %s intake: %w", in.Kind, err)
		}
		slog.Info("recovered an intake whose workflow had not started", "kind", in.Kind, "number", state.Number)
		started++
	}
	return started, nil
}

// RunRecovery calls RecoverIntakes every interval until ctx ends.
func RunRecovery(ctx context.Context, c client.Client, taskQueue string, st *store.Store, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := RecoverIntakes(ctx, c, taskQueue, st, RecoverGrace); err != nil && ctx.Err() == nil {
			slog.Warn("intake recovery", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
