package domain

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestKPIs(t *testing.T) {
	tests := []struct {
		name       string
		k          KPI
		value      float64
		noValue    bool
		met, noMet bool
	}{
		{"satisfied", Ratio(17, 20, TargetSatisfaction), 0.85, false, true, false},
		{"below target", Ratio(16, 20, TargetSatisfaction), 0.8, false, false, false},
		{"nothing to measure", Ratio(0, 0, TargetSatisfaction), 0, true, false, true},
		{"thirds round to 4 places", Ratio(1, 3, TargetCallbackCoverage), 0.3333, false, true, false},
		// 6 complaints, 40 households, 2 months: 6 × 100 / 40 / 2 = 7.5 per 100 households a month;
		// a baseline of 12 sets the target at 8.4.
		{"complaint rate under target", ComplaintRate(6, 40, 2, ptr(12.0)), 7.5, false, true, false},
		{"complaint rate over target", ComplaintRate(8, 40, 2, ptr(12.0)), 10, false, false, false},
		{"complaint rate without baseline", ComplaintRate(8, 40, 2, nil), 10, false, false, true},
	}
	for _, tt := range tests {
		switch {
		case tt.noValue && tt.k.Value != nil:
			t.Errorf("%s: value %v, want none", tt.name, *tt.k.Value)
		case !tt.noValue && (tt.k.Value == nil || *tt.k.Value != tt.value):
			t.Errorf("%s: value %v, want %v", tt.name, tt.k.Value, tt.value)
		case tt.noMet && tt.k.Met != nil:
			t.Errorf("%s: met %v, want undecided", tt.name, *tt.k.Met)
		case !tt.noMet && (tt.k.Met == nil || *tt.k.Met != tt.met):
			t.Errorf("%s: met %v, want %v", tt.name, tt.k.Met, tt.met)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestMonthsBetween(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, loc) }
	for _, tt := range []struct {
		from, to time.Time
		want     float64
	}{
		{d(2026, 10, 1), d(2026, 11, 1), 1},
		{d(2026, 1, 1), d(2026, 4, 1), 3},
		{d(2026, 2, 15), d(2026, 3, 1), 0.5},              // 14 of February's 28 days
		{d(2026, 10, 17), d(2026, 11, 16), 15.0/31 + 0.5}, // 15 of 31 and 15 of 30
	} {
		if got := MonthsBetween(tt.from, tt.to); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("MonthsBetween(%s, %s) = %v, want %v", tt.from.Format(time.DateOnly), tt.to.Format(time.DateOnly), got, tt.want)
		}
	}
}

func TestComplaintRateOverPartialMonths(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, loc) }
	// 8:49 on 2 December, and half an hour past midnight on 2 December,
	// which is still 1 December in UTC.
	morning := time.Date(2026, 12, 2, 8, 49, 0, 0, loc)
	pastMidnight := time.Date(2026, 12, 1, 16, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		from, to time.Time
		now      time.Time
		months   float64
	}{
		{"this month so far is not extrapolated", d(2026, 12, 1), d(2026, 12, 3), morning, 1},
		{"this month as the analysis asks for it", d(2026, 12, 1), d(2027, 1, 1), morning, 1},
		{"the first day of a month", d(2026, 12, 1), d(2026, 12, 2), time.Date(2026, 12, 1, 0, 5, 0, 0, loc), 1},
		{"a past month", d(2026, 10, 1), d(2026, 11, 1), morning, 1},
		{"two weeks count as one month", d(2026, 10, 10), d(2026, 10, 24), morning, 1},
		{"three past months", d(2026, 7, 1), d(2026, 10, 1), morning, 3},
		{"last month and this month so far", d(2026, 11, 1), d(2026, 12, 3), morning, 1 + 2.0/31},
		{"days after today do not count", d(2026, 11, 1), d(2027, 1, 1), morning, 1 + 2.0/31},
		{"today is the centre's today, not UTC's", d(2026, 11, 1), d(2027, 1, 1), pastMidnight, 1 + 2.0/31},
		{"a period that has not begun", d(2027, 1, 1), d(2027, 3, 1), morning, 1},
	} {
		if got := RateMonths(tt.from, tt.to, tt.now); math.Abs(got-tt.months) > 1e-9 {
			t.Errorf("%s: RateMonths = %v, want %v", tt.name, got, tt.months)
		}
	}

	// The case on 2 December: 5 complaints, 38 households. The KPI
	// (1 December to today) and the analysis of December (the whole month)
	// show the same 13.16, not 13.16 × 31 ÷ 2 = 203.9.
	kpi := ComplaintRateOver(5, 38, d(2026, 12, 1), d(2026, 12, 3), morning, nil)
	report := ComplaintRateOver(5, 38, d(2026, 12, 1), d(2027, 1, 1), morning, nil)
	for name, k := range map[string]KPI{"kpi": kpi, "report": report} {
		if k.Value == nil || *k.Value != 13.1579 || k.Numerator != 5 || k.Denominator != 38 {
			value := "none"
			if k.Value != nil {
				value = fmt.Sprint(*k.Value)
			}
			t.Errorf("%s: %d/%d → %s, want 5/38 → 13.1579", name, k.Numerator, k.Denominator, value)
		}
	}
}
