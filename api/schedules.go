package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/workflows"
)

type scheduleJSON struct {
	ID          string      `json:"id"`
	Description string      `json:"description"`
	Workflow    string      `json:"workflow"`
	Paused      bool        `json:"paused"`
	Note        string      `json:"note"`
	NextRuns    []time.Time `json:"next_runs"`
	RecentRuns  []runJSON   `json:"recent_runs"`
}

type runJSON struct {
	ScheduledAt time.Time `json:"scheduled_at"`
	WorkflowID  string    `json:"workflow_id"`
}

func (s *Server) describeSchedule(c *gin.Context, def workflows.Schedule) (scheduleJSON, error) {
	d, err := s.cfg.Temporal.ScheduleClient().GetHandle(c.Request.Context(), def.ID).Describe(c.Request.Context())
	if err != nil {
		return scheduleJSON{}, fmt.Errorf("describe schedule %s: %w", def.ID, err)
	}
	out := scheduleJSON{ID: def.ID, Description: def.Description, Workflow: def.Workflow,
		Paused: d.Schedule.State.Paused, Note: d.Schedule.State.Note, NextRuns: []time.Time{}, RecentRuns: []runJSON{}}
	for _, t := range d.Info.NextActionTimes {
		out.NextRuns = append(out.NextRuns, t.In(s.cfg.Location))
	}
	for _, a := range d.Info.RecentActions {
		run := runJSON{ScheduledAt: a.ScheduleTime.In(s.cfg.Location)}
		if a.StartWorkflowResult != nil {
			run.WorkflowID = a.StartWorkflowResult.WorkflowID
		}
		out.RecentRuns = append(out.RecentRuns, run)
	}
	return out, nil
}

// listSchedules shows the recurring jobs with their next runs, in the
// centre's time zone.
func (s *Server) listSchedules(c *gin.Context) error {
	items := []scheduleJSON{}
	for _, def := range workflows.Schedules() {
		d, err := s.describeSchedule(c, def)
		if err != nil {
			return err
		}
		items = append(items, d)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

type pauseRequest struct {
	Note string `json:"note" binding:"max=500"`
}

// actOnSchedule lets a supervisor trigger a job now, or pause and resume it.
func (s *Server) actOnSchedule(c *gin.Context) error {
	var def *workflows.Schedule
	for _, d := range workflows.Schedules() {
		if d.ID == c.Param("id") {
			def = &d
		}
	}
	if def == nil {
		return notFoundf("no schedule %q", c.Param("id"))
	}
	var req pauseRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	note, err := optionalText("note", req.Note)
	if err != nil {
		return invalid(err.Error())
	}
	actor := actor(c)
	if note == "" {
		note = "by " + actor
	}
	ctx := c.Request.Context()
	h := s.cfg.Temporal.ScheduleClient().GetHandle(ctx, def.ID)
	action := c.Param("action")
	switch action {
	case "trigger", "pause", "resume":
	default:
		return notFoundf("unknown action %q; schedules take trigger, pause, resume", action)
	}
	// The state before, for the audit row; a schedule that cannot be
	// described is not acted on.
	before, err := s.describeSchedule(c, *def)
	if err != nil {
		return err
	}
	// The schedule lives in Temporal, not in PostgreSQL, so the audit rows
	// cannot share a transaction with the change: the request is written
	// first (no row, no act), and the outcome after the call, whether it
	// worked or not. A crash in between leaves the request.
	entry := store.AuditEntry{Action: action, ObjectType: "schedule", ObjectKey: def.ID,
		Before: scheduleAuditState(before), Outcome: store.OutcomeRequested}
	if err := s.cfg.Store.RecordAudit(ctx, who(c), entry); err != nil {
		return fmt.Errorf("%s schedule %s not attempted, as it could not be audited: %w", action, def.ID, err)
	}
	switch action {
	case "trigger":
		// Run now even if a run is going: the supervisor asked for it.
		err = h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL})
	case "pause":
		err = h.Pause(ctx, client.SchedulePauseOptions{Note: note})
	case "resume":
		err = h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
	}
	entry.Outcome = store.OutcomeOK
	if err != nil {
		entry.Outcome = store.OutcomeFailed
		if aerr := s.cfg.Store.RecordAudit(ctx, who(c), entry); aerr != nil {
			s.cfg.Logger.Error("schedule action not audited", "schedule", def.ID, "action", action, "error", aerr)
		}
		return fmt.Errorf("%s schedule %s: %w", action, def.ID, err)
	}
	d, derr := s.describeSchedule(c, *def)
	if derr == nil {
		entry.After = scheduleAuditState(d)
	}
	if err := s.cfg.Store.RecordAudit(ctx, who(c), entry); err != nil {
		return fmt.Errorf("%s schedule %s was done but not audited: %w", action, def.ID, err)
	}
	if derr != nil {
		return derr
	}
	c.JSON(http.StatusOK, d)
	return nil
}

// scheduleAuditState is what the audit trail keeps of a schedule's state:
// whether it is paused and its note (its runs change by themselves).
func scheduleAuditState(d scheduleJSON) map[string]any {
	return map[string]any{"paused": d.Paused, "note": d.Note}
}

func (s *Server) listArchivedReports(c *gin.Context) error {
	items, err := s.cfg.Store.ArchivedReports(c.Request.Context(), scopedCommunities(c))
	if err != nil {
		return err
	}
	for i := range items {
		items[i].GeneratedAt = items[i].GeneratedAt.In(s.cfg.Location)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}
