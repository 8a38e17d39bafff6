package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// Names of the monthly callback campaign.
const (
	CampaignWorkflow      = "CallbackCampaign"
	OpenCampaignActivity  = "OpenCampaign"
	CheckCampaignActivity = "CheckCampaign"
	CloseCampaignActivity = "CloseCampaign"
	// campaignWaitsForReminders versions the wait for the reminders' delivery
	// before the run ends.
	campaignWaitsForReminders = "campaign-waits-for-reminders"
)

// CallbackCampaign runs one month's callbacks (回访): it selects and assigns
// the households on the 1st, reminds the receptionists at mid-month if the
// campaign is behind, and records the coverage at the month's end.
func CallbackCampaign(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
	})
	var plan domain.CampaignPlan
	if err := workflow.ExecuteActivity(ctx, OpenCampaignActivity, workflow.Now(ctx)).Get(ctx, &plan); err != nil {
		return "", fmt.Errorf("open campaign: %w", err)
	}
	if err := workflow.Sleep(ctx, plan.MidMonth.Sub(workflow.Now(ctx))); err != nil {
		return plan.Month, err
	}
	var reminders []string
	if err := workflow.ExecuteActivity(ctx, CheckCampaignActivity, plan.Month).Get(ctx, &reminders); err != nil {
		return plan.Month, fmt.Errorf("check campaign: %w", err)
	}
	reminded := deliverBeside(ctx, reminders)
	if err := workflow.Sleep(ctx, plan.MonthEnd.Sub(workflow.Now(ctx))); err != nil {
		return plan.Month, err
	}
	if err := workflow.ExecuteActivity(ctx, CloseCampaignActivity, plan.Month).Get(ctx, nil); err != nil {
		return plan.Month, fmt.Errorf("close campaign: %w", err)
	}
	// Started in the month's last hour, the run checks and closes at once:
	// it waits for the reminders to go out before it ends. Runs that ended
	// before this wait existed replay without it.
	if workflow.GetVersion(ctx, campaignWaitsForReminders, workflow.DefaultVersion, 1) == 1 {
		_ = reminded.Get(ctx, nil)
	}
	return plan.Month, nil
}
