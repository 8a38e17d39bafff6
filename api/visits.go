package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

type createVisitRequest struct {
	Community    string `json:"community" binding:"required,max=32"`
	Unit         string `json:"unit" binding:"max=32"`
	VisitorName  string `json:"visitor_name" binding:"max=64"`
	VisitorPhone string `json:"visitor_phone" binding:"max=32"`
	Purpose      string `json:"purpose" binding:"required,oneof=inquiry repair complaint other"`
	Channel      string `json:"channel" binding:"omitempty,oneof=walk_in phone email portal"`
	CallRef      string `json:"call_ref" binding:"max=64"`
	Notes        string `json:"notes" binding:"max=2000"`
}

func (r *createVisitRequest) normalize() error {
	if err := checkCodes([2]string{"community", r.Community}, [2]string{"unit", r.Unit}); err != nil {
		return err
	}
	var err error
	if r.VisitorName, err = optionalText("visitor_name", r.VisitorName); err != nil {
		return err
	}
	if r.Notes, err = optionalText("notes", r.Notes); err != nil {
		return err
	}
	if r.CallRef, err = optionalText("call_ref", r.CallRef); err != nil {
		return err
	}
	if r.Unit == "" && r.VisitorName == "" {
		return errors.New("either unit or visitor_name is required")
	}
	r.VisitorPhone = strings.TrimSpace(r.VisitorPhone)
	if r.VisitorPhone != "" && !phoneRE.MatchString(r.VisitorPhone) {
		return errors.New("visitor_phone must be a phone number (digits, spaces, dashes, optional leading +)")
	}
	if r.Channel == "" {
		r.Channel = string(domain.ChannelWalkIn)
	}
	if r.CallRef != "" && r.Channel != string(domain.ChannelPhone) {
		return errors.New("call_ref is only for phone visits (channel phone)")
	}
	return nil
}

// createVisit records a visitor or caller in the reception log. The
// receptionist is the X-Staff-Code header and is required here (see the
// route): every visit counts towards someone's monthly evaluation.
func (s *Server) createVisit(c *gin.Context) error {
	var req createVisitRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	if err := req.normalize(); err != nil {
		return invalid(err.Error())
	}
	// A community outside the receptionist's is answered as one that does
	// not exist (422, docs/DESIGN.md §7.6).
	if !inCommunities(c, req.Community) {
		return invalidf("community %q does not exist", req.Community)
	}
	key, err := idempotencyKeyOf(c)
	if err != nil {
		return err
	}
	v, created, err := s.cfg.Store.CreateVisit(c.Request.Context(), store.NewVisit{
		IdempotencyKey: key, Community: req.Community, Unit: req.Unit, VisitorName: req.VisitorName,
		VisitorPhone: req.VisitorPhone, Purpose: req.Purpose, Channel: req.Channel, CallRef: req.CallRef,
		Receptionist: actor(c), Notes: req.Notes,
	})
	if err != nil {
		return orNotFound(err, invalid(strings.TrimSuffix(err.Error(), ": "+store.ErrNotFound.Error())+" does not exist"))
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, s.visitView(c, v))
	return nil
}

// visitView is a visit as the API shows it: local times, the visitor's
// phone masked (POST …/reveal-phone shows it, audited) and their name
// masked for roles that do not work with residents.
func (s *Server) visitView(c *gin.Context, v store.Visit) store.Visit {
	v.VisitorName = nameFor(c)(v.VisitorName)
	v.ArrivedAt = v.ArrivedAt.In(s.cfg.Location)
	v.Notes = maskText(v.Notes, v.VisitorPhone)
	v.ExitComment = maskText(v.ExitComment, v.VisitorPhone)
	v.VisitorPhone = domain.MaskPhone(v.VisitorPhone)
	if v.ExitedAt != nil {
		t := v.ExitedAt.In(s.cfg.Location)
		v.ExitedAt = &t
	}
	return v
}

func visitID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundf("no visit %q", c.Param("id"))
	}
	return id, nil
}

// visitOf loads the visit named in the path, or is 404; a visit outside
// the caller's communities does not exist for them (docs/DESIGN.md §7.6).
func (s *Server) visitOf(c *gin.Context) (store.Visit, error) {
	id, err := visitID(c)
	if err != nil {
		return store.Visit{}, err
	}
	v, err := s.cfg.Store.VisitByID(c.Request.Context(), id)
	if err == nil && !inCommunities(c, v.Community) {
		err = store.ErrNotFound
	}
	return v, orNotFound(err, notFoundf("no visit %d", id))
}

func (s *Server) getVisit(c *gin.Context) error {
	v, err := s.visitOf(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.visitView(c, v))
	return nil
}

type exitRequest struct {
	Score   int    `json:"score" binding:"required,gte=1,lte=5"`
	Comment string `json:"comment" binding:"max=2000"`
}

// exitVisit records the satisfaction rating a visitor gives on leaving.
func (s *Server) exitVisit(c *gin.Context) error {
	seen, err := s.visitOf(c)
	if err != nil {
		return err
	}
	id := seen.ID
	var req exitRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	comment, err := optionalText("comment", req.Comment)
	if err != nil {
		return invalid(err.Error())
	}
	v, recorded, err := s.cfg.Store.ExitVisit(c.Request.Context(), id, req.Score, comment, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFoundf("no visit %d", id)
	case errors.Is(err, store.ErrConflict):
		return conflict("already_rated", "this visit already has a different exit rating; a rating is not overwritten")
	case err != nil:
		return err
	case recorded:
		// The visit row keeps its receptionist; who recorded the rating
		// (the front desk, unless the request names someone) is logged.
		s.cfg.Logger.Info("visit exit rated", "visit", v.ID, "actor", actor(c))
		c.JSON(http.StatusCreated, s.visitView(c, v))
	default:
		c.JSON(http.StatusOK, s.visitView(c, v))
	}
	return nil
}

// listVisits returns the reception log between two local dates, inclusive;
// both default to today.
func (s *Server) listVisits(c *gin.Context) error {
	today := time.Now().In(s.cfg.Location).Format(time.DateOnly)
	day := func(name string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, c.DefaultQuery(name, today), s.cfg.Location)
		if err != nil {
			return t, invalid(name + " must be a date YYYY-MM-DD")
		}
		return t, nil
	}
	from, err := day("from")
	if err != nil {
		return err
	}
	to, err := day("to")
	if err != nil {
		return err
	}
	to = to.AddDate(0, 0, 1)
	if !to.After(from) {
		return invalid("to must not be before from")
	}
	if to.Sub(from) > 366*24*time.Hour {
		return invalid("the range may span at most one year")
	}
	if err := checkCodes([2]string{"community", c.Query("community")}, [2]string{"receptionist", c.Query("receptionist")}); err != nil {
		return invalid(err.Error())
	}
	limit, err := queryInt(c, "limit", 500, 1, 2000)
	if err != nil {
		return err
	}
	visits, err := s.cfg.Store.ListVisits(c.Request.Context(), store.VisitFilter{
		From: from, To: to, Community: c.Query("community"), Communities: scopedCommunities(c),
		Receptionist: c.Query("receptionist"), Limit: limit})
	if err != nil {
		return err
	}
	items := make([]store.Visit, 0, len(visits))
	for _, v := range visits {
		items = append(items, s.visitView(c, v))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}
