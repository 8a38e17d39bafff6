package activities

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// Campaigns are the activities of the monthly callback campaign.
type Campaigns struct {
	Store    *store.Store
	Location *time.Location
	// Target is the share of active households to reach; 20 % when zero.
	Target float64
}

// OpenCampaign selects the households to call in the month of at and
// assigns them to the receptionists in balance; a repeat leaves the first
// selection in place.
func (a *Campaigns) OpenCampaign(ctx context.Context, at time.Time) (domain.CampaignPlan, error) {
	at = at.In(a.Location)
	start := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, a.Location)
	plan := domain.PlanCampaign(at, a.Location)
	candidates, err := a.Store.CampaignCandidates(ctx, start.AddDate(0, -1, 0), start)
	if err != nil {
		return plan, err
	}
	receptionists, err := a.Store.Receptionists(ctx)
	if err != nil {
		return plan, err
	}
	if len(receptionists) == 0 {
		return plan, errors.New("no active receptionist to give the callback tasks to")
	}
	target := a.Target
	if target <= 0 {
		target = domain.DefaultCallbackTarget
	}
	// The month seeds the draw, so a retried activity draws the same households.
	h := fnv.New64a()
	fmt.Fprint(h, plan.Month)
	selected := domain.SelectCampaign(candidates, target, at, h.Sum64())
	owed := map[int64]bool{}
	for _, c := range candidates {
		owed[c.ID] = c.OwesCallback
	}
	err = a.Store.CreateCampaign(ctx, plan.Month, target, len(candidates), owed, domain.AssignCallbacks(selected, receptionists))
	return plan, err
}

// CheckCampaign reminds the receptionists when the campaign is behind at
// mid-month (under half its target reached); it returns the reminders'
// outbox keys for delivery, none when on track.
func (a *Campaigns) CheckCampaign(ctx context.Context, month string) ([]string, error) {
	c, err := a.Store.Coverage(ctx, month)
	if err != nil {
		return nil, err
	}
	if float64(c.Reached) >= c.Target*float64(c.ActiveHouseholds)/2 {
		return nil, nil
	}
	return a.Store.RemindCampaign(ctx, c)
}

// CloseCampaign records the month-end coverage.
func (a *Campaigns) CloseCampaign(ctx context.Context, month string) (store.CampaignCoverage, error) {
	return a.Store.CloseCampaign(ctx, month)
}
