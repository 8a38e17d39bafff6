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

// The campaign's clock decides what it does when: started on the 1st (or
// any day before 09:00 on the 15th, centre time) it sleeps until mid-month,
// checks, and sleeps until the month's end; started later (by hand) it checks
// at once; started in the month's last hour it checks and closes at once.
// Behind at mid-month it delivers the reminders; on track it sends none.
func TestCallbackCampaign(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []struct {
		name  string
		at    time.Time
		month string
	}{
		{"from the schedule at 08:00 on the 1st", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "2026-12"},
		{"by hand at 00:30 on the 2nd (16:30 UTC the day before)", time.Date(2026, 12, 1, 16, 30, 0, 0, time.UTC), "2026-12"},
		{"by hand at 00:30 on 1 January (still 31 December in UTC)", time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), "2027-01"},
		{"by hand a second before mid-month", time.Date(2026, 12, 15, 0, 59, 59, 0, time.UTC), "2026-12"},
		{"by hand at mid-month", time.Date(2026, 12, 15, 1, 0, 0, 0, time.UTC), "2026-12"},
		{"by hand on the 20th", time.Date(2026, 12, 20, 2, 0, 0, 0, time.UTC), "2026-12"},
		{"by hand at 23:30 on the last day", time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC), "2026-12"},
	} {
		plan := domain.PlanCampaign(start.at, shanghai)
		if plan.Month != start.month {
			t.Fatalf("%s: planned %s, want %s", start.name, plan.Month, start.month)
		}
		behind := []string{"campaign/" + plan.Month + "/remind/liu_fang", "campaign/" + plan.Month + "/remind/zhao_min"}
		for _, tt := range []struct {
			name      string
			reminders []string
		}{{"behind", behind}, {"on track", nil}} {
			t.Run(start.name+"/"+tt.name, func(t *testing.T) {
				var suite testsuite.WorkflowTestSuite
				env := suite.NewTestWorkflowEnvironment()
				env.SetStartTime(start.at)
				env.RegisterWorkflowWithOptions(workflows.CallbackCampaign, workflow.RegisterOptions{Name: workflows.CampaignWorkflow})
				var steps []string
				at := map[string]time.Time{}
				step := func(name string) {
					steps = append(steps, name)
					at[name] = env.Now()
				}
				env.RegisterActivityWithOptions(func(_ context.Context, when time.Time) (domain.CampaignPlan, error) {
					step("open")
					if !when.Equal(start.at) {
						t.Errorf("opened for %s, want the start %s", when, start.at)
					}
					return plan, nil
				}, activity.RegisterOptions{Name: workflows.OpenCampaignActivity})
				env.RegisterActivityWithOptions(func(_ context.Context, month string) ([]string, error) {
					step("check " + month)
					return tt.reminders, nil
				}, activity.RegisterOptions{Name: workflows.CheckCampaignActivity})
				var delivered []string
				env.RegisterActivityWithOptions(func(_ context.Context, keys []string) error {
					// Slower than the close, as a mail server is: a run that
					// closed without waiting would end before it.
					time.Sleep(20 * time.Millisecond)
					step("deliver")
					delivered = append(delivered, keys...)
					return nil
				}, activity.RegisterOptions{Name: workflows.DeliverActivity})
				env.RegisterActivityWithOptions(func(_ context.Context, month string) error {
					step("close " + month)
					return nil
				}, activity.RegisterOptions{Name: workflows.CloseCampaignActivity})

				env.ExecuteWorkflow(workflows.CampaignWorkflow)
				if err := env.GetWorkflowError(); err != nil {
					t.Fatal(err)
				}
				var month string
				if err := env.GetWorkflowResult(&month); err != nil || month != start.month {
					t.Fatalf("result %q, %v; want %s", month, err, start.month)
				}
				// The reminders go out beside the campaign, before the run
				// ends: when it closes at once, in either order with the close.
				check, closing := "check "+start.month, "close "+start.month
				want := []string{"open", check, closing}
				if got := slices.DeleteFunc(slices.Clone(steps), func(s string) bool { return s == "deliver" }); !slices.Equal(got, want) {
					t.Fatalf("steps %v, want %v", steps, want)
				}
				if tt.reminders != nil && !slices.Contains(steps, "deliver") || tt.reminders == nil && slices.Contains(steps, "deliver") {
					t.Fatalf("steps %v: reminders %v delivered or not as they should", steps, tt.reminders)
				}
				if tt.reminders != nil && !at["deliver"].Equal(at[check]) {
					t.Errorf("delivered at %s, want with the check at %s", at["deliver"], at[check])
				}
				if !slices.Equal(delivered, tt.reminders) {
					t.Errorf("delivered %v, want %v", delivered, tt.reminders)
				}
				// Activities take no time here: each step is due exactly when
				// its sleep ends, or at once when that time has passed.
				later := func(a, b time.Time) time.Time {
					if a.After(b) {
						return a
					}
					return b
				}
				if got, want := at[check], later(start.at, plan.MidMonth); !got.Equal(want) {
					t.Errorf("checked at %s, want %s", got, want)
				}
				if got, want := at[closing], later(start.at, plan.MonthEnd); !got.Equal(want) {
					t.Errorf("closed at %s, want %s", got, want)
				}
			})
		}
	}
}
