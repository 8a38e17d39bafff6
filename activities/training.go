package activities

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

// Training are the activities of the quarterly training and exam cycle.
type Training struct {
	Store    *store.Store
	Location *time.Location
	// PassMark out of 100 (80 when zero); ExamWindow and RetakeWindow
	// (14 and 7 days when zero).
	PassMark     int
	ExamWindow   time.Duration
	RetakeWindow time.Duration
}

func (a *Training) passMark() int {
	if a.PassMark <= 0 {
		return domain.DefaultPassMark
	}
	return a.PassMark
}

// PlanTrainingCycle names the quarter (the one in, or else the quarter of
// at) and when its session starts: 09:00 on the quarter's first working
// day, or at once when that is past (a cycle triggered by hand later in the
// quarter, or for a quarter gone by).
func (a *Training) PlanTrainingCycle(ctx context.Context, at time.Time, in workflows.TrainingInput) (domain.TrainingPlan, error) {
	at = at.In(a.Location)
	id, start := domain.Quarter(at)
	if in.Quarter != "" {
		var err error
		if start, err = domain.ParseQuarter(in.Quarter, a.Location); err != nil {
			return domain.TrainingPlan{}, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrInvalidInput, err)
		}
		id, _ = domain.Quarter(start)
	}
	cal, err := a.Store.Calendar(ctx, start.Year())
	if err != nil {
		return domain.TrainingPlan{}, err
	}
	day := cal.FirstWorkingDay(start)
	session := time.Date(day.Year(), day.Month(), day.Day(), domain.SessionHour, 0, 0, 0, a.Location)
	if session.Before(at) {
		session = at
	}
	return domain.TrainingPlan{Cycle: id, SessionAt: session}, nil
}

// OpenTrainingCycle stores the quarter's cycle (session, enrolment, exam
// window and questions) once, for the workflow calling it. A cycle already
// opened by another run comes back with that run's workflow and run IDs.
func (a *Training) OpenTrainingCycle(ctx context.Context, plan domain.TrainingPlan) (domain.TrainingCycle, error) {
	window, retake := a.ExamWindow, a.RetakeWindow
	if window <= 0 {
		window = domain.DefaultExamWindow
	}
	if retake <= 0 {
		retake = domain.DefaultRetakeWindow
	}
	session := plan.SessionAt.In(a.Location)
	run := activity.GetInfo(ctx).WorkflowExecution
	return a.Store.OpenTrainingCycle(ctx, store.CycleSpec{
		ID: plan.Cycle, WorkflowID: run.ID, RunID: run.RunID,
		SessionOn: session, PassMark: a.passMark(), ExamOpens: plan.SessionAt, ExamCloses: plan.SessionAt.Add(window),
		RetakeWindow: retake, Zone: a.Location.String(),
	})
}

// RecordExamResult marks and stores one sitting. A failed first sitting
// gets its retake due date and a notice. Answers that do not belong to the
// exam are rejected without retrying.
func (a *Training) RecordExamResult(ctx context.Context, sub domain.ExamSubmission, cycle domain.TrainingCycle) (domain.ExamResult, error) {
	r := domain.ExamResult{Cycle: sub.Cycle, Staff: sub.Staff, Attempt: sub.Attempt, PassMark: cycle.PassMark}
	if sub.Score != nil {
		r.Method, r.Score = "trainer", math.Round(*sub.Score*100)/100
	} else {
		questions, err := a.Store.ExamQuestions(ctx, sub.Cycle)
		if err != nil {
			return r, err
		}
		if r.Score, err = domain.MarkAnswers(questions, sub.Answers); err != nil {
			return r, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrInvalidInput, err)
		}
		r.Method = "answers"
	}
	r.Passed = domain.Passes(r.Score, cycle.PassMark)
	if !r.Passed && sub.Attempt == 1 {
		r.RetakeDue = sub.At.Add(cycle.RetakeWindow)
	}
	stored, err := a.Store.RecordExamAttempt(ctx, r, sub.Answers, sub.RecordedBy, sub.At, a.Location.String())
	if err != nil {
		return r, fmt.Errorf("record the exam result: %w", err)
	}
	return stored, nil
}

// RemindTraining queues reminders to those who have not sat the exam or
// still owe their retake, and returns the outbox keys.
func (a *Training) RemindTraining(ctx context.Context, cycle string, at time.Time) ([]string, error) {
	return a.Store.RemindTraining(ctx, cycle, at, a.Location.String())
}

// CloseTrainingCycle records the cycle's first-attempt and final pass counts.
func (a *Training) CloseTrainingCycle(ctx context.Context, cycle string) (domain.TrainingOutcome, error) {
	return a.Store.CloseTrainingCycle(ctx, cycle)
}
