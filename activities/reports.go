package activities

import (
	"context"
	"time"

	"github.com/concierge-pm/concierge/store"
)

// Reports are the activities of the scheduled reports.
type Reports struct {
	Store    *store.Store
	Location *time.Location
}

// trendMonths is how many months the archived satisfaction trend covers.
const trendMonths = 6

// ArchiveComplaintReport computes the complaint analysis of the month before
// at (in the centre's zone) and stores it; it returns that month.
func (a *Reports) ArchiveComplaintReport(ctx context.Context, at time.Time) (string, error) {
	at = at.In(a.Location)
	to := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, a.Location)
	from := to.AddDate(0, -1, 0)
	r, err := a.Store.ComplaintReport(ctx, from, to, to.AddDate(0, -trendMonths, 0), time.Now(), a.Location.String(), "")
	if err != nil {
		return "", err
	}
	return r.Month, a.Store.ArchiveComplaintReport(ctx, r)
}
