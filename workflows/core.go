package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// Names shared by the case workflows, the worker registration and the API.
const (
	// RecordActivity writes the records of either kind of case; the name
	// predates repairs and stays, because running workflows call it.
	RecordActivity = "RecordComplaintEvents"
	// DeliverActivity sends the queued notifications of one recorded batch,
	// by their outbox keys.
	DeliverActivity = "DeliverNotifications"
	QueryState      = "state"
	// UpdateIntake waits until the recording is written and returns the state;
	// the API sends it with the start (update-with-start) so that a create
	// answers with the case as PostgreSQL holds it.
	UpdateIntake = "intake"
)

// Error types carried by rejected updates; the API maps them to HTTP codes.
const (
	ErrInvalidTransition = "invalid_transition"
	ErrInvalidInput      = "invalid_input"
)

// Action requests both kinds of case accept. Actor is the staff code acting.
type (
	FeedbackRequest struct {
		Message string `json:"message"`
		Actor   string `json:"actor"`
	}
	CallbackRequest struct {
		Reached bool `json:"reached"`
		Score   int  `json:"score"`
		// CommentID is the resident's comment as the store keeps it
		// (store.KeepCaseText): their words never enter a workflow
		// (docs/DESIGN.md §11.1). Comment is what requests carried before;
		// it stays for the histories that hold it and is left empty now.
		CommentID int64  `json:"comment_id,omitempty"`
		Comment   string `json:"comment,omitempty"`
		// Reopen false means the dissatisfied resident declines a reopening.
		Reopen *bool  `json:"reopen"`
		Actor  string `json:"actor"`
	}
)

// CaseState is what the query and every update return.
type CaseState struct {
	domain.CaseSnapshot
	AllowedActions []domain.Action `json:"allowed_actions"`
	EscalatedTo    string          `json:"escalated_to"`
	NextDeadline   *time.Time      `json:"next_deadline"`
	// Intake is CaseInput.Intake: which intake the workflow serves.
	Intake string `json:"intake,omitempty"`
}

// caseCore is the machinery every case workflow shares: the timeline and its
// recording, the search attributes, the action updates, the alarms
// (reminders and escalation) and the callback rules. All of it is in-memory
// state rebuilt by replay.
type caseCore struct {
	kind    domain.KindSpec
	intake  string
	policy  domain.Policy
	st      domain.CaseSnapshot
	pending []domain.CaseRecord
	written int // Version of the last record the activity has written
	// fired remembers which alarms have gone off, keyed by alarm identity.
	fired map[string]bool
	// round counts resolution rounds (0, then one more per reopening) so a
	// reopened case gets fresh reminders and escalations.
	round         int
	resolveStart  time.Time
	escalateNext  *time.Time
	callbackStart time.Time
	// published is the signature of the search attributes last upserted.
	published string
	// deliveries are the notification deliveries started; the workflow
	// finishes only after they have, so none is abandoned.
	deliveries []workflow.Future
}

// Delivery of a notification is retried with backoff for about an hour
// (10 s, 20 s, … capped at 10 min between attempts); the last attempt marks
// the message failed for staff to see.
const DeliveryAttempts = 9

// deliveryVersion gates delivery for workflows started before it existed:
// their histories have no delivery activities, and replaying them must not
// add any.
const deliveryVersion = "deliver-notifications"

// newCaseCore starts the core of a new case of the given kind, recorded
// now, with the deadlines the kind starts with.
func newCaseCore(ctx workflow.Context, kind domain.Kind, in CaseInput) *caseCore {
	now := workflow.Now(ctx)
	spec := domain.MustSpec(kind)
	st := domain.CaseSnapshot{
		Number: in.Number, Status: domain.StatusRecorded, Category: in.Category,
		Channel: in.Channel, Priority: in.Priority, Community: in.Community, RecordedAt: now,
		Deadlines: spec.StartDeadlines(now, in.Policy, in.Priority),
	}
	return &caseCore{kind: spec, intake: in.Intake, policy: in.Policy, st: st, fired: map[string]bool{}, resolveStart: now}
}

func (c *caseCore) state() CaseState {
	st := stateOf(c.kind, c.st)
	st.Intake = c.intake
	return st
}

func (c *caseCore) registerQuery(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (CaseState, error) { return c.state(), nil }); err != nil {
		return fmt.Errorf("register query: %w", err)
	}
	return nil
}

// registerIntake registers the intake update; call it once the initial
// records are emitted, since it waits for exactly those.
func (c *caseCore) registerIntake(ctx workflow.Context) error {
	intakeVersion := c.st.Version
	if err := workflow.SetUpdateHandler(ctx, UpdateIntake, func(ctx workflow.Context) (CaseState, error) {
		if err := workflow.Await(ctx, func() bool { return c.written >= intakeVersion }); err != nil {
			return CaseState{}, err
		}
		return c.state(), nil
	}); err != nil {
		return fmt.Errorf("register intake update: %w", err)
	}
	return nil
}

// run records what is pending and keeps the alarms until the case reaches a
// terminal status, then waits for the handlers in flight.
func (c *caseCore) run(ctx workflow.Context) (CaseState, error) {
	record := recorder(ctx)
	// One timer runs for the nearest alarm. It is kept while that alarm
	// stays the nearest, so an action does not cost a cancelled and a new
	// timer in the history (docs/DESIGN.md §11.3).
	var timer workflow.Future
	var timerAt time.Time
	var cancelTimer workflow.CancelFunc
	for {
		if len(c.pending) > 0 {
			// Everything pending goes in one activity: events that happen
			// together (recorded and routed, callback and closed) cost one
			// round trip and one transaction.
			batch := c.pending
			c.pending = nil
			if err := record(ctx, batch); err != nil {
				return c.state(), fmt.Errorf("record events %d-%d: %w", batch[0].Event.Seq, batch[len(batch)-1].Event.Seq, err)
			}
			c.written = batch[len(batch)-1].Snapshot.Version
			c.deliver(ctx, batch)
			continue
		}
		if c.st.Status.Terminal() {
			break
		}
		now := workflow.Now(ctx)
		c.fireDue(ctx, now)
		if len(c.pending) > 0 {
			continue
		}
		next := c.nextAlarm()
		if timer != nil && (timer.IsReady() || next == nil || !next.Equal(timerAt)) {
			cancelTimer() // a no-op for a timer that has fired
			timer = nil
		}
		if next != nil && timer == nil {
			tctx, cancel := workflow.WithCancel(ctx)
			timer, timerAt, cancelTimer = workflow.NewTimer(tctx, next.Sub(now)), *next, cancel
		}
		if err := workflow.Await(ctx, func() bool {
			return len(c.pending) > 0 || (timer != nil && timer.IsReady())
		}); err != nil {
			return c.state(), err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return c.state(), err
	}
	for _, f := range c.deliveries {
		// A delivery's outcome is in the outbox row; the case is closed either way.
		_ = f.Get(ctx, nil)
	}
	return c.state(), nil
}

// localRecordVersion gates writing records in a local activity. Workflows
// started before it wrote them in a regular activity, and replaying their
// histories must schedule the same; every workflow started since writes
// locally, for its whole life.
const localRecordVersion = "record-locally"

// recordRetry retries a record without limit: a PostgreSQL outage delays
// the record, it never drops it.
func recordRetry() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}
}

// recorder returns how this run writes a batch of records. A local
// activity runs in the workflow task that emitted the records, so an
// action's update completes in one workflow task instead of waiting for a
// regular activity's round trip through the server's task queue
// (docs/DESIGN.md §11.16). When the local attempts fail (PostgreSQL is
// down), the regular activity takes the batch over: its retries leave no
// trace in the history, where a local activity's long retries would leave
// a marker and a timer each. The write is idempotent either way: a local
// activity runs again when its worker dies after the write but before the
// workflow task completed, the regular activity may then write the same
// batch again, and the store keeps each record once by <case
// number>/<event seq> and a snapshot only when its version is newer. The
// version is asked for once, at the first record, before any branch
// depends on it.
func recorder(ctx workflow.Context) func(workflow.Context, []domain.CaseRecord) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: recordRetry()})
	remote := func(ctx workflow.Context, batch []domain.CaseRecord) error {
		return workflow.ExecuteActivity(actx, RecordActivity, batch).Get(ctx, nil)
	}
	if workflow.GetVersion(ctx, localRecordVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return remote
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		// All local attempts (retried after 1 s and 2 s) within 5 s, well
		// inside the workflow task's 10 s: one transaction of a few rows.
		ScheduleToCloseTimeout: 5 * time.Second, RetryPolicy: recordRetry(),
	})
	return func(ctx workflow.Context, batch []domain.CaseRecord) error {
		err := workflow.ExecuteLocalActivity(lctx, RecordActivity, batch).Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if err == nil || errors.As(err, &appErr) && appErr.NonRetryable() {
			return err // written, or never writable (the intake is missing)
		}
		return remote(ctx, batch)
	}
}

// deliver starts one delivery activity for the notifications just
// recorded. It runs beside the case, so a slow or failing mail server never
// holds up an action.
func (c *caseCore) deliver(ctx workflow.Context, batch []domain.CaseRecord) {
	var keys []string
	for _, rec := range batch {
		for i := range rec.Notifications {
			keys = append(keys, domain.NotificationKey(rec.Snapshot.Number, rec.Event.Seq, i))
		}
	}
	if len(keys) == 0 || workflow.GetVersion(ctx, deliveryVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	c.deliveries = append(c.deliveries, workflow.ExecuteActivity(deliveryContext(ctx), DeliverActivity, keys))
}

// deliveryContext gives delivery its retries: about an hour, after which
// a message is marked failed for a person to follow up.
func deliveryContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
			MaximumInterval: 10 * time.Minute, MaximumAttempts: DeliveryAttempts},
	})
}

// deliverBeside sends queued notifications without waiting for them: a
// failed message is marked failed, it does not hold up the workflow. The
// future is ready when the delivery has ended (at once when there is
// nothing to send); a workflow about to end waits for it, or the delivery
// could be dropped with the run.
func deliverBeside(ctx workflow.Context, keys []string) workflow.Future {
	done, set := workflow.NewFuture(ctx)
	if len(keys) == 0 {
		set.Set(nil, nil)
		return done
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		// A delivery's outcome is in the outbox rows.
		_ = workflow.ExecuteActivity(deliveryContext(ctx), DeliverActivity, keys).Get(ctx, nil)
		set.Set(nil, nil)
	})
	return done
}

// emit applies one timeline event: it bumps the version, queues the record
// for the activity, and refreshes the search attributes and UI details.
func (c *caseCore) emit(ctx workflow.Context, kind, actor, message string, extras ...func(*domain.CaseRecord)) {
	c.st.Version++
	rec := domain.CaseRecord{
		Snapshot: c.st,
		Event:    domain.TimelineEvent{Seq: c.st.Version, At: workflow.Now(ctx), Kind: kind, Actor: actor, Message: message},
	}
	// The snapshot is in place before the extras run: residentNote reads
	// the case number from it.
	for _, x := range extras {
		x(&rec)
	}
	c.pending = append(c.pending, rec)
	c.publish(ctx)
}

func residentNote(template string, params map[string]string) func(*domain.CaseRecord) {
	return func(r *domain.CaseRecord) {
		p := map[string]string{"number": r.Snapshot.Number}
		for k, v := range params {
			p[k] = v
		}
		r.Notifications = append(r.Notifications, domain.Notification{Audience: domain.AudienceResident, Template: template, Params: p})
	}
}

func staffNote(recipient, template string, params map[string]string) func(*domain.CaseRecord) {
	return func(r *domain.CaseRecord) {
		r.Notifications = append(r.Notifications, domain.Notification{Audience: domain.AudienceStaff, Recipient: recipient, Template: template, Params: params})
	}
}

func withRating(score int, comment string, commentID int64) func(*domain.CaseRecord) {
	return func(r *domain.CaseRecord) {
		r.Rating = &domain.Rating{Score: score, Comment: comment, CommentID: commentID}
	}
}

// publish keeps the search attributes and the Web UI's current details in
// step with the state. Neither carries personal data.
func (c *caseCore) publish(ctx workflow.Context) {
	s := c.st
	workflow.SetCurrentDetails(ctx, Details(s))
	next := s.OpenDeadlines().Next()
	// Each upsert is a history event; skip it when nothing indexed changed.
	sig := fmt.Sprint(s.Status, s.Category, s.Department, s.Priority, s.Community, s.Channel, s.Assignee,
		s.EscalationLevel, s.SLABreached, next)
	if sig == c.published {
		return
	}
	c.published = sig
	updates := []temporal.SearchAttributeUpdate{
		SACaseStatus.ValueSet(string(s.Status)),
		SACaseCategory.ValueSet(s.Category),
		SADepartment.ValueSet(s.Department),
		SAPriority.ValueSet(string(s.Priority)),
		SACommunity.ValueSet(s.Community),
		SAChannel.ValueSet(string(s.Channel)),
		SAAssignee.ValueSet(s.Assignee),
		SAEscalationLevel.ValueSet(int64(s.EscalationLevel)),
		SASlaBreached.ValueSet(s.SLABreached),
	}
	if next != nil {
		updates = append(updates, SANextDeadline.ValueSet(*next))
	} else {
		updates = append(updates, SANextDeadline.ValueUnset())
	}
	// Upserting search attributes only fails on an unknown key, which the
	// worker's start-up check rules out; the log keeps it visible if it happens.
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
}

// Details is the Markdown shown as current details in the Temporal Web UI.
func Details(s domain.CaseSnapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · %s · %s\n\n", s.Number, s.Category, s.Status)
	fmt.Fprintf(&b, "- department: %s, assignee: %s\n", dash(s.Department), dash(s.Assignee))
	fmt.Fprintf(&b, "- escalation level: %d (%s), SLA breached: %t\n", s.EscalationLevel, domain.LevelRole(s.EscalationLevel), s.SLABreached)
	if next := s.OpenDeadlines().Next(); next != nil {
		fmt.Fprintf(&b, "- next deadline: %s\n", next.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Summary is the static one-line summary of a case in the Web UI.
func Summary(number, category, department string) string {
	return fmt.Sprintf("%s · %s · %s", number, category, dash(department))
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// setAction registers one action update. The transition check runs in the
// validator and again in the handler, because a second update accepted in the
// same workflow task may have moved the case on in between.
func setAction[R any](ctx workflow.Context, c *caseCore, a domain.Action, check func(R) error, apply func(workflow.Context, R)) error {
	allowedNow := func() error {
		if !c.kind.Allows(c.st.Status, a) {
			return temporal.NewApplicationError(
				fmt.Sprintf("action %q is not allowed while the case is %s", a, c.st.Status), ErrInvalidTransition)
		}
		return nil
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, string(a),
		func(ctx workflow.Context, r R) (CaseState, error) {
			if err := allowedNow(); err != nil {
				return CaseState{}, err
			}
			apply(ctx, r)
			target := c.st.Version
			if err := workflow.Await(ctx, func() bool { return c.written >= target }); err != nil {
				return CaseState{}, err
			}
			return c.state(), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, r R) error {
			if err := allowedNow(); err != nil {
				return err
			}
			return check(r)
		}})
	if err != nil {
		return fmt.Errorf("register %s update: %w", a, err)
	}
	return nil
}

func invalidInput(msg string) error {
	return temporal.NewApplicationError(msg, ErrInvalidInput)
}

func nonEmpty(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}

// IsApplicationError reports whether err is a rejected update of the given type.
func IsApplicationError(err error, errType string) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == errType
}

// setFeedback registers the feedback action, which both kinds share.
func (c *caseCore) setFeedback(ctx workflow.Context) error {
	return setAction(ctx, c, domain.ActionFeedback, func(r FeedbackRequest) error {
		if strings.TrimSpace(r.Message) == "" {
			return invalidInput("message is required")
		}
		return nil
	}, func(ctx workflow.Context, r FeedbackRequest) {
		c.markFeedback(ctx)
		c.emit(ctx, domain.EventFeedback, r.Actor, r.Message,
			residentNote(c.kind.Template("feedback"), map[string]string{"message": r.Message}))
	})
}

// setCallback registers the callback action, which both kinds share.
func (c *caseCore) setCallback(ctx workflow.Context) error {
	return setAction(ctx, c, domain.ActionCallback, func(r CallbackRequest) error {
		if r.Reached && !domain.ValidScore(r.Score) {
			return invalidInput("score must be between 1 and 5 when the resident was reached")
		}
		return nil
	}, c.callback)
}

func (c *caseCore) markFeedback(ctx workflow.Context) {
	if c.st.FirstFeedbackAt == nil {
		now := workflow.Now(ctx)
		c.st.FirstFeedbackAt = &now
	}
}

// awaitCallback sets the callback deadline from now; the caller emits the
// event that moves the case to its awaiting-callback status.
func (c *caseCore) awaitCallback(now time.Time) {
	cb := now.Add(c.policy.CallbackWithin)
	c.st.Deadlines.Callback = &cb
	c.callbackStart = now
}

func (c *caseCore) callback(ctx workflow.Context, r CallbackRequest) {
	if r.Reached {
		c.st.CallbackAttempts = 0
	} else {
		c.st.CallbackAttempts++
	}
	reopen := r.Reopen == nil || *r.Reopen
	outcome := domain.DecideCallback(r.Reached, r.Score, reopen, c.st.Reopens, c.st.CallbackAttempts)
	if !r.Reached {
		msg := fmt.Sprintf("回访未接通（第 %d 次）/ callback attempt %d: resident not reached", c.st.CallbackAttempts, c.st.CallbackAttempts)
		c.emit(ctx, domain.EventCallbackUnreached, r.Actor, msg)
		if outcome == domain.OutcomeClosedUnreachable {
			c.close(ctx, domain.StatusClosedUnreachable, domain.EventClosedUnreachable, domain.ActorSystem,
				"多次回访未接通，结案 / closed: resident unreachable after repeated callbacks")
		}
		return
	}
	c.emit(ctx, domain.EventCallback, r.Actor, fmt.Sprintf("回访评分 %d / callback score %d. %s", r.Score, r.Score, r.Comment),
		withRating(r.Score, r.Comment, r.CommentID))
	switch outcome {
	case domain.OutcomeClose:
		c.close(ctx, domain.StatusClosed, domain.EventClosed, domain.ActorSystem, "回访确认，结案 / closed after callback")
	case domain.OutcomeClosedUnresolved:
		c.closeUnresolved(ctx)
	case domain.OutcomeReopen:
		c.reopen(ctx)
	}
}

// closeUnresolved ends a case the resident is still dissatisfied with after
// MaxReopens reopenings: it goes to the top of the ladder and is closed.
func (c *caseCore) closeUnresolved(ctx workflow.Context) {
	c.st.EscalationLevel = domain.TopLevel
	c.emit(ctx, domain.EventEscalated, domain.ActorSystem,
		"重开次数已达上限，升级至物业经理 / reopen limit reached, escalated to the property manager",
		staffNote(domain.LevelRole(domain.TopLevel), c.kind.Template("escalated"), map[string]string{"number": c.st.Number}))
	c.close(ctx, domain.StatusClosedUnresolved, domain.EventClosedUnresolved, domain.ActorSystem,
		"未能解决，结案 / closed unresolved")
}

// reopen starts a new resolution round with a fresh window and reminders.
func (c *caseCore) reopen(ctx workflow.Context) {
	now := workflow.Now(ctx)
	c.st.Reopens++
	c.round++
	c.st.Status = domain.StatusReopened
	c.st.ResolvedAt = nil
	c.st.Deadlines.Callback = nil
	res := now.Add(c.policy.ResolveWindow(c.st.Priority))
	c.st.Deadlines.Resolution = &res
	c.resolveStart = now
	c.escalateNext = nil
	c.emit(ctx, domain.EventReopened, domain.ActorSystem,
		fmt.Sprintf("住户不满意，重新处理（第 %d 次）/ resident dissatisfied, reopened (%d)", c.st.Reopens, c.st.Reopens),
		residentNote(c.kind.Template("reopened"), nil),
		staffNote(c.st.Holder(), c.kind.Template("reopened"), map[string]string{"number": c.st.Number}))
}

func (c *caseCore) close(ctx workflow.Context, status domain.Status, kind, actor, message string) {
	now := workflow.Now(ctx)
	c.st.Status = status
	c.st.ClosedAt = &now
	c.escalateNext = nil
	c.emit(ctx, kind, actor, message)
}

// alarm is one timer-driven duty of the workflow.
type alarm struct {
	key  string
	at   time.Time
	fire func(workflow.Context)
	// deadline is the deadline a reminder announces; nil for other alarms.
	deadline *time.Time
}

// staleReminderVersion gates skipping a reminder whose deadline has passed
// by the time it is looked at (domain.DecideReminder). Workflows that sent
// such reminders before have them in their histories, and replaying those
// must send them again.
const staleReminderVersion = "skip-stale-reminders"

// alarms lists the duties that are due now or later in the current state.
// Keys carry the resolution round so a reopened case is reminded afresh.
// A deadline the kind does not set (a repair has no dispatch deadline) is
// never open and raises nothing.
func (c *caseCore) alarms() []alarm {
	s := c.st
	if s.Status.Terminal() {
		return nil
	}
	var out []alarm
	add := func(key string, at time.Time, fire func(workflow.Context)) {
		if !c.fired[key] {
			out = append(out, alarm{key: key, at: at, fire: fire})
		}
	}
	addReminder := func(key string, start, deadline time.Time, fire func(workflow.Context)) {
		if !c.fired[key] {
			out = append(out, alarm{key: key, at: domain.ReminderAt(start, deadline), fire: fire, deadline: &deadline})
		}
	}
	open := s.OpenDeadlines()
	if d := open.Dispatch; d != nil {
		addReminder("dispatch/remind", s.RecordedAt, *d, c.remind("dispatch", "customer_service_supervisor"))
		add("dispatch/due", *d, c.missed("dispatch", "customer_service_supervisor", domain.LevelDepartmentHead))
	}
	if d := open.FirstFeedback; d != nil {
		addReminder("feedback/remind", s.RecordedAt, *d, c.remind("first_feedback", s.Holder()))
		add("feedback/due", *d, c.missed("first_feedback", domain.LevelRole(domain.LevelDepartmentHead), domain.LevelDepartmentHead))
	}
	if d := open.Resolution; d != nil {
		r := fmt.Sprintf("resolution/%d", c.round)
		addReminder(r+"/remind", c.resolveStart, *d, c.remind("resolution", s.Holder()))
		add(r+"/due", *d, c.ladder("resolution", *d))
	}
	if d := open.Callback; d != nil {
		r := fmt.Sprintf("callback/%d", c.round)
		addReminder(r+"/remind", c.callbackStart, *d, c.remind("callback", "front_desk"))
		add(r+"/due", *d, c.ladder("callback", *d))
	}
	if c.escalateNext != nil && s.EscalationLevel < domain.TopLevel {
		add(fmt.Sprintf("escalate/%d/%d", c.round, s.EscalationLevel), *c.escalateNext, c.escalateStep)
	}
	return out
}

func (c *caseCore) fireDue(ctx workflow.Context, now time.Time) {
	// Firing one alarm can open the next (a ladder step), so look again
	// until nothing more is due.
	for {
		progressed := false
		for _, a := range c.alarms() {
			if a.at.After(now) {
				continue
			}
			c.fired[a.key] = true
			progressed = true
			// After downtime a reminder can come due with its deadline
			// already passed: only the escalation goes out then. The
			// version is asked for only then, so a workflow that never
			// meets the case records no marker.
			if a.deadline != nil && domain.DecideReminder(a.at, *a.deadline, now) == domain.ReminderSkip &&
				workflow.GetVersion(ctx, staleReminderVersion, workflow.DefaultVersion, 1) >= 1 {
				continue
			}
			a.fire(ctx)
		}
		if !progressed {
			return
		}
	}
}

func (c *caseCore) nextAlarm() *time.Time {
	var next *time.Time
	for _, a := range c.alarms() {
		if next == nil || a.at.Before(*next) {
			at := a.at
			next = &at
		}
	}
	return next
}

func (c *caseCore) remind(deadline, recipient string) func(workflow.Context) {
	return func(ctx workflow.Context) {
		c.emit(ctx, domain.EventReminder, domain.ActorSystem,
			fmt.Sprintf("%s 时限将到，请处理 / %s deadline approaching", deadline, deadline),
			staffNote(recipient, c.kind.Template("reminder"), map[string]string{"number": c.st.Number, "deadline": deadline}))
	}
}

// missed handles a dispatch or first-feedback deadline: the case is marked as
// an SLA breach and raised at least to the given level.
func (c *caseCore) missed(deadline, recipient string, level int) func(workflow.Context) {
	return func(ctx workflow.Context) {
		c.st.SLABreached = true
		c.st.EscalationLevel = max(c.st.EscalationLevel, level)
		c.emit(ctx, domain.EventEscalated, domain.ActorSystem,
			fmt.Sprintf("%s 超时，升级至 %s / %s deadline missed, escalated to %s", deadline, recipient, deadline, recipient),
			staffNote(recipient, c.kind.Template("escalated"), map[string]string{"number": c.st.Number, "deadline": deadline}))
	}
}

// ladder handles a resolution or callback deadline: one level up now, and one
// more every EscalateEvery until the top of the ladder.
func (c *caseCore) ladder(deadline string, due time.Time) func(workflow.Context) {
	return func(ctx workflow.Context) {
		c.st.SLABreached = true
		next := due.Add(c.policy.EscalateEvery)
		c.escalateNext = &next
		c.raise(ctx, deadline+" deadline missed")
	}
}

func (c *caseCore) escalateStep(ctx workflow.Context) {
	next := c.escalateNext.Add(c.policy.EscalateEvery)
	c.escalateNext = &next
	c.raise(ctx, "still open")
}

func (c *caseCore) raise(ctx workflow.Context, why string) {
	c.st.EscalationLevel = domain.NextLevel(c.st.EscalationLevel)
	role := domain.LevelRole(c.st.EscalationLevel)
	c.emit(ctx, domain.EventEscalated, domain.ActorSystem,
		fmt.Sprintf("升级至 %s / escalated to %s: %s", role, role, why),
		staffNote(role, c.kind.Template("escalated"), map[string]string{"number": c.st.Number}))
}
