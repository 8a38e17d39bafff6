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
	deliverBeside(ctx, reminders)
	if err := workflow.Sleep(ctx, plan.MonthEnd.Sub(workflow.Now(ctx))); err != nil {
		return plan.Month, err
	}
	if err := workflow.ExecuteActivity(ctx, CloseCampaignActivity, plan.Month).Get(ctx, nil); err != nil {
		return plan.Month, fmt.Errorf("close campaign: %w", err)
	}
	return plan.Month, nil
}
