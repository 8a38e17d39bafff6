package domain

import (
	"math"
	"time"
)

// KPI is one figure of the service standard: a ratio with the counts it is
// made of, so a reader can check it, and the target it is held to.
type KPI struct {
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
	Value       *float64 `json:"value"`  // nil when there is nothing to measure
	Target      *float64 `json:"target"` // nil when the standard sets none
	// Met is whether the value reaches the target; nil without either.
	Met *bool `json:"met"`
	// AtMost marks a target the value must stay under (complaint rate).
	AtMost bool `json:"at_most,omitempty"`
}

// Targets of the service standard (docs/DESIGN.md §1, §8).
const (
	TargetSatisfaction     = 0.85
	TargetFeedback24h      = 0.95
	TargetDispatch24h      = 1.00
	TargetCallbackCoverage = 0.20
	TargetTrainingPass     = 0.90
	// ComplaintRateReduction is the planned fall of the complaint rate
	// against the baseline month.
	ComplaintRateReduction = 0.30
)

// Ratio builds a KPI whose value is numerator ÷ denominator.
func Ratio(num, den int64, target float64) KPI {
	k := KPI{Numerator: num, Denominator: den, Target: &target}
	if den > 0 {
		v := round4(float64(num) / float64(den))
		k.Value = &v
		met := v >= target
		k.Met = &met
	}
	return k
}

// ComplaintRate is complaints per 100 households per month over a period of
// months months. With a baseline rate the target is that rate less the
// planned reduction, and the value must stay at or under it.
func ComplaintRate(complaints, households int64, months float64, baseline *float64) KPI {
	k := KPI{Numerator: complaints, Denominator: households, AtMost: true}
	if households > 0 && months > 0 {
		v := round4(float64(complaints) * 100 / float64(households) / months)
		k.Value = &v
	}
	if baseline != nil {
		t := round4(*baseline * (1 - ComplaintRateReduction))
		k.Target = &t
		if k.Value != nil {
			met := *k.Value <= t
			k.Met = &met
		}
	}
	return k
}

// ComplaintRateOver is the complaint rate of the period [from, to), the one
// rule the KPIs, the monthly analysis and the baseline month share: the
// complaints recorded in the period per 100 active households, divided by
// RateMonths. now is when the rate is read (docs/DESIGN.md §8, §11.9).
func ComplaintRateOver(complaints, households int64, from, to, now time.Time, baseline *float64) KPI {
	return ComplaintRate(complaints, households, RateMonths(from, to, now), baseline)
}

// RateMonths is what a complaint rate over [from, to) divides by: the
// period's length in calendar months (MonthsBetween), counting no day
// after today, and never less than one. So a month, or any part of one, is
// not extrapolated: this month so far counts its complaints so far, the
// same figure the monthly analysis shows for it, and the rate grows to the
// month's final figure as the month goes on; a longer period gives the
// average per month of the days it has had.
func RateMonths(from, to, now time.Time) float64 {
	n := now.In(from.Location())
	if tomorrow := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, from.Location()); tomorrow.Before(to) {
		to = tomorrow
	}
	return max(1, MonthsBetween(from, to))
}

func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// MonthsBetween is the length of [from, to) in calendar months, each month
// counted by the share of its days inside the period, so October 1 to
// November 1 is exactly one month and a complaint rate is per month.
func MonthsBetween(from, to time.Time) float64 {
	months := 0.0
	for cur := from; cur.Before(to); {
		start := time.Date(cur.Year(), cur.Month(), 1, 0, 0, 0, 0, cur.Location())
		next := start.AddDate(0, 1, 0)
		end := next
		if to.Before(end) {
			end = to
		}
		months += end.Sub(cur).Hours() / next.Sub(start).Hours()
		cur = end
	}
	return months
}
