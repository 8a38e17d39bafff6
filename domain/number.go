package domain

import (
	"fmt"
	"regexp"
	"time"
)

// ComplaintPrefix starts every complaint number (投诉, TouSu).
const ComplaintPrefix = "TS"

// CaseNumber formats the human-friendly case number, e.g. TS20261128-0007, from
// the local recording day and that day's sequence.
func CaseNumber(prefix string, day time.Time, seq int64) string {
	return fmt.Sprintf("%s%s-%04d", prefix, day.Format("20060102"), seq)
}

var caseNumberRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{8}-[0-9]{4,}$`)

// ValidCaseNumber reports whether s has the shape of a case number, so that
// the API can answer 404 without asking Temporal about garbage.
func ValidCaseNumber(s string) bool { return caseNumberRE.MatchString(s) }

// ComplaintWorkflowID is the workflow ID of a complaint; it carries the case
// number only, never personal data.
func ComplaintWorkflowID(number string) string { return "complaint/" + number }

// Kind is what sort of case a number names.
type Kind string

const (
	KindComplaint Kind = "complaint"
	KindRepair    Kind = "repair"
)

// Prefix is the kind's case-number prefix.
func (k Kind) Prefix() string {
	if k == KindRepair {
		return RepairPrefix
	}
	return ComplaintPrefix
}

// WorkflowID is the workflow ID of case number of this kind.
func (k Kind) WorkflowID(number string) string {
	if k == KindRepair {
		return RepairWorkflowID(number)
	}
	return ComplaintWorkflowID(number)
}

// KindOf tells the kind of a case from its number's prefix.
func KindOf(number string) (Kind, bool) {
	if !ValidCaseNumber(number) {
		return "", false
	}
	switch number[:2] {
	case ComplaintPrefix:
		return KindComplaint, true
	case RepairPrefix:
		return KindRepair, true
	}
	return "", false
}
