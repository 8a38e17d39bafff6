package domain

import (
	"fmt"
	"time"
)

// CaseSnapshot is the state of one case as the workflow holds it. It carries
// codes and times only; the resident's name, phone, unit and description stay
// in PostgreSQL and never enter Temporal.
type CaseSnapshot struct {
	Number           string     `json:"number"`
	Status           Status     `json:"status"`
	Category         string     `json:"category"`
	Department       string     `json:"department"`
	Assignee         string     `json:"assignee"`
	Channel          Channel    `json:"channel"`
	Priority         Priority   `json:"priority"`
	Community        string     `json:"community"`
	EscalationLevel  int        `json:"escalation_level"`
	SLABreached      bool       `json:"sla_breached"`
	Reopens          int        `json:"reopens"`
	CallbackAttempts int        `json:"callback_attempts"`
	RecordedAt       time.Time  `json:"recorded_at"`
	RoutedAt         *time.Time `json:"routed_at,omitempty"`
	FirstFeedbackAt  *time.Time `json:"first_feedback_at,omitempty"`
	ResolvedAt       *time.Time `json:"resolved_at,omitempty"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	Deadlines        Deadlines  `json:"deadlines"`
	// Version is the sequence number of the last timeline event applied; the
	// read model keeps the snapshot with the highest version.
	Version int `json:"version"`
}

// In returns the snapshot with every time in loc, for display.
func (s CaseSnapshot) In(loc *time.Location) CaseSnapshot {
	in := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := t.In(loc)
		return &v
	}
	s.RecordedAt = s.RecordedAt.In(loc)
	s.RoutedAt, s.FirstFeedbackAt, s.ResolvedAt, s.ClosedAt = in(s.RoutedAt), in(s.FirstFeedbackAt), in(s.ResolvedAt), in(s.ClosedAt)
	d := s.Deadlines
	s.Deadlines = Deadlines{Dispatch: in(d.Dispatch), FirstFeedback: in(d.FirstFeedback), Resolution: in(d.Resolution), Callback: in(d.Callback)}
	return s
}

// OpenDeadlines are the deadlines not yet met, for NextDeadline and reminders.
func (s CaseSnapshot) OpenDeadlines() Deadlines {
	var d Deadlines
	if s.Status.Terminal() {
		return d
	}
	if s.RoutedAt == nil {
		d.Dispatch = s.Deadlines.Dispatch
	}
	if s.FirstFeedbackAt == nil {
		d.FirstFeedback = s.Deadlines.FirstFeedback
	}
	if !s.Status.AwaitingCallback() {
		d.Resolution = s.Deadlines.Resolution
	} else {
		d.Callback = s.Deadlines.Callback
	}
	return d
}

// Holder is who should act on the case now: the assignee, else the
// department, else the front desk.
func (s CaseSnapshot) Holder() string {
	switch {
	case s.Status.AwaitingCallback():
		return "front_desk"
	case s.Assignee != "":
		return s.Assignee
	case s.Department != "":
		return s.Department
	}
	return "front_desk"
}

// Timeline event kinds.
const (
	EventRecorded          = "recorded"
	EventAwaitingTriage    = "awaiting_triage"
	EventRouted            = "routed"
	EventAcknowledged      = "acknowledged"
	EventFeedback          = "feedback"
	EventResolved          = "resolved"
	EventCallback          = "callback"
	EventCallbackUnreached = "callback_unreached"
	EventReopened          = "reopened"
	EventClosed            = "closed"
	EventClosedUnresolved  = "closed_unresolved"
	EventClosedUnreachable = "closed_unreachable"
	EventWithdrawn         = "withdrawn"
	EventReminder          = "reminder"
	EventEscalated         = "escalated"
	EventDeadlineMissed    = "deadline_missed"

	// Repair events (domain/repair.go).
	EventDispatched = "dispatched"
	EventOnSite     = "on_site"
	EventCompleted  = "completed"
	EventCancelled  = "cancelled"
)

// ActorSystem marks events the workflow itself caused (timers, auto-routing).
const ActorSystem = "system"

// TimelineEvent is one line of a case's timeline.
type TimelineEvent struct {
	Seq     int       `json:"seq"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor"`
	Message string    `json:"message"`
}

// Notification audiences.
const (
	AudienceResident = "resident"
	AudienceStaff    = "staff"
)

// Notification is a message queued in the outbox; delivery comes later.
// Params hold template values (case number, staff messages), never the
// resident's contact details: the outbox row looks those up by case.
type Notification struct {
	Audience  string            `json:"audience"`
	Recipient string            `json:"recipient"`
	Template  string            `json:"template"`
	Params    map[string]string `json:"params"`
}

// Rating is a 1–5 satisfaction score given on a callback.
type Rating struct {
	Score int `json:"score"`
	// Comment is the rater's comment as workflows started before
	// docs/DESIGN.md §11.1 applied to rating comments carried it; new
	// ratings leave it empty and carry CommentID, the store's case text.
	Comment   string `json:"comment"`
	CommentID int64  `json:"comment_id,omitempty"`
}

// CaseRecord is everything one activity call writes for one timeline event:
// the event, the snapshot after it, the notifications and rating it caused.
type CaseRecord struct {
	Snapshot      CaseSnapshot   `json:"snapshot"`
	Event         TimelineEvent  `json:"event"`
	Notifications []Notification `json:"notifications,omitempty"`
	Rating        *Rating        `json:"rating,omitempty"`
}

// NotificationKey is the outbox key of the i-th notification of a case's
// event: what the record activity stores and the delivery activity reads.
func NotificationKey(number string, seq, i int) string {
	return fmt.Sprintf("%s/%d/%d", number, seq, i)
}
