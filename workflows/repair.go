package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// Repair action requests, one per update. Actor is the staff code acting.
// FeedbackRequest and CallbackRequest are shared with complaints (core.go);
// a callback with actor "resident" is the resident's own rating through the
// tracking link.
type (
	DispatchRequest struct {
		// Department may be empty to keep the current one.
		Department string `json:"department"`
		Assignee   string `json:"assignee"`
		Actor      string `json:"actor"`
	}
	ArriveRequest struct {
		Actor string `json:"actor"`
	}
	CompleteRequest struct {
		Resolution string `json:"resolution"`
		// Score is the on-site rating (现场评价), 1–5, or 0 for none.
		Score int `json:"score"`
		// CommentID is the resident's on-site comment as the store keeps
		// it; Comment is for the histories from before (see CallbackRequest).
		CommentID int64  `json:"comment_id,omitempty"`
		Comment   string `json:"comment,omitempty"`
		Actor     string `json:"actor"`
	}
	CancelRequest struct {
		Reason string `json:"reason"`
		Actor  string `json:"actor"`
	}
)

// repair is the workflow's in-memory state; all of it is rebuilt by replay.
type repair struct {
	*caseCore
	in CaseInput
}

// Repair is the repair request workflow: recorded and dispatched at once,
// then on site, completed and, as the callback policy decides, called back
// (docs/DESIGN.md §6.2).
func Repair(ctx workflow.Context, in CaseInput) (CaseState, error) {
	r := &repair{in: in, caseCore: newCaseCore(ctx, domain.KindRepair, in)}
	if err := r.registerHandlers(ctx); err != nil {
		return CaseState{}, err
	}
	// The acknowledgement tells the resident the promised feedback time and
	// the completion window of the category.
	r.emit(ctx, domain.EventRecorded, in.Actor, "报修已登记 / repair request recorded",
		residentNote("repair_recorded", map[string]string{
			"category":        in.Category,
			"feedback_within": domain.FormatDuration(in.Policy.FeedbackWithin),
			"resolve_within":  domain.FormatDuration(in.Policy.ResolveWindow(in.Priority)),
		}))
	r.dispatch(ctx, in.Department, in.Assignee, domain.ActorSystem)
	if err := r.registerIntake(ctx); err != nil {
		return CaseState{}, err
	}
	return r.run(ctx)
}

// dispatch (re)assigns the repair; an empty department keeps the current one.
func (r *repair) dispatch(ctx workflow.Context, department, assignee, actor string) {
	now := workflow.Now(ctx)
	if department != "" {
		r.st.Department = department
	}
	r.st.Assignee = assignee
	if r.st.RoutedAt == nil {
		r.st.RoutedAt = &now
	}
	r.st.Status = domain.StatusDispatched
	to := fmt.Sprintf("%s/%s", dash(r.st.Department), dash(assignee))
	r.emit(ctx, domain.EventDispatched, actor, fmt.Sprintf("派工至 %s / dispatched to %s", to, to),
		staffNote(r.st.Holder(), "repair_assigned", map[string]string{"number": r.st.Number}))
}

func (r *repair) registerHandlers(ctx workflow.Context) error {
	if err := r.registerQuery(ctx); err != nil {
		return err
	}
	// As for complaints, every action is an update whose validator rejects
	// what the state or the input does not allow, so nothing is recorded.
	if err := setAction(ctx, r.caseCore, domain.ActionDispatch, func(q DispatchRequest) error {
		if strings.TrimSpace(q.Assignee) == "" {
			return invalidInput("assignee is required / 请指定维修人员")
		}
		return nil
	}, func(ctx workflow.Context, q DispatchRequest) {
		r.dispatch(ctx, q.Department, q.Assignee, q.Actor)
	}); err != nil {
		return err
	}
	if err := setAction(ctx, r.caseCore, domain.ActionArrive, func(ArriveRequest) error { return nil },
		func(ctx workflow.Context, q ArriveRequest) {
			// The technician at the door keeps the feedback promise.
			r.markFeedback(ctx)
			r.st.Status = domain.StatusOnSite
			if r.st.Assignee == "" && q.Actor != "" {
				r.st.Assignee = q.Actor
			}
			r.emit(ctx, domain.EventOnSite, q.Actor, "维修人员已到场 / technician on site",
				residentNote("repair_on_site", nil))
		}); err != nil {
		return err
	}
	if err := r.setFeedback(ctx); err != nil {
		return err
	}
	if err := setAction(ctx, r.caseCore, domain.ActionComplete, func(q CompleteRequest) error {
		if strings.TrimSpace(q.Resolution) == "" {
			return invalidInput("resolution is required / 请填写处理结果")
		}
		if !domain.ValidOnSiteScore(q.Score) {
			return invalidInput("score must be 0 (not rated) or between 1 and 5 / 现场评分须为 0 或 1–5")
		}
		return nil
	}, r.complete); err != nil {
		return err
	}
	if err := r.setCallback(ctx); err != nil {
		return err
	}
	return setAction(ctx, r.caseCore, domain.ActionCancel, func(CancelRequest) error { return nil },
		func(ctx workflow.Context, q CancelRequest) {
			r.close(ctx, domain.StatusCancelled, domain.EventCancelled, q.Actor, nonEmpty(q.Reason, "报修已取消 / repair cancelled"))
		})
}

// complete records the completion, with its on-site rating if any, and then
// closes, reopens or waits for the callback as the callback policy decides.
func (r *repair) complete(ctx workflow.Context, q CompleteRequest) {
	now := workflow.Now(ctx)
	// The completion notice reaches the resident, so it keeps the promise too.
	r.markFeedback(ctx)
	outcome := domain.DecideCompletion(r.in.Callback, q.Score, r.st.Reopens)
	r.st.Status = domain.StatusCompleted
	r.st.ResolvedAt = &now
	r.escalateNext = nil
	msg := q.Resolution
	extras := []func(*domain.CaseRecord){
		residentNote("repair_completed", map[string]string{"resolution": q.Resolution}),
	}
	if q.Score > 0 {
		msg = fmt.Sprintf("%s（现场评分 %d / on-site score %d）", q.Resolution, q.Score, q.Score)
		extras = append(extras, withRating(q.Score, q.Comment, q.CommentID))
	}
	if outcome == domain.CompletionAwaitCallback {
		r.awaitCallback(now)
		extras = append(extras, residentNote("repair_callback_request", nil))
	}
	r.emit(ctx, domain.EventCompleted, q.Actor, msg, extras...)
	switch outcome {
	case domain.CompletionClose:
		why := "维修完成，结案 / closed on completion"
		if q.Score > 0 {
			why = "现场评价满意，结案 / closed on a satisfied on-site rating"
		}
		r.close(ctx, domain.StatusClosed, domain.EventClosed, domain.ActorSystem, why)
	case domain.CompletionReopen:
		r.reopen(ctx)
	case domain.CompletionClosedUnresolved:
		r.closeUnresolved(ctx)
	}
}
