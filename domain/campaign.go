package domain

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Callback campaigns (回访): each month the centre calls at least a target
// share of its active households. These are the selection and assignment
// rules and the month's plan; the CallbackCampaign workflow runs them.

// DefaultCallbackTarget is the standard's monthly share of households.
const DefaultCallbackTarget = 0.20

// RecentCallWindow keeps a household called in this window out of the
// random sample, so the same families are not called month after month.
const RecentCallWindow = 60 * 24 * time.Hour

// CampaignPlan is a month's campaign as its workflow runs it: which month,
// and when to check progress and when to close.
type CampaignPlan struct {
	Month    string    `json:"month"`
	MidMonth time.Time `json:"mid_month"`
	MonthEnd time.Time `json:"month_end"`
}

// PlanCampaign gives the campaign of the month at falls in, in the centre's
// zone loc: its check at 09:00 on the 15th and its close at 23:00 on the
// month's last day.
func PlanCampaign(at time.Time, loc *time.Location) CampaignPlan {
	at = at.In(loc)
	start := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, loc)
	return CampaignPlan{Month: start.Format("2006-01"),
		MidMonth: time.Date(at.Year(), at.Month(), 15, 9, 0, 0, 0, loc),
		MonthEnd: time.Date(at.Year(), at.Month()+1, 0, 23, 0, 0, 0, loc)}
}

// CampaignHousehold is what the selection needs to know of a household.
type CampaignHousehold struct {
	ID       int64
	Building string // community/building, the stratum
	// OwesCallback: a case of the household closed last month and was not
	// called back; such households are always called.
	OwesCallback bool
	LastCalled   *time.Time
}

// SelectCampaign picks the households to call this month: first every one
// that owes a callback, then a random sample stratified by building from
// those not called within RecentCallWindow of now, until at least target ×
// len(households) are selected (or nobody eligible is left). Each building
// gives a share of the sample in proportion to its eligible households
// (largest remainder), so no block of flats is skipped. The same seed gives
// the same selection, so a retried activity selects the same households.
// The result is sorted by ID.
func SelectCampaign(households []CampaignHousehold, target float64, now time.Time, seed uint64) []int64 {
	quota := int(math.Ceil(target * float64(len(households))))
	var selected []int64
	strata := map[string][]int64{}
	var buildings []string
	for _, h := range households {
		switch {
		case h.OwesCallback:
			selected = append(selected, h.ID)
		case h.LastCalled == nil || now.Sub(*h.LastCalled) >= RecentCallWindow:
			if _, ok := strata[h.Building]; !ok {
				buildings = append(buildings, h.Building)
			}
			strata[h.Building] = append(strata[h.Building], h.ID)
		}
	}
	need := quota - len(selected)
	eligible := 0
	for _, ids := range strata {
		eligible += len(ids)
	}
	if need > eligible {
		need = eligible
	}
	if need > 0 {
		slices.Sort(buildings) // map order must not decide the draw
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		// The buildings draw from the one generator in their sorted order,
		// not the allocation map's, so the same seed draws the same households.
		shares := allocate(buildings, strata, need, eligible)
		for _, b := range buildings {
			n := shares[b]
			ids := slices.Clone(strata[b])
			slices.Sort(ids)
			rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			selected = append(selected, ids[:n]...)
		}
	}
	slices.Sort(selected)
	return selected
}

// allocate splits need across the buildings in proportion to their
// eligible households, by largest remainder (ties to the earlier building).
func allocate(buildings []string, strata map[string][]int64, need, eligible int) map[string]int {
	out := map[string]int{}
	type rem struct {
		b    string
		frac float64
	}
	var rems []rem
	given := 0
	for _, b := range buildings {
		exact := float64(need) * float64(len(strata[b])) / float64(eligible)
		out[b] = int(exact)
		given += out[b]
		rems = append(rems, rem{b, exact - float64(out[b])})
	}
	slices.SortStableFunc(rems, func(x, y rem) int {
		switch {
		case x.frac > y.frac:
			return -1
		case x.frac < y.frac:
			return 1
		}
		return 0
	})
	for i := 0; given < need; i++ {
		out[rems[i].b]++
		given++
	}
	return out
}

// AssignCallbacks deals the households to the receptionists in turn, so
// each gets the same number, give or take one. Both inputs are taken in
// order; the result maps each receptionist to their households.
func AssignCallbacks(households []int64, receptionists []string) map[string][]int64 {
	out := map[string][]int64{}
	if len(receptionists) == 0 {
		return out
	}
	for i, h := range households {
		r := receptionists[i%len(receptionists)]
		out[r] = append(out[r], h)
	}
	return out
}
