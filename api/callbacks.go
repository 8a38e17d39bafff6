package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// monthParam reads month=YYYY-MM, this month by default.
func (s *Server) monthParam(c *gin.Context) (string, error) {
	m := c.DefaultQuery("month", time.Now().In(s.cfg.Location).Format("2006-01"))
	if _, err := domain.ParsePeriod(m); err != nil {
		return "", invalid("month: " + err.Error())
	}
	return m, nil
}

// listCallbacks is a month's callback tasks, optionally of one receptionist.
func (s *Server) listCallbacks(c *gin.Context) error {
	month, err := s.monthParam(c)
	if err != nil {
		return err
	}
	if err := checkCodes([2]string{"assignee", c.Query("assignee")}); err != nil {
		return invalid(err.Error())
	}
	items, err := s.cfg.Store.CallbackTasks(c.Request.Context(), month, c.Query("assignee"))
	if err != nil {
		return err
	}
	// Only the tasks of the caller's communities (docs/DESIGN.md §7.6).
	if codes, all := communityScope(c); !all {
		items = slices.DeleteFunc(items, func(t store.CallbackTask) bool { return !slices.Contains(codes, t.Community) })
	}
	// The receptionist reveals the number of the task she dials (audited).
	for i := range items {
		items[i].Comment = maskText(items[i].Comment, items[i].Phone)
		items[i].Phone = domain.MaskPhone(items[i].Phone)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// callbackCoverage is a month's coverage against its target, in the
// caller's communities or the one asked for (?community=).
func (s *Server) callbackCoverage(c *gin.Context) error {
	month, err := s.monthParam(c)
	if err != nil {
		return err
	}
	_, set, err := s.communityFilter(c)
	if err != nil {
		return err
	}
	cov, err := s.cfg.Store.CoverageIn(c.Request.Context(), month, set)
	if err != nil {
		return orNotFound(err, notFoundf("no callback campaign for %s", month))
	}
	k := domain.Ratio(cov.Reached, cov.ActiveHouseholds, cov.Target)
	c.JSON(http.StatusOK, gin.H{"month": cov.Month, "tasks": cov.Tasks, "reached_households": cov.Reached,
		"active_households": cov.ActiveHouseholds, "value": k.Value, "target": cov.Target, "met": k.Met,
		"reminded_at": cov.RemindedAt, "closed_at": cov.ClosedAt})
	return nil
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
func (s *Server) recordCallResult(c *gin.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return notFoundf("no callback task %q", c.Param("id"))
	}
	var req callResultRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	comment, err := optionalText("comment", req.Comment)
	switch {
	case err != nil:
		return invalid(err.Error())
	case *req.Reached && !domain.ValidScore(req.Score):
		return invalid("score must be between 1 and 5 when the resident was reached")
	case !*req.Reached && (req.Score != 0 || req.NewIssue != nil):
		return invalid("score and new_issue must be left out when the resident was not reached")
	}
	actor := actor(c)
	ctx := c.Request.Context()
	task, err := s.cfg.Store.CallbackTaskByID(ctx, id)
	if err == nil && !inCommunities(c, task.Community) {
		err = store.ErrNotFound // outside the caller's communities (docs/DESIGN.md §7.6)
	}
	if err != nil {
		return orNotFound(err, notFoundf("no callback task %d", id))
	}
	if task.Status == "reached" {
		return conflict("already_reached", fmt.Sprintf("callback task %d was already reached", id))
	}
	followUp := ""
	if n := req.NewIssue; n != nil {
		desc, err := cleanText("new_issue.description", n.Description)
		if err != nil {
			return invalid(err.Error())
		}
		if err := checkCodes([2]string{"new_issue.category", n.Category}); err != nil {
			return invalid(err.Error())
		}
		// The follow-up is keyed by the task, so a retried request opens one case.
		rec, err := s.recordCase(c, domain.KindComplaint, createCaseRequest{Community: task.Community, Unit: task.Unit,
			Resident: residentInput{Name: task.Resident, Phone: task.Phone}, Channel: string(domain.ChannelPhone),
			Category: n.Category, Description: desc}, fmt.Sprintf("campaign-follow-up:%d", id), actor)
		if err != nil {
			return err
		}
		followUp = rec.view.Number
	}
	err = s.cfg.Store.RecordCall(ctx, id, *req.Reached, req.Score, comment, followUp, actor, time.Now())
	if errors.Is(err, store.ErrConflict) {
		return conflict("already_reached", err.Error())
	} else if err != nil && followUp != "" {
		s.appliedButUnfinished(c, fmt.Sprintf("follow-up complaint %s was opened, but the call result could not be recorded", followUp),
			"send the same request again to finish: it opens no second case", err)
		return nil
	} else if err != nil {
		return err
	}
	task, err = s.cfg.Store.CallbackTaskByID(ctx, id)
	if err != nil {
		s.appliedButUnfinished(c, fmt.Sprintf("the result of callback task %d was recorded, but the task could not be read back", id),
			"read it with GET /api/v1/callbacks", err)
		return nil
	}
	c.JSON(http.StatusOK, task)
	return nil
}
