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
// at (in the centre's zone), for the whole centre and for each community,
// and stores them; it returns that month. A member of staff who serves one
// community reads that community's archive (docs/DESIGN.md §7.6). A retry
// rewrites what an earlier attempt stored.
func (a *Reports) ArchiveComplaintReport(ctx context.Context, at time.Time) (string, error) {
	at = at.In(a.Location)
	to := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, a.Location)
	from := to.AddDate(0, -1, 0)
	communities, err := a.Store.Communities(ctx)
	if err != nil {
		return "", err
	}
	sets := [][]string{nil}
	for _, c := range communities {
		sets = append(sets, []string{c.Code})
	}
	now := time.Now()
	for _, set := range sets {
		r, err := a.Store.ComplaintReport(ctx, from, to, to.AddDate(0, -trendMonths, 0), now, a.Location.String(), set)
		if err != nil {
			return "", err
		}
		if err := a.Store.ArchiveComplaintReport(ctx, r); err != nil {
			return "", err
		}
	}
	return from.Format("2006-01"), nil
}
