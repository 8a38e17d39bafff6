package domain

import (
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
