package domain

import (
	"fmt"
	"time"
)

// Calendar tells working days from days off in the centre's country: the
// listed days (public holidays, and weekend days worked in exchange,
// 调休上班) override the rule that Monday to Friday are working days.
type Calendar struct {
	// Days maps "2006-01-02" to whether that day is worked.
	Days map[string]bool
	// Years whose official calendar is listed. For any other year the
	// fixed-date statutory holidays are assumed (元旦, 劳动节 1–2 May,
	// 国庆节 1–3 October); the lunar ones need the published calendar.
	Years map[int]bool
}

// statutory are the fixed-date holidays of the national law, used for a
// year whose published calendar is not in the table yet.
var statutory = [...]struct{ month, day int }{{1, 1}, {5, 1}, {5, 2}, {10, 1}, {10, 2}, {10, 3}}

// Working reports whether d (a date, its clock ignored) is a working day.
func (c Calendar) Working(d time.Time) bool {
	if w, ok := c.Days[d.Format(time.DateOnly)]; ok {
		return w
	}
	if !c.Years[d.Year()] {
		for _, s := range statutory {
			if int(d.Month()) == s.month && d.Day() == s.day {
				return false
			}
		}
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// FirstWorkingDay is the first working day on or after from's date, at
// midnight in from's location.
func (c Calendar) FirstWorkingDay(from time.Time) time.Time {
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, from.Location())
	// The longest run of days off in China is the nine-day Spring Festival;
	// a month bounds the search even for a calendar entered wrongly.
	for i := 0; i < 31 && !c.Working(d); i++ {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// Quarter names the quarter of t, such as "2026-Q4", and gives its first
// day at midnight in t's location.
func Quarter(t time.Time) (string, time.Time) {
	q := (int(t.Month()) - 1) / 3
	return fmt.Sprintf("%d-Q%d", t.Year(), q+1), time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, t.Location())
}

// ParseQuarter reads a quarter name such as "2026-Q4" and gives its first
// day at midnight in loc.
func ParseQuarter(s string, loc *time.Location) (time.Time, error) {
	var year, q int
	if n, err := fmt.Sscanf(s, "%4d-Q%1d", &year, &q); err != nil || n != 2 || q < 1 || q > 4 || len(s) != 7 {
		return time.Time{}, fmt.Errorf("quarter %q is not of the form YYYY-Qn", s)
	}
	return time.Date(year, time.Month((q-1)*3+1), 1, 0, 0, 0, 0, loc), nil
}
