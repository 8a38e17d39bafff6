package domain

import (
	"slices"
	"testing"
	"time"
)

func TestSelectCampaign(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	recent := now.Add(-30 * 24 * time.Hour)
	old := now.Add(-90 * 24 * time.Hour)
	// Building A/1 has households 1–100, A/2 has 101–150: 150 in all, so a
	// 20 % target is 30 calls.
	var hs []CampaignHousehold
	for id := int64(1); id <= 150; id++ {
		h := CampaignHousehold{ID: id, Building: "A/1"}
		if id > 100 {
			h.Building = "A/2"
		}
		hs = append(hs, h)
	}
	hs[4].OwesCallback = true   // 5
	hs[119].OwesCallback = true // 120
	hs[9].LastCalled = &recent  // 10: called a month ago, not again
	hs[10].LastCalled = &old    // 11: called three months ago, eligible

	got := SelectCampaign(hs, DefaultCallbackTarget, now, 7)
	if len(got) != 30 {
		t.Fatalf("selected %d, want 30", len(got))
	}
	if !slices.Contains(got, 5) || !slices.Contains(got, 120) {
		t.Errorf("households owing a callback missing: %v", got)
	}
	if slices.Contains(got, 10) {
		t.Errorf("household 10, called 30 days ago, selected")
	}
	// 28 drawn from 98 eligible in A/1 and 49 in A/2 (147): 28 × 98/147 = 18.67 → 19,
	// 28 × 49/147 = 9.33 → 9.
	var a1, a2 int
	for _, id := range got {
		if id == 5 || id == 120 {
			continue
		}
		if id <= 100 {
			a1++
		} else {
			a2++
		}
	}
	if a1 != 19 || a2 != 9 {
		t.Errorf("sample %d from A/1 and %d from A/2, want 19 and 9", a1, a2)
	}
	if again := SelectCampaign(hs, DefaultCallbackTarget, now, 7); !slices.Equal(again, got) {
		t.Errorf("the same seed selected differently")
	}
	if other := SelectCampaign(hs, DefaultCallbackTarget, now, 8); slices.Equal(other, got) {
		t.Errorf("another seed selected the same households")
	}
}

func TestSelectCampaignEdges(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	recent := now.Add(-time.Hour)
	tests := []struct {
		name string
		hs   []CampaignHousehold
		want []int64
	}{
		{"nobody", nil, nil},
		// Target 0.5 of 5 is 3; all 4 who owe a callback are called anyway.
		{"more owe a callback than the target", []CampaignHousehold{
			{ID: 1, OwesCallback: true}, {ID: 2, OwesCallback: true}, {ID: 3, OwesCallback: true}, {ID: 4, OwesCallback: true}, {ID: 5}},
			[]int64{1, 2, 3, 4}},
		{"too few eligible: all of them", []CampaignHousehold{
			{ID: 1, LastCalled: &recent}, {ID: 2, LastCalled: &recent}, {ID: 3, LastCalled: &recent}, {ID: 4, LastCalled: &recent},
			{ID: 5, LastCalled: &recent}, {ID: 6}}, []int64{6}},
	}
	for _, tt := range tests {
		if got := SelectCampaign(tt.hs, 0.5, now, 1); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAssignCallbacks(t *testing.T) {
	got := AssignCallbacks([]int64{1, 2, 3, 4, 5, 6, 7}, []string{"liu_fang", "zhao_min", "sun_li"})
	want := map[string][]int64{"liu_fang": {1, 4, 7}, "zhao_min": {2, 5}, "sun_li": {3, 6}}
	for r, ids := range want {
		if !slices.Equal(got[r], ids) {
			t.Errorf("%s got %v, want %v", r, got[r], ids)
		}
	}
	if len(AssignCallbacks([]int64{1}, nil)) != 0 {
		t.Error("households assigned to nobody")
	}
}

// The campaign's month, check and close are the centre's: 00:30 on the 1st
// in Shanghai is still the last day of the month before in UTC.
func TestPlanCampaign(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, shanghai) }
	for _, tt := range []struct {
		at                 time.Time
		month              string
		midMonth, monthEnd time.Time
	}{
		{at(2026, 12, 1, 8, 0), "2026-12", at(2026, 12, 15, 9, 0), at(2026, 12, 31, 23, 0)},
		{time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC), "2026-12", at(2026, 12, 15, 9, 0), at(2026, 12, 31, 23, 0)},
		{time.Date(2026, 11, 30, 15, 59, 0, 0, time.UTC), "2026-11", at(2026, 11, 15, 9, 0), at(2026, 11, 30, 23, 0)},
		{at(2027, 1, 1, 0, 5), "2027-01", at(2027, 1, 15, 9, 0), at(2027, 1, 31, 23, 0)},
		{at(2027, 2, 20, 12, 0), "2027-02", at(2027, 2, 15, 9, 0), at(2027, 2, 28, 23, 0)},
		{at(2028, 2, 29, 23, 59), "2028-02", at(2028, 2, 15, 9, 0), at(2028, 2, 29, 23, 0)},
		{at(2026, 4, 30, 23, 30), "2026-04", at(2026, 4, 15, 9, 0), at(2026, 4, 30, 23, 0)},
	} {
		p := PlanCampaign(tt.at, shanghai)
		if p.Month != tt.month || !p.MidMonth.Equal(tt.midMonth) || !p.MonthEnd.Equal(tt.monthEnd) {
			t.Errorf("PlanCampaign(%s) = %+v, want %s, %s, %s", tt.at, p, tt.month, tt.midMonth, tt.monthEnd)
		}
	}
}
