package domain

import (
	"fmt"
	"slices"
	"time"
)

// The registry of case kinds (docs/DESIGN.md §6). Each kind of case is
// declared here once: its number prefix, its workflow ID, its statuses, its
// actions with the statuses they leave and reach, the deadlines it starts
// with and the templates it sends. The workflows, the API, the store and
// the notifications read the declaration instead of naming the kinds, so a
// new kind is one more entry here plus its workflow; TestKindsAreComplete
// (and the tests of the packages that read the registry) name anything
// left out.

// Kind is what sort of case a number names.
type Kind string

const (
	KindComplaint Kind = "complaint"
	KindRepair    Kind = "repair"
)

// Text is a label in both languages people read.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// Deadline names one of a case's deadlines (the fields of Deadlines).
type Deadline string

const (
	DeadlineDispatch      Deadline = "dispatch"
	DeadlineFirstFeedback Deadline = "first_feedback"
	DeadlineResolution    Deadline = "resolution"
	DeadlineCallback      Deadline = "callback"
)

// Transition declares one action: the statuses that accept it and the
// statuses it may leave the case in. Stays means the case may also keep
// its status (a feedback, an unanswered callback).
type Transition struct {
	Action Action
	From   []Status
	To     []Status
	Stays  bool
	// Note says in words what decides between several targets; the
	// generated state diagrams show it.
	Note string
}

// KindSpec is the declaration of one kind of case.
type KindSpec struct {
	Kind Kind
	// Noun names one case of the kind to people: 投诉 / complaint.
	Noun Text
	// DueLabel introduces the resolution deadline on the resident's
	// tracking page.
	DueLabel Text
	// Prefix starts every case number of the kind (TS for 投诉, TouSu).
	Prefix string
	// Path is the kind's collection in the HTTP API: /api/v1/<Path>.
	Path string
	// Workflow is the registered name of the kind's workflow; like every
	// registered name it never changes (docs/DESIGN.md §11.11).
	Workflow string
	// Start lists the statuses recording may leave a new case in, and
	// StartNote what decides between them.
	Start     []Status
	StartNote string
	// Actions in the order the console shows them.
	Actions []Transition
	// Deadlines the case starts with; the callback deadline is set later,
	// when the case is done.
	Deadlines []Deadline
	// DefaultDepartment holds the cases of a category that names no
	// department; empty leaves them for a supervisor to route.
	DefaultDepartment string
	// Templates are the notification templates the kind's workflow sends,
	// without the kind's prefix ("recorded" is complaint_recorded).
	Templates []string
}

// The templates every case kind sends through the shared core.
var coreTemplates = []string{"recorded", "feedback", "callback_request", "reopened", "reminder", "escalated"}

// kinds is the registry. It is a function, not a variable, so no caller can
// change the declarations.
func kinds() []KindSpec {
	open := []Status{StatusRecorded, StatusAwaitingTriage, StatusRouted, StatusInProgress, StatusReopened}
	afterCallback := []Status{StatusClosed, StatusReopened, StatusClosedUnresolved, StatusClosedUnreachable}
	callbackNote := "4–5 closes; 1–3 reopens (declined: closed; after 2 reopenings: closed_unresolved); 3 × not reached: closed_unreachable"
	repairOpen := []Status{StatusDispatched, StatusOnSite, StatusReopened}
	return []KindSpec{
		{
			Kind: KindComplaint, Noun: Text{"投诉", "complaint"}, DueLabel: Text{"预计处理完毕", "To be resolved by"}, Prefix: "TS", Path: "complaints", Workflow: "Complaint",
			Start:     []Status{StatusRouted, StatusAwaitingTriage},
			StartNote: "routed when the handbook names a department, else awaiting triage",
			Actions: []Transition{
				{Action: ActionRoute, From: []Status{StatusRecorded, StatusAwaitingTriage, StatusRouted, StatusReopened}, To: []Status{StatusRouted}},
				{Action: ActionAcknowledge, From: []Status{StatusRouted, StatusReopened}, To: []Status{StatusInProgress}},
				// Feedback is allowed wherever the case is open and not yet
				// resolved: the 24 h feedback duty runs from recording,
				// whoever holds the case.
				{Action: ActionFeedback, From: open, Stays: true},
				{Action: ActionResolve, From: []Status{StatusInProgress}, To: []Status{StatusResolved}},
				{Action: ActionCallback, From: []Status{StatusResolved}, To: afterCallback, Stays: true, Note: callbackNote},
				{Action: ActionWithdraw, From: open, To: []Status{StatusWithdrawn}},
			},
			Deadlines: []Deadline{DeadlineDispatch, DeadlineFirstFeedback, DeadlineResolution},
			Templates: append(slices.Clone(coreTemplates), "assigned", "resolved"),
		},
		{
			Kind: KindRepair, Noun: Text{"报修", "repair request"}, DueLabel: Text{"预计完成维修", "Repair to be completed by"}, Prefix: "BX", Path: "repairs", Workflow: "Repair",
			// A repair is dispatched as it is recorded, so no one sees it
			// recorded and that status accepts nothing.
			Start:     []Status{StatusDispatched},
			StartNote: "dispatched at once",
			Actions: []Transition{
				{Action: ActionDispatch, From: repairOpen, To: []Status{StatusDispatched}, Note: "reassign"},
				{Action: ActionArrive, From: []Status{StatusDispatched, StatusReopened}, To: []Status{StatusOnSite}},
				{Action: ActionFeedback, From: repairOpen, Stays: true},
				{Action: ActionComplete, From: repairOpen, To: []Status{StatusCompleted, StatusClosed, StatusReopened, StatusClosedUnresolved},
					Note: "callback policy never, or unless_rated with on-site 4–5: closed; on-site 1–3: reopened (after 2 reopenings: closed_unresolved); otherwise completed"},
				{Action: ActionCallback, From: []Status{StatusCompleted}, To: afterCallback, Stays: true, Note: callbackNote},
				{Action: ActionCancel, From: repairOpen, To: []Status{StatusCancelled}},
			},
			Deadlines:         []Deadline{DeadlineFirstFeedback, DeadlineResolution},
			DefaultDepartment: "engineering", // 工程部
			Templates:         append(slices.Clone(coreTemplates), "assigned", "on_site", "completed"),
		},
	}
}

// Kinds lists every kind of case, complaints first.
func Kinds() []KindSpec { return kinds() }

// SpecOf returns the declaration of kind k, or false for an unknown kind.
func SpecOf(k Kind) (KindSpec, bool) {
	for _, s := range kinds() {
		if s.Kind == k {
			return s, true
		}
	}
	return KindSpec{}, false
}

// MustSpec is SpecOf for a kind the caller holds from the registry or a
// validated input; an unknown kind there is a programming error.
func MustSpec(k Kind) KindSpec {
	s, ok := SpecOf(k)
	if !ok {
		panic(fmt.Sprintf("domain: unknown case kind %q", k))
	}
	return s
}

// KindNames lists the kinds by name, for messages that say what is accepted.
func KindNames() []string {
	var out []string
	for _, s := range kinds() {
		out = append(out, string(s.Kind))
	}
	return out
}

// ParseKind returns the kind named s, or false.
func ParseKind(s string) (Kind, bool) {
	spec, ok := SpecOf(Kind(s))
	return spec.Kind, ok
}

// Valid reports whether k is a declared kind.
func (k Kind) Valid() bool {
	_, ok := SpecOf(k)
	return ok
}

// Prefix is the kind's case-number prefix.
func (k Kind) Prefix() string { return MustSpec(k).Prefix }

// WorkflowID is the workflow ID of case number of this kind; it carries the
// case number only, never personal data.
func (k Kind) WorkflowID(number string) string { return string(k) + "/" + number }

// KindOf tells the kind of a case from its number's prefix.
func KindOf(number string) (Kind, bool) {
	if !ValidCaseNumber(number) {
		return "", false
	}
	for _, s := range kinds() {
		if number[:len(s.Prefix)] == s.Prefix {
			return s.Kind, true
		}
	}
	return "", false
}

// ActionNames lists the kind's actions in console order.
func (s KindSpec) ActionNames() []Action {
	out := make([]Action, len(s.Actions))
	for i, t := range s.Actions {
		out[i] = t.Action
	}
	return out
}

// Transition returns the declaration of action a, or false when the kind
// does not take it.
func (s KindSpec) Transition(a Action) (Transition, bool) {
	for _, t := range s.Actions {
		if t.Action == a {
			return t, true
		}
	}
	return Transition{}, false
}

// ParseAction returns the action of this kind named name, or false.
func (s KindSpec) ParseAction(name string) (Action, bool) {
	t, ok := s.Transition(Action(name))
	return t.Action, ok
}

// Allows reports whether a case of this kind in status st accepts action a.
func (s KindSpec) Allows(st Status, a Action) bool {
	t, ok := s.Transition(a)
	return ok && slices.Contains(t.From, st)
}

// AllowedActions returns the actions a case of this kind in status st
// accepts now, in console order. A terminal status accepts none.
func (s KindSpec) AllowedActions(st Status) []Action {
	out := make([]Action, 0, len(s.Actions))
	for _, t := range s.Actions {
		if slices.Contains(t.From, st) {
			out = append(out, t.Action)
		}
	}
	return out
}

// Statuses lists every status a case of this kind can be in, in lifecycle
// order (the order of AllStatuses).
func (s KindSpec) Statuses() []Status {
	seen := map[Status]bool{StatusRecorded: true}
	for _, st := range s.Start {
		seen[st] = true
	}
	for _, t := range s.Actions {
		for _, st := range slices.Concat(t.From, t.To) {
			seen[st] = true
		}
	}
	var out []Status
	for _, st := range AllStatuses {
		if seen[st] {
			out = append(out, st)
		}
	}
	return out
}

// StartDeadlines are the deadlines a case of this kind starts with when it
// is recorded at now under policy p.
func (s KindSpec) StartDeadlines(now time.Time, p Policy, priority Priority) Deadlines {
	var d Deadlines
	at := func(within time.Duration) *time.Time { t := now.Add(within); return &t }
	for _, name := range s.Deadlines {
		switch name {
		case DeadlineDispatch:
			d.Dispatch = at(p.DispatchWithin)
		case DeadlineFirstFeedback:
			d.FirstFeedback = at(p.FeedbackWithin)
		case DeadlineResolution:
			d.Resolution = at(p.ResolveWindow(priority))
		case DeadlineCallback:
			d.Callback = at(p.CallbackWithin)
		}
	}
	return d
}

// CallbackSource is the ratings source of a callback on a case of this
// kind: complaint_callback, repair_callback.
func (s KindSpec) CallbackSource() string { return string(s.Kind) + "_callback" }

// Template is the full name of one of the kind's templates.
func (s KindSpec) Template(suffix string) string { return string(s.Kind) + "_" + suffix }
