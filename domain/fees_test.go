package domain

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestComputeFees(t *testing.T) {
	jan26 := date("2026-01-01")
	standards := []FeeStandard{
		{Item: "management", Basis: BasisArea, Rate: dec("2.50"), From: date("2024-01-01"), To: &jan26},
		{Item: "management", Basis: BasisArea, Rate: dec("2.80"), From: jan26},
		{Item: "management", Basis: BasisArea, UnitType: "commercial", Rate: dec("4.50"), From: date("2024-01-01")},
		{Item: "shared_power", Basis: BasisArea, Rate: dec("0.1250"), From: date("2024-01-01")},
		{Item: "garbage", Basis: BasisHousehold, Rate: dec("10"), From: date("2024-01-01")},
		{Item: "parking", Basis: BasisParkingSpace, Rate: dec("150.00"), From: date("2024-01-01")},
	}
	tests := []struct {
		name    string
		unit    FeeUnit
		period  string
		amounts map[string]string
		total   string
	}{
		// 89.50 × 2.80 = 250.60; 89.50 × 0.125 = 11.1875 → 11.19; 10; 2 × 150 = 300.
		{"residential after the rise", FeeUnit{"residential", dec("89.50"), 2}, "2026-11",
			map[string]string{"management": "250.60", "shared_power": "11.19", "garbage": "10.00", "parking": "300.00"}, "571.79"},
		// 89.50 × 2.50 = 223.75; no parking space, no parking line.
		{"residential before the rise", FeeUnit{"residential", dec("89.50"), 0}, "2025-12",
			map[string]string{"management": "223.75", "shared_power": "11.19", "garbage": "10.00"}, "244.94"},
		// The commercial standard wins over the general one: 120.25 × 4.50 = 541.125 → 541.13 (half up);
		// 120.25 × 0.125 = 15.03125 → 15.03.
		{"commercial", FeeUnit{"commercial", dec("120.25"), 0}, "2026-11",
			map[string]string{"management": "541.13", "shared_power": "15.03", "garbage": "10.00"}, "566.16"},
		{"before any standard", FeeUnit{"residential", dec("89.50"), 1}, "2023-12", map[string]string{}, "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			b := ComputeFees(tt.unit, standards, p)
			// The exact values, not re-rounded here: the amounts must come
			// out of ComputeFees rounded to the fen.
			got := map[string]decimal.Decimal{}
			for _, l := range b.Lines {
				got[l.Item] = l.Amount
			}
			if len(got) != len(tt.amounts) {
				t.Fatalf("lines %v, want %v", got, tt.amounts)
			}
			for item, want := range tt.amounts {
				if a, ok := got[item]; !ok || !a.Equal(dec(want)) {
					t.Errorf("%s = %s, want exactly %s", item, a, want)
				}
			}
			if !b.Total.Equal(dec(tt.total)) {
				t.Errorf("total %s, want exactly %s", b.Total, tt.total)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	for _, s := range []string{"2026-13", "2026-1", "26-11", "2026-11-01", "", "2026/11"} {
		if _, err := ParsePeriod(s); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", s)
		}
	}
	p, err := ParsePeriod("2026-02")
	if err != nil || p.First() != date("2026-02-01") || p.String() != "2026-02" {
		t.Errorf("ParsePeriod(2026-02) = %v, %v", p, err)
	}
}

// A deleted standard stays in the history but never bills: the standard it
// had cut short applies again once the store gives that one its end back.
func TestDeletedStandardIsNotInForce(t *testing.T) {
	jul26, deleted := date("2026-07-01"), date("2026-06-15")
	unit := FeeUnit{"residential", dec("100"), 0}
	old := FeeStandard{ID: 1, Item: "management", Basis: BasisArea, Rate: dec("2.80"), From: date("2024-01-01"), To: &jul26}
	mistake := FeeStandard{ID: 2, Item: "management", Basis: BasisArea, Rate: dec("9.99"), From: jul26, Replaces: &old.ID,
		DeletedAt: &deleted, DeletedBy: "he_yan"}
	if mistake.InForce(date("2026-08-01")) {
		t.Fatal("a deleted standard is in force")
	}
	p, err := ParsePeriod("2026-08")
	if err != nil {
		t.Fatal(err)
	}
	if b := ComputeFees(unit, []FeeStandard{old, mistake}, p); len(b.Lines) != 0 || !b.Total.IsZero() {
		t.Fatalf("the deleted standard billed: %+v", b)
	}
	restored := old
	restored.To = nil
	b := ComputeFees(unit, []FeeStandard{restored, mistake}, p)
	if len(b.Lines) != 1 || b.Lines[0].Rate.String() != "2.8" || b.Total.String() != "280" {
		t.Fatalf("restored standard: %+v, want one line 2.80 × 100 = 280", b)
	}
}
