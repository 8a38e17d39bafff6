package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// Names of the quarterly training and exam cycle.
const (
	TrainingWorkflow       = "TrainingCycle"
	PlanTrainingActivity   = "PlanTrainingCycle"
	OpenTrainingActivity   = "OpenTrainingCycle"
	RecordExamActivity     = "RecordExamResult"
	RemindTrainingActivity = "RemindTraining"
	CloseTrainingActivity  = "CloseTrainingCycle"
	// UpdateExamResult takes one sitting's result: a domain.ExamSubmission.
	UpdateExamResult = "record-exam-result"
	// RemindBefore is how long before the exam closes those who have not
	// sat it are reminded (half the window when that is shorter).
	RemindBefore = 3 * 24 * time.Hour
)

// Phases of a training cycle.
const (
	PhaseScheduled = "scheduled"
	PhaseExamOpen  = "exam_open"
	PhaseRetakes   = "retakes"
	PhaseClosed    = "closed"
)

// TrainingState is what the cycle's "state" query returns.
type TrainingState struct {
	Cycle      string                       `json:"cycle"`
	Phase      string                       `json:"phase"`
	SessionAt  time.Time                    `json:"session_at"`
	ExamCloses time.Time                    `json:"exam_closes,omitzero"`
	PassMark   int                          `json:"pass_mark,omitempty"`
	Records    map[string]domain.ExamRecord `json:"records,omitempty"`
}

type trainingRun struct {
	plan     domain.TrainingPlan
	cycle    domain.TrainingCycle
	phase    string
	records  map[string]domain.ExamRecord
	inflight map[string]bool
}

// TrainingInput names the quarter a training cycle is for. The schedule
// starts the workflow without it (the quarter of the run's own clock); a
// supervisor starting a missed quarter's cycle by hand names it. It is a
// trailing argument that runs recorded before it existed replay without:
// they decode it as its zero value.
type TrainingInput struct {
	// Quarter, such as "2026-Q3"; empty means the quarter the run starts in.
	Quarter string `json:"quarter,omitempty"`
	// SessionNow holds the session when the run starts instead of waiting
	// for the quarter's first working day: the trainer's choice, made by
	// hand (POST /api/v1/training/cycles). The schedule never sets it.
	SessionNow bool `json:"session_now,omitempty"`
}

// TrainingCycle runs one quarter's training (培训考核): it waits for the
// session on the quarter's first working day, enrols the front desk and
// opens the exam window, takes results through the record-exam-result
// update, reminds those who have not sat it, gives each failed first sitting
// one retake within the retake window, and records the first-attempt and
// final pass counts. It closes early once every result is final.
func TrainingCycle(ctx workflow.Context, in TrainingInput) (domain.TrainingOutcome, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		// A database outage delays the cycle; it does not lose a result.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
	})
	t := &trainingRun{phase: PhaseScheduled, records: map[string]domain.ExamRecord{}, inflight: map[string]bool{}}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (TrainingState, error) { return t.state(), nil }); err != nil {
		return domain.TrainingOutcome{}, fmt.Errorf("register state query: %w", err)
	}
	// Registered before the session, so an early result is told why it is refused.
	if err := t.handleResults(ctx, actx); err != nil {
		return domain.TrainingOutcome{}, fmt.Errorf("register results update: %w", err)
	}
	if err := workflow.ExecuteActivity(actx, PlanTrainingActivity, workflow.Now(ctx), in).Get(ctx, &t.plan); err != nil {
		return domain.TrainingOutcome{}, fmt.Errorf("plan training cycle: %w", err)
	}
	out := domain.TrainingOutcome{Cycle: t.plan.Cycle}
	if in.SessionNow {
		// Runs recorded before the field existed decode it as false, so
		// they replay unchanged.
		t.plan.SessionAt = workflow.Now(ctx)
	}
	if err := workflow.Sleep(ctx, t.plan.SessionAt.Sub(workflow.Now(ctx))); err != nil {
		return out, err
	}
	if err := workflow.ExecuteActivity(actx, OpenTrainingActivity, t.plan).Get(ctx, &t.cycle); err != nil {
		return out, fmt.Errorf("open training cycle: %w", err)
	}
	if me := workflow.GetInfo(ctx).WorkflowExecution; t.cycle.WorkflowID != me.ID || t.cycle.RunID != me.RunID {
		// Another run has this quarter; results go to it.
		out.Duplicate = true
		return out, nil
	}
	for _, s := range t.cycle.Staff {
		t.records[s] = domain.ExamRecord{}
	}
	t.phase = PhaseExamOpen
	deliverBeside(ctx, t.cycle.Notify)

	window := t.cycle.ExamCloses.Sub(t.cycle.ExamOpens)
	remindAt := t.cycle.ExamCloses.Add(-min(RemindBefore, window/2))
	allSat := func() bool {
		for _, r := range t.records {
			if r.Attempts == 0 {
				return false
			}
		}
		return true
	}
	allFinal := func() bool {
		now := workflow.Now(ctx)
		for _, r := range t.records {
			if !r.Final(now) && (r.Attempts > 0 || now.Before(t.cycle.ExamCloses)) {
				return false
			}
		}
		return true
	}
	sat, err := workflow.AwaitWithTimeout(ctx, remindAt.Sub(workflow.Now(ctx)), allSat)
	if err != nil {
		return out, err
	}
	if !sat {
		var keys []string
		if err := workflow.ExecuteActivity(actx, RemindTrainingActivity, t.cycle.ID, workflow.Now(ctx)).Get(ctx, &keys); err != nil {
			return out, fmt.Errorf("remind training: %w", err)
		}
		deliverBeside(ctx, keys)
	}
	if _, err := workflow.AwaitWithTimeout(ctx, t.cycle.ExamCloses.Sub(workflow.Now(ctx)), allFinal); err != nil {
		return out, err
	}
	t.phase = PhaseRetakes
	// Retakes run past the window's close until each is sat or due.
	for !allFinal() {
		due := t.lastRetakeDue()
		if _, err := workflow.AwaitWithTimeout(ctx, due.Sub(workflow.Now(ctx))+time.Second, allFinal); err != nil {
			return out, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return out, err
	}
	t.phase = PhaseClosed
	if err := workflow.ExecuteActivity(actx, CloseTrainingActivity, t.cycle.ID).Get(ctx, &out); err != nil {
		return out, fmt.Errorf("close training cycle: %w", err)
	}
	return out, nil
}

func (t *trainingRun) lastRetakeDue() time.Time {
	var due time.Time
	for _, r := range t.records {
		if r.Attempts == 1 && !r.Passed && r.RetakeDue.After(due) {
			due = r.RetakeDue
		}
	}
	return due
}

func (t *trainingRun) state() TrainingState {
	return TrainingState{Cycle: t.plan.Cycle, Phase: t.phase, SessionAt: t.plan.SessionAt,
		ExamCloses: t.cycle.ExamCloses, PassMark: t.cycle.PassMark, Records: t.records}
}

// handleResults registers the record-exam-result update.
func (t *trainingRun) handleResults(ctx, actx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateExamResult,
		func(ctx workflow.Context, sub domain.ExamSubmission) (domain.ExamResult, error) {
			// Checked again: a result for the same person may have been
			// admitted in the same workflow task.
			attempt, err := t.admit(ctx, sub)
			if err != nil {
				return domain.ExamResult{}, err
			}
			t.inflight[sub.Staff] = true
			defer delete(t.inflight, sub.Staff)
			sub.Cycle, sub.Attempt, sub.At = t.cycle.ID, attempt, workflow.Now(ctx)
			var r domain.ExamResult
			if err := workflow.ExecuteActivity(actx, RecordExamActivity, sub, t.cycle).Get(ctx, &r); err != nil {
				return r, err
			}
			t.records[sub.Staff] = domain.ExamRecord{Attempts: r.Attempt, Passed: r.Passed, LastScore: r.Score, RetakeDue: r.RetakeDue}
			deliverBeside(ctx, r.Notify)
			return r, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, sub domain.ExamSubmission) error {
			_, err := t.admit(ctx, sub)
			return err
		}})
}

// admit checks a submission against the cycle: who may sit now, and what
// was sent. It returns the sitting's number.
func (t *trainingRun) admit(ctx workflow.Context, sub domain.ExamSubmission) (int, error) {
	rec, enrolled := t.records[sub.Staff]
	switch {
	case t.phase == PhaseScheduled:
		return 0, temporal.NewApplicationError(domain.ErrExamNotOpen.Error(), ErrInvalidTransition)
	case !enrolled:
		return 0, invalidInput(fmt.Sprintf("%q is not enrolled in %s", sub.Staff, t.cycle.ID))
	case (sub.Score == nil) == (len(sub.Answers) == 0):
		return 0, invalidInput("send either score (entered by the trainer) or answers (marked against the question bank)")
	case sub.Score != nil:
		if err := domain.CheckScore(*sub.Score); err != nil {
			return 0, invalidInput(err.Error())
		}
	case len(t.cycle.Questions) == 0:
		return 0, invalidInput("this exam has no questions from the bank; the trainer enters a score instead")
	default:
		for k := range sub.Answers {
			id, err := strconv.ParseInt(k, 10, 64)
			if err != nil || !slices.Contains(t.cycle.Questions, id) {
				return 0, invalidInput(fmt.Sprintf("question %q is not in the %s exam", k, t.cycle.ID))
			}
		}
	}
	if t.inflight[sub.Staff] {
		return 0, temporal.NewApplicationError(fmt.Sprintf("a result for %q is being recorded", sub.Staff), ErrInvalidTransition)
	}
	attempt, err := rec.NextAttempt(workflow.Now(ctx), t.cycle.ExamOpens, t.cycle.ExamCloses)
	if err != nil {
		return 0, temporal.NewApplicationError(err.Error(), ErrInvalidTransition)
	}
	if t.phase == PhaseClosed {
		return 0, temporal.NewApplicationError("the cycle is closed", ErrInvalidTransition)
	}
	return attempt, nil
}
