// Package workflows holds the workflow definitions. Everything here is
// deterministic: time comes from workflow.Now, side effects go through
// activities, and the rules themselves live in the domain package. The
// machinery the case workflows share is in core.go.
package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/concierge-pm/concierge/domain"
)

// Complaint action requests, one per update. Actor is the staff code acting.
// FeedbackRequest and CallbackRequest are shared with repairs (core.go).
type (
	RouteRequest struct {
		Department string `json:"department"`
		Assignee   string `json:"assignee"`
		Actor      string `json:"actor"`
	}
	AcknowledgeRequest struct {
		Actor string `json:"actor"`
	}
	ResolveRequest struct {
		Resolution string `json:"resolution"`
		Actor      string `json:"actor"`
	}
	WithdrawRequest struct {
		Reason string `json:"reason"`
		Actor  string `json:"actor"`
	}
)

// complaint is the workflow's in-memory state; all of it is rebuilt by replay.
type complaint struct {
	*caseCore
	in CaseInput
}

// Complaint is the complaint workflow (docs/DESIGN.md §6.1).
func Complaint(ctx workflow.Context, in CaseInput) (CaseState, error) {
	c := &complaint{in: in, caseCore: newCaseCore(ctx, domain.KindComplaint, in)}
	if err := c.registerHandlers(ctx); err != nil {
		return CaseState{}, err
	}
	// The acknowledgement explains the process: who handles it and by when
	// the resident hears back.
	c.emit(ctx, domain.EventRecorded, in.Actor, "投诉已登记 / complaint recorded",
		residentNote("complaint_recorded", map[string]string{
			"category":        in.Category,
			"feedback_within": domain.FormatDuration(in.Policy.FeedbackWithin),
			"resolve_within":  domain.FormatDuration(in.Policy.ResolveWindow(in.Priority)),
			"callback_within": domain.FormatDuration(in.Policy.CallbackWithin),
		}))
	if in.Department != "" {
		c.route(ctx, in.Department, in.Assignee, domain.ActorSystem, "按投诉手册自动派单 / routed by handbook rule")
	} else {
		c.st.Status = domain.StatusAwaitingTriage
		c.emit(ctx, domain.EventAwaitingTriage, domain.ActorSystem, "待主管分派 / awaiting triage by a supervisor")
	}
	if err := c.registerIntake(ctx); err != nil {
		return CaseState{}, err
	}
	return c.run(ctx)
}

func (c *complaint) route(ctx workflow.Context, department, assignee, actor, message string) {
	now := workflow.Now(ctx)
	c.st.Department, c.st.Assignee = department, assignee
	if c.st.RoutedAt == nil {
		c.st.RoutedAt = &now
	}
	c.st.Status = domain.StatusRouted
	if message == "" {
		message = fmt.Sprintf("派至 %s / routed to %s", department, department)
	}
	c.emit(ctx, domain.EventRouted, actor, message, staffNote(c.st.Holder(), "complaint_assigned", map[string]string{"number": c.st.Number}))
}

func (c *complaint) registerHandlers(ctx workflow.Context) error {
	if err := c.registerQuery(ctx); err != nil {
		return err
	}
	// Each action is an update: the validator rejects what the state does not
	// allow (nothing enters the history then); the handler applies the change
	// and returns once the activity has written it.
	if err := setAction(ctx, c.caseCore, domain.ActionRoute, func(r RouteRequest) error {
		if strings.TrimSpace(r.Department) == "" {
			return invalidInput("department is required")
		}
		return nil
	}, func(ctx workflow.Context, r RouteRequest) {
		c.route(ctx, r.Department, r.Assignee, r.Actor, "")
	}); err != nil {
		return err
	}
	if err := setAction(ctx, c.caseCore, domain.ActionAcknowledge, func(AcknowledgeRequest) error { return nil },
		func(ctx workflow.Context, r AcknowledgeRequest) {
			c.st.Status = domain.StatusInProgress
			if c.st.Assignee == "" && r.Actor != "" {
				c.st.Assignee = r.Actor
			}
			c.emit(ctx, domain.EventAcknowledged, r.Actor, "部门已受理 / acknowledged by the department")
		}); err != nil {
		return err
	}
	if err := c.setFeedback(ctx); err != nil {
		return err
	}
	if err := setAction(ctx, c.caseCore, domain.ActionResolve, func(r ResolveRequest) error {
		if strings.TrimSpace(r.Resolution) == "" {
			return invalidInput("resolution is required")
		}
		return nil
	}, func(ctx workflow.Context, r ResolveRequest) {
		now := workflow.Now(ctx)
		// The resolution notice reaches the resident, so it counts as feedback.
		c.markFeedback(ctx)
		c.st.Status = domain.StatusResolved
		c.st.ResolvedAt = &now
		c.awaitCallback(now)
		c.escalateNext = nil
		c.emit(ctx, domain.EventResolved, r.Actor, r.Resolution,
			residentNote("complaint_resolved", map[string]string{"resolution": r.Resolution}),
			residentNote("complaint_callback_request", nil))
	}); err != nil {
		return err
	}
	if err := c.setCallback(ctx); err != nil {
		return err
	}
	return setAction(ctx, c.caseCore, domain.ActionWithdraw, func(WithdrawRequest) error { return nil },
		func(ctx workflow.Context, r WithdrawRequest) {
			c.close(ctx, domain.StatusWithdrawn, domain.EventWithdrawn, r.Actor, nonEmpty(r.Reason, "住户撤回投诉 / withdrawn by the resident"))
		})
}
