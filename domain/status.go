// Package domain holds the pure rules of the service standard: case statuses
// and their transitions, the handbook's time limits, deadline arithmetic and the
// escalation ladder. It imports nothing of the project and does no I/O, so the
// workflow code can call it with workflow time.
package domain

import "slices"

// Status is where a case stands in its lifecycle (docs/DESIGN.md §6.1, §6.2).
type Status string

const (
	StatusRecorded          Status = "recorded"
	StatusAwaitingTriage    Status = "awaiting_triage"
	StatusRouted            Status = "routed"
	StatusInProgress        Status = "in_progress"
	StatusResolved          Status = "resolved"
	StatusClosed            Status = "closed"
	StatusReopened          Status = "reopened"
	StatusWithdrawn         Status = "withdrawn"
	StatusClosedUnresolved  Status = "closed_unresolved"
	StatusClosedUnreachable Status = "closed_unreachable"

	// Repair statuses (domain/repair.go); a repair also uses recorded,
	// reopened and the closed statuses.
	StatusDispatched Status = "dispatched"
	StatusOnSite     Status = "on_site"
	StatusCompleted  Status = "completed"
	StatusCancelled  Status = "cancelled"
)

// Terminal reports whether a case in this status is finished for good.
func (s Status) Terminal() bool {
	switch s {
	case StatusClosed, StatusWithdrawn, StatusClosedUnresolved, StatusClosedUnreachable, StatusCancelled:
		return true
	}
	return false
}

// AwaitingCallback reports whether a case in this status is done and waits
// for the callback: a resolved complaint or a completed repair.
func (s Status) AwaitingCallback() bool {
	return s == StatusResolved || s == StatusCompleted
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	return slices.Contains(AllStatuses, s)
}

// AllStatuses lists every status, in lifecycle order.
var AllStatuses = []Status{
	StatusRecorded, StatusAwaitingTriage, StatusRouted, StatusInProgress, StatusResolved,
	StatusClosed, StatusReopened, StatusWithdrawn, StatusClosedUnresolved, StatusClosedUnreachable,
	StatusDispatched, StatusOnSite, StatusCompleted, StatusCancelled,
}

// Action is something staff (or the resident, through staff) does to a case.
type Action string

const (
	ActionRoute       Action = "route"
	ActionAcknowledge Action = "acknowledge"
	ActionFeedback    Action = "feedback"
	ActionResolve     Action = "resolve"
	ActionCallback    Action = "callback"
	ActionWithdraw    Action = "withdraw"
)
