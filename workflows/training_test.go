package workflows_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/workflows"
)

const day = 24 * time.Hour

// trainingHarness runs the training workflow against activities that keep
// what they were asked in memory, marking answers as the real one does.
type trainingHarness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	start     time.Time
	cycle     domain.TrainingCycle
	steps     []string
	at        map[string]time.Time
	delivered []string
	results   []domain.ExamResult
	// planned is the input the plan activity was given, opened the plan
	// the open activity was given.
	planned []workflows.TrainingInput
	opened  []domain.TrainingPlan
}

func newTrainingHarness(t *testing.T, staff ...string) *trainingHarness {
	var suite testsuite.WorkflowTestSuite
	h := &trainingHarness{t: t, env: suite.NewTestWorkflowEnvironment(), at: map[string]time.Time{},
		start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	session := h.start.Add(7*day + 9*time.Hour) // 8 October, after National Day
	h.cycle = domain.TrainingCycle{ID: "2026-Q4", WorkflowID: "default-test-workflow-id", RunID: "default-test-run-id", PassMark: 80,
		ExamOpens: session, ExamCloses: session.Add(domain.DefaultExamWindow), RetakeWindow: domain.DefaultRetakeWindow,
		Staff: staff, Questions: []int64{1, 2, 3, 4}}
	for _, s := range staff {
		h.cycle.Notify = append(h.cycle.Notify, "training/2026-Q4/open/"+s)
	}
	env := h.env
	env.SetStartTime(h.start)
	env.RegisterWorkflowWithOptions(workflows.TrainingCycle, workflow.RegisterOptions{Name: workflows.TrainingWorkflow})
	env.RegisterActivityWithOptions(func(_ context.Context, at time.Time, in workflows.TrainingInput) (domain.TrainingPlan, error) {
		h.step("plan")
		h.planned = append(h.planned, in)
		return domain.TrainingPlan{Cycle: "2026-Q4", SessionAt: session}, nil
	}, activity.RegisterOptions{Name: workflows.PlanTrainingActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, plan domain.TrainingPlan) (domain.TrainingCycle, error) {
		h.step("open")
		h.opened = append(h.opened, plan)
		return h.cycle, nil
	}, activity.RegisterOptions{Name: workflows.OpenTrainingActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, sub domain.ExamSubmission, c domain.TrainingCycle) (domain.ExamResult, error) {
		h.step(fmt.Sprintf("record %s %d", sub.Staff, sub.Attempt))
		r := domain.ExamResult{Cycle: c.ID, Staff: sub.Staff, Attempt: sub.Attempt, PassMark: c.PassMark, Method: "trainer"}
		if sub.Score != nil {
			r.Score = *sub.Score
		} else {
			var err error
			r.Method = "answers"
			// Questions 1–4 are all answered A.
			var exam []domain.ExamQuestion
			for id := range int64(4) {
				exam = append(exam, domain.ExamQuestion{ID: id + 1, Answer: "A", Points: 1})
			}
			if r.Score, err = domain.MarkAnswers(exam, sub.Answers); err != nil {
				return r, err
			}
		}
		r.Passed = domain.Passes(r.Score, c.PassMark)
		if !r.Passed && sub.Attempt == 1 {
			r.RetakeDue = sub.At.Add(c.RetakeWindow)
			r.Notify = []string{"training/2026-Q4/retake/" + sub.Staff}
		}
		h.results = append(h.results, r)
		return r, nil
	}, activity.RegisterOptions{Name: workflows.RecordExamActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, cycle string, at time.Time) ([]string, error) {
		h.step("remind")
		return []string{"training/2026-Q4/remind/x"}, nil
	}, activity.RegisterOptions{Name: workflows.RemindTrainingActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, keys []string) error {
		h.delivered = append(h.delivered, keys...)
		return nil
	}, activity.RegisterOptions{Name: workflows.DeliverActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, cycle string) (domain.TrainingOutcome, error) {
		h.step("close")
		o := domain.TrainingOutcome{Cycle: cycle, Enrolled: len(h.cycle.Staff)}
		sat := map[string]bool{}
		for _, r := range h.results {
			sat[r.Staff] = true
			if r.Passed {
				o.FinalPassed++
				if r.Attempt == 1 {
					o.FirstPassed++
				}
			}
		}
		o.Sat = len(sat)
		return o, nil
	}, activity.RegisterOptions{Name: workflows.CloseTrainingActivity})
	return h
}

func (h *trainingHarness) step(name string) {
	h.steps = append(h.steps, name)
	h.at[name] = h.env.Now()
}

func score(v float64) *float64 { return &v }

// submit sends a result at the given time after the start; wantErr is the
// rejection's type, empty when it must be taken.
func (h *trainingHarness) submit(after time.Duration, sub domain.ExamSubmission, wantErr string) {
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateExamResult, fmt.Sprintf("%s@%s", sub.Staff, after), &testsuite.TestUpdateCallback{
			OnAccept: func() {
				if wantErr != "" {
					h.t.Errorf("%s's result at +%s accepted, want %s", sub.Staff, after, wantErr)
				}
			},
			OnReject: func(err error) {
				if wantErr == "" {
					h.t.Errorf("%s's result at +%s rejected: %v", sub.Staff, after, err)
				} else if !workflows.IsApplicationError(err, wantErr) {
					h.t.Errorf("%s's result at +%s rejected with %v, want %s", sub.Staff, after, err, wantErr)
				}
			},
			OnComplete: func(_ any, err error) {
				if err != nil && wantErr == "" {
					h.t.Errorf("%s's result at +%s failed: %v", sub.Staff, after, err)
				}
			},
		}, sub)
	}, after)
}

// run runs the cycle as the schedule starts it, or with the input given.
func (h *trainingHarness) run(in ...workflows.TrainingInput) domain.TrainingOutcome {
	h.t.Helper()
	args := make([]any, len(in))
	for i, x := range in {
		args[i] = x
	}
	h.env.ExecuteWorkflow(workflows.TrainingWorkflow, args...)
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatal(err)
	}
	var out domain.TrainingOutcome
	if err := h.env.GetWorkflowResult(&out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func TestTrainingCycleWithRetakeAndAbsence(t *testing.T) {
	h := newTrainingHarness(t, "chen_jing", "liu_fang", "zhao_min")
	opens := 7*day + 9*time.Hour
	h.submit(opens+day, domain.ExamSubmission{Staff: "chen_jing", Score: score(92), RecordedBy: "trainer"}, "")
	// Two of four right: 50, a fail with a retake due seven days later.
	h.submit(opens+2*day, domain.ExamSubmission{Staff: "liu_fang", Answers: map[string]string{"1": "A", "2": "A", "3": "B"}, RecordedBy: "liu_fang"}, "")
	h.submit(opens+3*day, domain.ExamSubmission{Staff: "chen_jing", Score: score(95)}, workflows.ErrInvalidTransition)
	h.submit(opens+8*day, domain.ExamSubmission{Staff: "liu_fang", Score: score(85)}, "")
	h.submit(opens+9*day, domain.ExamSubmission{Staff: "liu_fang", Score: score(99)}, workflows.ErrInvalidTransition)
	// zhao_min never sits the exam, and is turned away after the close.
	h.submit(opens+15*day, domain.ExamSubmission{Staff: "zhao_min", Score: score(90)}, workflows.ErrInvalidTransition)
	out := h.run()

	want := domain.TrainingOutcome{Cycle: "2026-Q4", Enrolled: 3, Sat: 2, FirstPassed: 1, FinalPassed: 2}
	if out != want {
		t.Errorf("outcome %+v, want %+v", out, want)
	}
	wantSteps := []string{"plan", "open", "record chen_jing 1", "record liu_fang 1", "record liu_fang 2", "remind", "close"}
	if !slices.Equal(h.steps, wantSteps) {
		t.Errorf("steps %v, want %v", h.steps, wantSteps)
	}
	if got := h.at["open"]; !got.Equal(h.start.Add(opens)) {
		t.Errorf("opened at %s, want the session at %s", got, h.start.Add(opens))
	}
	if got, want := h.at["remind"], h.cycle.ExamCloses.Add(-workflows.RemindBefore); !got.Equal(want) {
		t.Errorf("reminded at %s, want %s", got, want)
	}
	if got := h.at["close"]; got.Before(h.cycle.ExamCloses) || got.After(h.cycle.ExamCloses.Add(time.Minute)) {
		t.Errorf("closed at %s, want at the window's close %s (zhao_min could still sit it until then)", got, h.cycle.ExamCloses)
	}
	if got := h.results[1]; got.Score != 50 || got.Passed || !got.RetakeDue.Equal(h.start.Add(opens+9*day)) {
		t.Errorf("liu_fang's first sitting %+v, want 50, failed, retake due %s", got, h.start.Add(opens+9*day))
	}
	wantDelivered := []string{"training/2026-Q4/open/chen_jing", "training/2026-Q4/open/liu_fang", "training/2026-Q4/open/zhao_min",
		"training/2026-Q4/retake/liu_fang", "training/2026-Q4/remind/x"}
	if !slices.Equal(h.delivered, wantDelivered) {
		t.Errorf("delivered %v, want %v", h.delivered, wantDelivered)
	}
}

func TestTrainingCycleRetakeRunsPastTheWindow(t *testing.T) {
	h := newTrainingHarness(t, "chen_jing", "liu_fang")
	opens := 7*day + 9*time.Hour
	h.submit(opens+time.Hour, domain.ExamSubmission{Staff: "chen_jing", Score: score(80)}, "")
	h.submit(opens+13*day, domain.ExamSubmission{Staff: "liu_fang", Score: score(79.5)}, "")
	out := h.run()
	if out.FirstPassed != 1 || out.FinalPassed != 1 || out.Sat != 2 {
		t.Errorf("outcome %+v, want 1 first and 1 final pass of 2 sat", out)
	}
	due := h.start.Add(opens + 20*day)
	if got := h.at["close"]; got.Before(due) || got.After(due.Add(time.Minute)) {
		t.Errorf("closed at %s, want when liu_fang's retake fell due, %s", got, due)
	}
	// liu_fang had not sat when the reminder went out three days before the close.
	if want := []string{"plan", "open", "record chen_jing 1", "remind", "record liu_fang 1", "close"}; !slices.Equal(h.steps, want) {
		t.Errorf("steps %v, want %v", h.steps, want)
	}
}

func TestTrainingCycleClosesEarlyWhenAllFinal(t *testing.T) {
	h := newTrainingHarness(t, "chen_jing", "liu_fang")
	opens := 7*day + 9*time.Hour
	h.submit(opens+time.Hour, domain.ExamSubmission{Staff: "chen_jing", Answers: map[string]string{"1": "A", "2": "A", "3": "A", "4": "A"}}, "")
	h.submit(opens+2*time.Hour, domain.ExamSubmission{Staff: "liu_fang", Score: score(10)}, "")
	h.submit(opens+3*time.Hour, domain.ExamSubmission{Staff: "liu_fang", Score: score(20)}, "")
	out := h.run()
	if out.FirstPassed != 1 || out.FinalPassed != 1 {
		t.Errorf("outcome %+v", out)
	}
	if got := h.at["close"]; !got.Equal(h.start.Add(opens + 3*time.Hour)) {
		t.Errorf("closed at %s, want right after the last possible result", got)
	}
}

func TestTrainingCycleRejectsBadResults(t *testing.T) {
	h := newTrainingHarness(t, "chen_jing", "liu_fang")
	opens := 7*day + 9*time.Hour
	tests := []struct {
		after   time.Duration
		sub     domain.ExamSubmission
		wantErr string
	}{
		{day, domain.ExamSubmission{Staff: "chen_jing", Score: score(90)}, workflows.ErrInvalidTransition}, // before the session
		{opens + time.Hour, domain.ExamSubmission{Staff: "wang_wei", Score: score(90)}, workflows.ErrInvalidInput},
		{opens + time.Hour, domain.ExamSubmission{Staff: "chen_jing"}, workflows.ErrInvalidInput},
		{opens + time.Hour, domain.ExamSubmission{Staff: "chen_jing", Score: score(90), Answers: map[string]string{"1": "A"}}, workflows.ErrInvalidInput},
		{opens + time.Hour, domain.ExamSubmission{Staff: "chen_jing", Score: score(101)}, workflows.ErrInvalidInput},
		{opens + time.Hour, domain.ExamSubmission{Staff: "chen_jing", Answers: map[string]string{"9": "A"}}, workflows.ErrInvalidInput},
		{opens + time.Hour, domain.ExamSubmission{Staff: "chen_jing", Answers: map[string]string{"one": "A"}}, workflows.ErrInvalidInput},
		{opens + 2*time.Hour, domain.ExamSubmission{Staff: "liu_fang", Score: score(60)}, ""},
		{opens + 10*day, domain.ExamSubmission{Staff: "liu_fang", Score: score(90)}, workflows.ErrInvalidTransition}, // retake expired
	}
	for _, tt := range tests {
		h.submit(tt.after, tt.sub, tt.wantErr)
	}
	out := h.run()
	if out.Sat != 1 || out.FinalPassed != 0 {
		t.Errorf("outcome %+v: a rejected result was recorded", out)
	}
	if want := []string{"plan", "open", "record liu_fang 1", "remind", "close"}; !slices.Equal(h.steps, want) {
		t.Errorf("steps %v, want %v", h.steps, want)
	}
}

func TestTrainingCycleLeavesTheQuarterToItsFirstRun(t *testing.T) {
	tests := []struct {
		name, workflowID, runID string
	}{
		{"another workflow", "quarterly-training-cycle-2026-10-01T00:00:00Z", "default-test-run-id"},
		// Triggered twice in one second, a schedule reuses the workflow ID.
		{"an earlier run of the same workflow ID", "default-test-workflow-id", "an-earlier-run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTrainingHarness(t, "chen_jing")
			h.cycle.WorkflowID, h.cycle.RunID = tt.workflowID, tt.runID
			out := h.run()
			if !out.Duplicate || out.Cycle != "2026-Q4" {
				t.Errorf("outcome %+v, want a duplicate of 2026-Q4", out)
			}
			if want := []string{"plan", "open"}; !slices.Equal(h.steps, want) || len(h.delivered) != 0 {
				t.Errorf("steps %v and deliveries %v after a duplicate", h.steps, h.delivered)
			}
		})
	}
}

// The schedule starts the cycle with no input, and the plan gets the zero
// input (the quarter of the run's clock); a cycle started by hand for a
// named quarter hands the quarter to the plan.
func TestTrainingCycleInput(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []workflows.TrainingInput
		want workflows.TrainingInput
	}{
		{"from the schedule", nil, workflows.TrainingInput{}},
		{"for a named quarter", []workflows.TrainingInput{{Quarter: "2026-Q3"}}, workflows.TrainingInput{Quarter: "2026-Q3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTrainingHarness(t, "chen_jing")
			h.submit(7*day+10*time.Hour, domain.ExamSubmission{Staff: "chen_jing", Score: score(90)}, "")
			if out := h.run(tt.in...); out.FinalPassed != 1 {
				t.Errorf("outcome %+v", out)
			}
			if !slices.Equal(h.planned, []workflows.TrainingInput{tt.want}) {
				t.Errorf("planned with %+v, want %+v", h.planned, tt.want)
			}
		})
	}
}

// A trainer who holds the session now opens the cycle when the run starts;
// without it the run sleeps until 09:00 on the first working day.
func TestTrainingSessionNow(t *testing.T) {
	for _, tt := range []struct {
		name  string
		in    workflows.TrainingInput
		after time.Duration // from the start to the opening
	}{
		{"on the first working day", workflows.TrainingInput{}, 7*day + 9*time.Hour},
		{"held now", workflows.TrainingInput{SessionNow: true}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTrainingHarness(t, "chen_jing")
			h.run(tt.in)
			want := h.start.Add(tt.after)
			if !h.at["open"].Equal(want) || len(h.opened) != 1 || !h.opened[0].SessionAt.Equal(want) {
				t.Fatalf("opened at %s with %+v, want at and from %s", h.at["open"], h.opened, want)
			}
		})
	}
}
