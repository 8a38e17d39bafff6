package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// monthParam reads month=YYYY-MM, this month by default.
func (s *Server) monthParam(c *gin.Context) (string, bool) {
	m := c.DefaultQuery("month", time.Now().In(s.cfg.Location).Format("2006-01"))
	if _, err := domain.ParsePeriod(m); err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "month: "+err.Error())
		return "", false
	}
	return m, true
}

// listCallbacks is a month's callback tasks, optionally of one receptionist.
func (s *Server) listCallbacks(c *gin.Context) {
	month, ok := s.monthParam(c)
	if !ok {
		return
	}
	if err := checkCodes([2]string{"assignee", c.Query("assignee")}); err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", err.Error())
		return
	}
	items, err := s.cfg.Store.CallbackTasks(c.Request.Context(), month, c.Query("assignee"))
	if err != nil {
		s.internal(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// callbackCoverage is a month's coverage against its target.
func (s *Server) callbackCoverage(c *gin.Context) {
	month, ok := s.monthParam(c)
	if !ok {
		return
	}
	cov, err := s.cfg.Store.Coverage(c.Request.Context(), month)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, http.StatusNotFound, "not_found", fmt.Sprintf("no callback campaign for %s", month))
		return
	} else if err != nil {
		s.internal(c, err)
		return
	}
	k := domain.Ratio(cov.Reached, cov.ActiveHouseholds, cov.Target)
	c.JSON(http.StatusOK, gin.H{"month": cov.Month, "tasks": cov.Tasks, "reached_households": cov.Reached,
		"active_households": cov.ActiveHouseholds, "value": k.Value, "target": cov.Target, "met": k.Met,
		"reminded_at": cov.RemindedAt, "closed_at": cov.ClosedAt})
}

type callResultRequest struct {
	Reached *bool  `json:"reached" binding:"required"`
	Score   int    `json:"score"`
	Comment string `json:"comment" binding:"max=2000"`
	// NewIssue opens a follow-up complaint when the resident raises a new problem.
	NewIssue *struct {
		Category    string `json:"category" binding:"required,max=32"`
		Description string `json:"description" binding:"required,max=4000"`
	} `json:"new_issue"`
}

// recordCallResult records one call of the campaign.
func (s *Server) recordCallResult(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, http.StatusNotFound, "not_found", fmt.Sprintf("no callback task %q", c.Param("id")))
		return
	}
	var req callResultRequest
	if !bindJSON(c, &req) {
		return
	}
	comment, err := optionalText("comment", req.Comment)
	switch {
	case err != nil:
		fail(c, http.StatusUnprocessableEntity, "invalid_input", err.Error())
		return
	case *req.Reached && !domain.ValidScore(req.Score):
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "score must be between 1 and 5 when the resident was reached")
		return
	case !*req.Reached && (req.Score != 0 || req.NewIssue != nil):
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "score and new_issue must be left out when the resident was not reached")
		return
	}
	actor := actor(c)
	ctx := c.Request.Context()
	task, err := s.cfg.Store.CallbackTaskByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		fail(c, http.StatusNotFound, "not_found", fmt.Sprintf("no callback task %d", id))
		return
	} else if err != nil {
		s.internal(c, err)
		return
	}
	if task.Status == "reached" {
		fail(c, http.StatusConflict, "already_reached", fmt.Sprintf("callback task %d was already reached", id))
		return
	}
	followUp := ""
	if n := req.NewIssue; n != nil {
		desc, err := cleanText("new_issue.description", n.Description)
		if err != nil {
			fail(c, http.StatusUnprocessableEntity, "invalid_input", err.Error())
			return
		}
		if err := checkCodes([2]string{"new_issue.category", n.Category}); err != nil {
			fail(c, http.StatusUnprocessableEntity, "invalid_input", err.Error())
			return
		}
		// The follow-up is keyed by the task, so a retried request opens one case.
		rec, ok := s.recordCase(c, domain.KindComplaint, createCaseRequest{Community: task.Community, Unit: task.Unit,
			Resident: residentInput{Name: task.Resident, Phone: task.Phone}, Channel: string(domain.ChannelPhone),
			Category: n.Category, Description: desc}, fmt.Sprintf("campaign-follow-up:%d", id), actor)
		if !ok {
			return
		}
		followUp = rec.view.Number
	}
	err = s.cfg.Store.RecordCall(ctx, id, *req.Reached, req.Score, comment, followUp, actor, time.Now())
	if errors.Is(err, store.ErrConflict) {
		fail(c, http.StatusConflict, "already_reached", err.Error())
		return
	} else if err != nil && followUp != "" {
		s.appliedButUnfinished(c, fmt.Sprintf("follow-up complaint %s was opened, but the call result could not be recorded", followUp),
			"send the same request again to finish: it opens no second case", err)
		return
	} else if err != nil {
		s.internal(c, err)
		return
	}
	task, err = s.cfg.Store.CallbackTaskByID(ctx, id)
	if err != nil {
		s.appliedButUnfinished(c, fmt.Sprintf("the result of callback task %d was recorded, but the task could not be read back", id),
			"read it with GET /api/v1/callbacks", err)
		return
	}
	c.JSON(http.StatusOK, task)
}
