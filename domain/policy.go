package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Priority of a case; urgent cases get the shorter resolution window.
type Priority string

const (
	PriorityNormal Priority = "normal"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is a known priority.
func (p Priority) Valid() bool { return p == PriorityNormal || p == PriorityUrgent }

// Channel is how a case reached the service centre.
type Channel string

const (
	ChannelWalkIn Channel = "walk_in"
	ChannelPhone  Channel = "phone"
	ChannelEmail  Channel = "email"
	ChannelPortal Channel = "portal"
)

// Valid reports whether c is a known intake channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelWalkIn, ChannelPhone, ChannelEmail, ChannelPortal:
		return true
	}
	return false
}

// Policy is the set of time limits of one handbook category. A case copies
// the policy in force when it is recorded, so later handbook edits do not move
// the deadlines of cases already open.
type Policy struct {
	DispatchWithin time.Duration `json:"dispatch_within"`
	FeedbackWithin time.Duration `json:"feedback_within"`
	ResolveWithin  time.Duration `json:"resolve_within"`
	// UrgentResolveWithin applies instead of ResolveWithin to urgent cases.
	UrgentResolveWithin time.Duration `json:"urgent_resolve_within"`
	CallbackWithin      time.Duration `json:"callback_within"`
	EscalateEvery       time.Duration `json:"escalate_every"`
}

// DefaultPolicy is the service standard's limits (docs/DESIGN.md §6.3).
func DefaultPolicy() Policy {
	return Policy{
		DispatchWithin:      24 * time.Hour,
		FeedbackWithin:      24 * time.Hour,
		ResolveWithin:       72 * time.Hour,
		UrgentResolveWithin: 24 * time.Hour,
		CallbackWithin:      48 * time.Hour,
		EscalateEvery:       24 * time.Hour,
	}
}

// MinWindow is the shortest limit a handbook may set; a second is enough for
// tests and keeps a typo such as "0s" from creating a case that is late at once.
const MinWindow = time.Second

// Validate checks that every limit is set and sensible.
func (p Policy) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"dispatch_within", p.DispatchWithin},
		{"feedback_within", p.FeedbackWithin},
		{"resolve_within", p.ResolveWithin},
		{"urgent_resolve_within", p.UrgentResolveWithin},
		{"callback_within", p.CallbackWithin},
		{"escalate_every", p.EscalateEvery},
	} {
		if f.d < MinWindow {
			errs = append(errs, fmt.Errorf("%s must be at least %s, got %s", f.name, MinWindow, f.d))
		}
	}
	return errors.Join(errs...)
}

// FormatDuration prints a limit the way the handbook writes it: "24h",
// "1h30m", "3s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ResolveWindow is the resolution window for a case of the given priority.
func (p Policy) ResolveWindow(pr Priority) time.Duration {
	if pr == PriorityUrgent && p.UrgentResolveWithin > 0 && p.UrgentResolveWithin < p.ResolveWithin {
		return p.UrgentResolveWithin
	}
	return p.ResolveWithin
}

// ReminderShare is the point of a window at which the holder is reminded.
const ReminderShare = 0.8

// ReminderAt is the moment, 80 % into the window from start to deadline, at
// which whoever holds the case is reminded.
func ReminderAt(start, deadline time.Time) time.Time {
	window := deadline.Sub(start)
	return start.Add(time.Duration(float64(window) * ReminderShare))
}

// ReminderOutcome is what becomes of a reminder when the workflow looks at
// it.
type ReminderOutcome int

const (
	// ReminderWait: its time has not come.
	ReminderWait ReminderOutcome = iota
	// ReminderSend: due, and the deadline it announces is still ahead.
	ReminderSend
	// ReminderSkip: the deadline has passed as well (the worker was down
	// past both). The escalation of the missed deadline goes out; a
	// "deadline approaching" in the same second would say what is no longer
	// true.
	ReminderSkip
)

// DecideReminder decides a reminder set for remindAt, of a deadline at
// deadline, at now. A deadline is missed at its very instant, so a reminder
// looked at then is skipped.
func DecideReminder(remindAt, deadline, now time.Time) ReminderOutcome {
	switch {
	case now.Before(remindAt):
		return ReminderWait
	case !now.Before(deadline):
		return ReminderSkip
	}
	return ReminderSend
}

// Deadlines are the open deadlines of a case; nil means not (or no longer) due.
type Deadlines struct {
	Dispatch      *time.Time `json:"dispatch"`
	FirstFeedback *time.Time `json:"first_feedback"`
	Resolution    *time.Time `json:"resolution"`
	Callback      *time.Time `json:"callback"`
}

// Next returns the nearest of the deadlines, or nil if none is open.
func (d Deadlines) Next() *time.Time {
	var next *time.Time
	for _, t := range []*time.Time{d.Dispatch, d.FirstFeedback, d.Resolution, d.Callback} {
		if t != nil && (next == nil || t.Before(*next)) {
			next = t
		}
	}
	return next
}

// Escalation ladder (docs/DESIGN.md §6.3). Level 0 means not escalated.
const (
	LevelNone            = 0
	LevelDepartmentHead  = 1
	LevelCentreManager   = 2
	LevelPropertyManager = 3
	TopLevel             = LevelPropertyManager
)

// LevelRole names the role that holds a case escalated to the given level.
func LevelRole(level int) string {
	switch {
	case level <= LevelNone:
		return "none"
	case level == LevelDepartmentHead:
		return "department_head"
	case level == LevelCentreManager:
		return "centre_manager"
	default:
		return "property_manager"
	}
}

// NextLevel is one step up the ladder, never above the top.
func NextLevel(level int) int { return min(level+1, TopLevel) }

// Callback limits (docs/DESIGN.md §6.1).
const (
	MaxReopens          = 2
	MaxCallbackAttempts = 3
	SatisfiedScore      = 4
)

// CallbackOutcome is what a recorded callback does to a resolved case.
type CallbackOutcome int

const (
	// OutcomeRetry: the resident was not reached; try again later.
	OutcomeRetry CallbackOutcome = iota
	OutcomeClose
	OutcomeReopen
	OutcomeClosedUnresolved
	OutcomeClosedUnreachable
)

// DecideCallback applies the callback rules: satisfied (4–5) closes the case;
// dissatisfied (1–3) reopens it unless the resident declines, and after
// MaxReopens reopens closes it unresolved; MaxCallbackAttempts unreached
// attempts close it as unreachable. attempts counts this attempt.
func DecideCallback(reached bool, score int, reopenWanted bool, reopens, attempts int) CallbackOutcome {
	if !reached {
		if attempts >= MaxCallbackAttempts {
			return OutcomeClosedUnreachable
		}
		return OutcomeRetry
	}
	if score >= SatisfiedScore || !reopenWanted {
		return OutcomeClose
	}
	if reopens >= MaxReopens {
		return OutcomeClosedUnresolved
	}
	return OutcomeReopen
}
