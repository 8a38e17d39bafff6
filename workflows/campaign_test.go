package workflows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

func TestCallbackCampaign(t *testing.T) {
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) // 08:00 on the 1st in Shanghai
	plan := domain.CampaignPlan{Month: "2026-12", MidMonth: start.Add(14 * 24 * time.Hour), MonthEnd: start.Add(30 * 24 * time.Hour)}
	for _, tt := range []struct {
		name      string
		reminders []string
	}{
		{"behind at mid-month", []string{"campaign/2026-12/remind/liu_fang", "campaign/2026-12/remind/zhao_min"}},
		{"on track", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartTime(start)
			env.RegisterWorkflowWithOptions(workflows.CallbackCampaign, workflow.RegisterOptions{Name: workflows.CampaignWorkflow})
			var steps []string
			at := map[string]time.Time{}
			step := func(_ context.Context, name string) {
				steps = append(steps, name)
				at[name] = env.Now()
			}
			env.RegisterActivityWithOptions(func(ctx context.Context, when time.Time) (domain.CampaignPlan, error) {
				step(ctx, "open")
				if !when.Equal(start) {
					t.Errorf("opened for %s, want the start %s", when, start)
				}
				return plan, nil
			}, activity.RegisterOptions{Name: workflows.OpenCampaignActivity})
			env.RegisterActivityWithOptions(func(ctx context.Context, month string) ([]string, error) {
				step(ctx, "check "+month)
				return tt.reminders, nil
			}, activity.RegisterOptions{Name: workflows.CheckCampaignActivity})
			var delivered []string
			env.RegisterActivityWithOptions(func(ctx context.Context, keys []string) error {
				step(ctx, "deliver")
				delivered = append(delivered, keys...)
				return nil
			}, activity.RegisterOptions{Name: workflows.DeliverActivity})
			env.RegisterActivityWithOptions(func(ctx context.Context, month string) error {
				step(ctx, "close "+month)
				return nil
			}, activity.RegisterOptions{Name: workflows.CloseCampaignActivity})

			env.ExecuteWorkflow(workflows.CampaignWorkflow)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			want := []string{"open", "check 2026-12", "close 2026-12"}
			if tt.reminders != nil {
				want = []string{"open", "check 2026-12", "deliver", "close 2026-12"}
			}
			if !slices.Equal(steps, want) {
				t.Fatalf("steps %v, want %v", steps, want)
			}
			if !slices.Equal(delivered, tt.reminders) {
				t.Errorf("delivered %v, want %v", delivered, tt.reminders)
			}
			if at["check 2026-12"].Before(plan.MidMonth) || at["close 2026-12"].Before(plan.MonthEnd) {
				t.Errorf("checked at %s (want from %s), closed at %s (want from %s)",
					at["check 2026-12"], plan.MidMonth, at["close 2026-12"], plan.MonthEnd)
			}
		})
	}
}
