package domain

import (
	"fmt"
	"regexp"
	"time"
)

// CaseNumber formats the human-friendly case number, e.g. TS20261128-0007, from
// the local recording day and that day's sequence.
func CaseNumber(prefix string, day time.Time, seq int64) string {
	return fmt.Sprintf("%s%s-%04d", prefix, day.Format("20060102"), seq)
}

var caseNumberRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{8}-[0-9]{4,}$`)

// ValidCaseNumber reports whether s has the shape of a case number, so that
// the API can answer 404 without asking Temporal about garbage.
func ValidCaseNumber(s string) bool { return caseNumberRE.MatchString(s) }

// SplitCaseNumber returns the prefix, the recording day (as in the number,
// YYYYMMDD) and the sequence of a case number.
func SplitCaseNumber(number string) (prefix, day string, seq int64, err error) {
	if !ValidCaseNumber(number) {
		return "", "", 0, fmt.Errorf("%q is not a case number", number)
	}
	if _, err := fmt.Sscanf(number[11:], "%d", &seq); err != nil {
		return "", "", 0, fmt.Errorf("sequence of case number %q: %w", number, err)
	}
	return number[:2], number[2:10], seq, nil
}
