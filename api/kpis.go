package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// kpis answers GET /api/v1/kpis: the KPIs of docs/DESIGN.md §8 for the local
// days from–to (inclusive; default: this month so far), each with its
// numerator, denominator, value and target, computed in SQL from the read
// model. baseline=YYYY-MM sets the complaint-rate target at 30 % under that
// month's rate.
func (s *Server) kpis(c *gin.Context) error {
	ctx := c.Request.Context()
	now := time.Now().In(s.cfg.Location)
	from, to, err := s.dayRange(c, time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.cfg.Location), now)
	if err != nil {
		return err
	}
	community, set, err := s.communityFilter(c)
	if err != nil {
		return err
	}
	baseline, err := s.baselineRate(c, set)
	if err != nil {
		return err
	}
	k, err := s.cfg.Store.KPICounts(ctx, from, to, time.Now(), set)
	if err != nil {
		return err
	}
	// Staff serve every community: the training figures ignore the filter.
	tr, err := s.cfg.Store.TrainingCounts(ctx, from, to)
	if err != nil {
		return err
	}
	out := gin.H{
		"from": from.Format(time.DateOnly), "to": to.AddDate(0, 0, -1).Format(time.DateOnly), "community": community,
		"satisfaction_rate":        domain.Ratio(k.RatingsSatisfied, k.Ratings, domain.TargetSatisfaction),
		"feedback_24h_rate":        domain.Ratio(k.FedBackIn24h, k.Windows, domain.TargetFeedback24h),
		"dispatch_24h_rate":        domain.Ratio(k.DispatchedIn24h, k.Windows, domain.TargetDispatch24h),
		"callback_coverage":        domain.Ratio(k.HouseholdsCalledBack, k.ActiveHouseholds, domain.TargetCallbackCoverage),
		"training_pass_rate":       domain.Ratio(tr.FinalPassed, tr.Enrolled, domain.TargetTrainingPass),
		"training_first_pass_rate": domain.Ratio(tr.FirstPassed, tr.Enrolled, domain.TargetTrainingPass),
		"training_cycles":          tr.Cycles,
		"complaint_rate":           domain.ComplaintRateOver(k.Complaints, k.ActiveHouseholds, from, to, now, baseline),
	}
	if community == "" && set != nil {
		// The figures cover the caller's communities, not the whole centre.
		out["communities"] = set
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// dayRange reads from and to as local dates (inclusive) and returns the
// period [from, to+1 day); 422 for a bad date or range.
func (s *Server) dayRange(c *gin.Context, defFrom, defTo time.Time) (time.Time, time.Time, error) {
	day := func(name string, def time.Time) (time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, s.cfg.Location), nil
		}
		t, err := time.ParseInLocation(time.DateOnly, v, s.cfg.Location)
		if err != nil {
			return t, invalid(name + " must be a date YYYY-MM-DD")
		}
		return t, nil
	}
	from, err := day("from", defFrom)
	if err != nil {
		return from, from, err
	}
	to, err := day("to", defTo)
	if err != nil {
		return from, to, err
	}
	to = to.AddDate(0, 0, 1)
	if !to.After(from) {
		return from, to, invalid("to must not be before from")
	}
	if to.Sub(from) > 400*24*time.Hour {
		return from, to, invalid("the range may span at most 400 days")
	}
	return from, to, nil
}

// ratingsQuery is the drill-down of the satisfaction and callback coverage
// figures: the same period and communities as GET /kpis.
type ratingsQuery struct {
	Dissatisfied string `form:"dissatisfied" binding:"omitempty,oneof=true false"`
	Calls        string `form:"calls" binding:"omitempty,oneof=true false"`
}

// ratings answers GET /api/v1/ratings: the ratings a satisfaction or
// callback coverage figure counts, newest first (at most limit), with their
// number and the distinct households among them. The residents' comments
// are not listed.
func (s *Server) ratings(c *gin.Context) error {
	var q ratingsQuery
	if err := c.ShouldBindQuery(&q); err != nil {
		return invalid(describeBindError(err))
	}
	now := time.Now().In(s.cfg.Location)
	from, to, err := s.dayRange(c, time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.cfg.Location), now)
	if err != nil {
		return err
	}
	_, set, err := s.communityFilter(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	rows, total, households, err := s.cfg.Store.ListRatings(c.Request.Context(), store.RatingFilter{From: from, To: to, Communities: set,
		Dissatisfied: q.Dissatisfied == "true", Calls: q.Calls == "true", Limit: limit})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"from": from.Format(time.DateOnly), "to": to.AddDate(0, 0, -1).Format(time.DateOnly),
		"total": total, "households": households, "items": rows})
	return nil
}
