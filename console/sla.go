package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/concierge-pm/concierge/domain"
)

// SLA colours of a case's countdown.
const (
	slaNone     = "none"     // no open deadline (a finished case)
	slaOK       = "ok"       // less than 80 % of the window elapsed
	slaWarn     = "warn"     // amber: at least 80 % elapsed, deadline ahead
	slaBreached = "breached" // red: a deadline was missed
)

// sla is the countdown of a case's current window.
type sla struct {
	State string
	// Which names the deadline of the current window (domain.Deadline).
	Which    domain.Deadline
	Start    time.Time
	Deadline *time.Time
}

// slaOf colours a case at now. The window that counts is the one of the
// case's next open deadline (next_deadline of the read model, which is
// domain.CaseSnapshot.OpenDeadlines().Next(): the earliest of the deadlines
// not yet met). It runs from the moment it opened to that deadline:
//   - dispatch, first feedback and resolution open when the case is recorded
//     (reopenedAt, when the case has been reopened, restarts the resolution
//     window, as the workflow does; lists pass the zero time, as the read
//     model's row does not carry the reopening, and a reopened case then
//     turns amber early rather than late);
//   - the callback window opens when the case is resolved (a repair:
//     completed), ResolvedAt.
//
// Amber is at domain.ReminderShare (80 %) of the window, the moment the
// workflow reminds the holder; red once the case has breached a deadline
// (sla_breached, which stays set) or now is past the deadline.
func slaOf(cs caseJSON, now, reopenedAt time.Time) sla {
	out := sla{State: slaNone, Deadline: cs.NextDeadline}
	if cs.Status.Terminal() {
		if cs.SLABreached {
			out.State = slaBreached
		}
		out.Deadline = nil
		return out
	}
	if cs.NextDeadline == nil {
		if cs.SLABreached {
			out.State = slaBreached
		}
		return out
	}
	// The open deadlines by the domain's own rule (a deadline met is no
	// longer open); of several at the same instant, the earliest in the
	// case's course names the window.
	snap := domain.CaseSnapshot{Status: cs.Status, RoutedAt: cs.RoutedAt, FirstFeedbackAt: cs.FirstFeedbackAt, Deadlines: cs.Deadlines}
	d := snap.OpenDeadlines()
	next := *cs.NextDeadline
	same := func(t *time.Time) bool { return t != nil && t.Equal(next) }
	out.Start = cs.RecordedAt
	switch {
	case same(d.Dispatch):
		out.Which = domain.DeadlineDispatch
	case same(d.FirstFeedback):
		out.Which = domain.DeadlineFirstFeedback
	case same(d.Callback):
		out.Which = domain.DeadlineCallback
		if cs.ResolvedAt != nil {
			out.Start = *cs.ResolvedAt
		}
	default:
		out.Which = domain.DeadlineResolution
		if !reopenedAt.IsZero() && reopenedAt.After(out.Start) {
			out.Start = reopenedAt
		}
	}
	switch {
	case cs.SLABreached || !now.Before(next):
		out.State = slaBreached
	case !now.Before(domain.ReminderAt(out.Start, next)):
		out.State = slaWarn
	default:
		out.State = slaOK
	}
	return out
}

// remaining writes the time to (or past) the deadline in days, hours and
// minutes with the catalogue's units ("2天3小时5分", "2d 3h 5m").
func remaining(d time.Duration, units string) string {
	if d < 0 {
		d = -d
	}
	u := strings.Split(units, ",")
	if len(u) != 3 {
		u = []string{"d", "h", "m"}
	}
	sep := ""
	if u[0] == "d" {
		sep = " "
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.Itoa(days)+u[0])
	}
	if days > 0 || hours > 0 {
		parts = append(parts, strconv.Itoa(hours)+u[1])
	}
	parts = append(parts, strconv.Itoa(mins)+u[2])
	return strings.Join(parts, sep)
}
