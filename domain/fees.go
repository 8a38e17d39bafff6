package domain

import (
	"fmt"
	"regexp"
	"time"

	"github.com/shopspring/decimal"
)

// FeeBasis says what a fee rate is multiplied by.
type FeeBasis string

const (
	// BasisArea: rate per m² of floor area per month (物业费, 公摊水电).
	BasisArea FeeBasis = "area"
	// BasisHousehold: a flat rate per unit per month (垃圾清运费).
	BasisHousehold FeeBasis = "household"
	// BasisParkingSpace: rate per parking space the unit holds per month.
	BasisParkingSpace FeeBasis = "parking_space"
)

// Valid reports whether b is a known basis.
func (b FeeBasis) Valid() bool {
	return b == BasisArea || b == BasisHousehold || b == BasisParkingSpace
}

// Unit types fee standards can be limited to.
var UnitTypes = []string{"residential", "commercial", "office"}

var feeItemRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// ValidFeeItem reports whether s can name a fee item.
func ValidFeeItem(s string) bool { return feeItemRE.MatchString(s) }

// MaxRateScale is the number of decimal places a rate may have (rates such
// as 0.1250 元/m² exist; amounts are always rounded to fen).
const MaxRateScale = 4

// FeeStandard is one charge a community levies, in force from From
// (inclusive) until To (exclusive, nil for open-ended). A deleted standard
// stays in the history but is never in force.
type FeeStandard struct {
	ID        int64           `json:"id"`
	Community string          `json:"community"`
	Item      string          `json:"item"`
	Name      string          `json:"name"`
	NameEn    string          `json:"name_en"`
	Basis     FeeBasis        `json:"basis"`
	UnitType  string          `json:"unit_type"` // "" applies to every unit type
	Rate      decimal.Decimal `json:"rate"`
	From      time.Time       `json:"effective_from"`
	To        *time.Time      `json:"effective_to,omitempty"`
	// Replaces is the standard this one cut short when it was added (a
	// price change); deleting this one gives that one its end back.
	Replaces  *int64     `json:"replaces,omitempty"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	DeletedBy string     `json:"deleted_by,omitempty"`
}

// InForce reports whether the standard applies on day.
func (f FeeStandard) InForce(day time.Time) bool {
	return f.DeletedAt == nil && !day.Before(f.From) && (f.To == nil || day.Before(*f.To))
}

// FeeUnit is what a breakdown needs to know about a unit.
type FeeUnit struct {
	UnitType      string
	FloorArea     decimal.Decimal
	ParkingSpaces int
}

// FeeLine is one item of a breakdown. Money is decimal, never float.
type FeeLine struct {
	Item     string          `json:"item"`
	Name     string          `json:"name"`
	NameEn   string          `json:"name_en"`
	Basis    FeeBasis        `json:"basis"`
	Rate     decimal.Decimal `json:"rate"`
	Quantity decimal.Decimal `json:"quantity"`
	Amount   decimal.Decimal `json:"amount"`
}

// FeeBreakdown is the itemised monthly charge of one unit.
type FeeBreakdown struct {
	Lines []FeeLine
	Total decimal.Decimal
}

// Period is a billing month.
type Period struct{ Year, Month int }

// ParsePeriod reads "YYYY-MM".
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("period %q is not a month in the form YYYY-MM", s)
	}
	return Period{Year: t.Year(), Month: int(t.Month())}, nil
}

// First is the period's first day (UTC midnight, the way dates are compared).
func (p Period) First() time.Time {
	return time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, time.UTC)
}

func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, p.Month) }

// ComputeFees returns the unit's charges for the period. The standard in
// force on the first day of the month applies to the whole month, as monthly
// bills are issued; a standard limited to a unit type wins over a general
// one for the same item. Each amount is rounded half-up to the fen (分),
// and the total is the sum of the rounded amounts, so the lines add up to
// exactly what the bill shows.
func ComputeFees(unit FeeUnit, standards []FeeStandard, period Period) FeeBreakdown {
	day := period.First()
	chosen := map[string]FeeStandard{}
	var order []string
	for _, f := range standards {
		if !f.InForce(day) || (f.UnitType != "" && f.UnitType != unit.UnitType) {
			continue
		}
		prev, seen := chosen[f.Item]
		if !seen {
			order = append(order, f.Item)
		}
		if !seen || (prev.UnitType == "" && f.UnitType != "") {
			chosen[f.Item] = f
		}
	}
	b := FeeBreakdown{Total: decimal.Zero}
	for _, item := range order {
		f := chosen[item]
		var qty decimal.Decimal
		switch f.Basis {
		case BasisArea:
			qty = unit.FloorArea
		case BasisHousehold:
			qty = decimal.NewFromInt(1)
		case BasisParkingSpace:
			qty = decimal.NewFromInt(int64(unit.ParkingSpaces))
		}
		if qty.IsZero() {
			continue // no parking space, no parking fee
		}
		amount := f.Rate.Mul(qty).Round(2)
		b.Lines = append(b.Lines, FeeLine{Item: f.Item, Name: f.Name, NameEn: f.NameEn, Basis: f.Basis,
			Rate: f.Rate, Quantity: qty, Amount: amount})
		b.Total = b.Total.Add(amount)
	}
	return b
}
