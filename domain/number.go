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
