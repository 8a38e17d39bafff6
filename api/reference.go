package api

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

func (s *Server) listCommunities(c *gin.Context) error {
	items, err := s.cfg.Store.Communities(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (s *Server) listUnits(c *gin.Context) error {
	if !codeRE.MatchString(c.Param("code")) || !inCommunities(c, c.Param("code")) {
		return notFoundf("no community %q", c.Param("code"))
	}
	items, err := s.cfg.Store.Units(c.Request.Context(), c.Param("code"))
	if err != nil {
		return orNotFound(err, notFoundf("no community %q", c.Param("code")))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (s *Server) listDepartments(c *gin.Context) error {
	items, err := s.cfg.Store.Departments(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

func (s *Server) listStaff(c *gin.Context) error {
	if err := checkCodes([2]string{"department", c.Query("department")}); err != nil {
		return invalid(err.Error())
	}
	items, err := s.cfg.Store.StaffList(c.Request.Context(), c.Query("department"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

type staffCommunitiesRequest struct {
	Communities []string `json:"communities" binding:"required,max=500,dive,max=32"`
}

// setStaffCommunities answers PUT /api/v1/staff/{code}/communities
// {communities}: the communities a member of staff works in, replaced
// (docs/DESIGN.md §7.6) and audited; an empty list leaves them none. 404
// for an unknown member, 422 naming the communities that do not exist.
func (s *Server) setStaffCommunities(c *gin.Context) error {
	code := c.Param("code")
	if !codeRE.MatchString(code) {
		return notFoundf("no staff %q", code)
	}
	var req staffCommunitiesRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	for _, community := range req.Communities {
		if !codeRE.MatchString(community) {
			return invalidf("communities: %q is not a community code", community)
		}
	}
	st, err := s.cfg.Store.SetStaffCommunities(c.Request.Context(), who(c), code, req.Communities)
	var unknown *store.UnknownCommunitiesError
	switch {
	case errors.As(err, &unknown):
		return invalidf("communities: %s does not exist", strings.Join(unknown.Codes, ", "))
	case err != nil:
		return orNotFound(err, notFoundf("no staff %q", code))
	}
	c.JSON(http.StatusOK, st)
	return nil
}

// categoryJSON is a handbook entry with its limits as duration strings.
type categoryJSON struct {
	Code                string          `json:"code"`
	Kind                string          `json:"kind"`
	Name                string          `json:"name"`
	NameEn              string          `json:"name_en"`
	Department          string          `json:"department"`
	Responsible         string          `json:"responsible"`
	Priority            domain.Priority `json:"priority"`
	DispatchWithin      string          `json:"dispatch_within"`
	FeedbackWithin      string          `json:"feedback_within"`
	ResolveWithin       string          `json:"resolve_within"`
	UrgentResolveWithin string          `json:"urgent_resolve_within"`
	CallbackWithin      string          `json:"callback_within"`
	EscalateEvery       string          `json:"escalate_every"`
	// PromisedFeedback is feedback_within under the name the repair
	// standard uses: the time within which the resident hears back.
	PromisedFeedback string                `json:"promised_feedback,omitempty"`
	CallbackPolicy   domain.CallbackPolicy `json:"callback_policy,omitempty"`
	Keywords         []string              `json:"keywords"`
	UpdatedAt        time.Time             `json:"updated_at"`
}

func categoryOut(c store.Category) categoryJSON {
	p := c.Policy
	out := categoryJSON{
		Code: c.Code, Kind: c.Kind, Name: c.Name, NameEn: c.NameEn, Department: c.Department,
		Responsible: c.Responsible, Priority: c.Priority,
		DispatchWithin: domain.FormatDuration(p.DispatchWithin), FeedbackWithin: domain.FormatDuration(p.FeedbackWithin),
		ResolveWithin: domain.FormatDuration(p.ResolveWithin), UrgentResolveWithin: domain.FormatDuration(p.UrgentResolveWithin),
		CallbackWithin: domain.FormatDuration(p.CallbackWithin), EscalateEvery: domain.FormatDuration(p.EscalateEvery),
		Keywords: c.Keywords, UpdatedAt: c.UpdatedAt,
	}
	if out.Keywords == nil {
		out.Keywords = []string{}
	}
	if c.Kind == string(domain.KindRepair) {
		// Only repairs promise a feedback time to the resident and follow a
		// callback policy (domain.DecideCompletion).
		out.PromisedFeedback, out.CallbackPolicy = out.FeedbackWithin, c.Callback
	}
	return out
}

func (s *Server) listCategories(c *gin.Context) error {
	kind := c.Query("kind")
	if _, ok := domain.ParseKind(kind); kind != "" && !ok {
		return invalidf("kind must be one of: %s", strings.Join(domain.KindNames(), ", "))
	}
	items, err := s.cfg.Store.Categories(c.Request.Context(), kind)
	if err != nil {
		return err
	}
	out := make([]categoryJSON, 0, len(items))
	for _, it := range items {
		out = append(out, categoryOut(it))
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
	return nil
}

func (s *Server) getCategory(c *gin.Context) error {
	if !categoryCodeRE.MatchString(c.Param("code")) {
		return notFoundf("no handbook category %q", c.Param("code"))
	}
	cat, err := s.cfg.Store.CategoryByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		return orNotFound(err, notFoundf("no handbook category %q", c.Param("code")))
	}
	c.JSON(http.StatusOK, categoryOut(cat))
	return nil
}

// putCategoryRequest replaces a handbook entry. Limits left out keep their
// current value (or the standard's default for a new entry).
type putCategoryRequest struct {
	Name                string  `json:"name" binding:"required,max=64"`
	NameEn              string  `json:"name_en" binding:"max=64"`
	Kind                string  `json:"kind" binding:"omitempty,oneof=complaint repair"`
	Department          string  `json:"department" binding:"max=32"`
	Responsible         string  `json:"responsible" binding:"max=32"`
	Priority            string  `json:"priority" binding:"omitempty,oneof=normal urgent"`
	DispatchWithin      *string `json:"dispatch_within"`
	FeedbackWithin      *string `json:"feedback_within"`
	ResolveWithin       *string `json:"resolve_within"`
	UrgentResolveWithin *string `json:"urgent_resolve_within"`
	CallbackWithin      *string `json:"callback_within"`
	EscalateEvery       *string `json:"escalate_every"`
	// Repairs: when a completed repair needs a callback.
	CallbackPolicy string `json:"callback_policy" binding:"omitempty,oneof=always unless_rated never"`
	// Keywords replace the category's email keywords when given.
	Keywords []string `json:"keywords" binding:"omitempty,max=50,dive,max=32"`
}

var categoryCodeRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) putCategory(c *gin.Context) error {
	ctx := c.Request.Context()
	code := c.Param("code")
	if !categoryCodeRE.MatchString(code) {
		return invalid("category code must be 1–32 of a-z, 0-9 and _")
	}
	var req putCategoryRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	cat, err := s.cfg.Store.CategoryByCode(ctx, code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		cat = store.Category{Code: code, Kind: "complaint", Priority: domain.PriorityNormal, Policy: domain.DefaultPolicy(),
			Callback: domain.CallbackAlways, Keywords: []string{}}
	case err != nil:
		return err
	}
	var err1, err2 error
	cat.Name, err1 = cleanText("name", req.Name)
	cat.NameEn, err2 = optionalText("name_en", req.NameEn)
	if err := errors.Join(err1, err2); err != nil {
		return invalid(err.Error())
	}
	cat.Department, cat.Responsible = req.Department, req.Responsible
	if req.Kind != "" {
		cat.Kind = req.Kind
	}
	if req.Priority != "" {
		cat.Priority = domain.Priority(req.Priority)
	}
	if req.CallbackPolicy != "" {
		cat.Callback = domain.CallbackPolicy(req.CallbackPolicy)
	}
	if req.Keywords != nil {
		keywords, err := cleanKeywords(req.Keywords)
		if err != nil {
			return invalid(err.Error())
		}
		cat.Keywords = keywords
	}
	var problems []string
	for _, f := range []struct {
		name string
		in   *string
		out  *time.Duration
	}{
		{"dispatch_within", req.DispatchWithin, &cat.Policy.DispatchWithin},
		{"feedback_within", req.FeedbackWithin, &cat.Policy.FeedbackWithin},
		{"resolve_within", req.ResolveWithin, &cat.Policy.ResolveWithin},
		{"urgent_resolve_within", req.UrgentResolveWithin, &cat.Policy.UrgentResolveWithin},
		{"callback_within", req.CallbackWithin, &cat.Policy.CallbackWithin},
		{"escalate_every", req.EscalateEvery, &cat.Policy.EscalateEvery},
	} {
		if f.in == nil {
			continue
		}
		d, err := time.ParseDuration(strings.TrimSpace(*f.in))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %q is not a duration such as \"24h\", \"90m\" or \"3s\"", f.name, *f.in))
			continue
		}
		*f.out = d
	}
	if len(problems) == 0 {
		if err := cat.Policy.Validate(); err != nil {
			problems = append(problems, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	if len(problems) > 0 {
		return invalid(strings.Join(problems, "; "))
	}
	if err := s.checkHolder(c, cat.Department, "responsible", cat.Responsible); err != nil {
		return err
	}
	// The audit trail records who set the limits new cases will run on.
	saved, err := s.cfg.Store.PutCategory(ctx, who(c), cat)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, categoryOut(saved))
	return nil
}

// cleanKeywords trims and de-duplicates keywords; matching is by substring,
// so an empty keyword would match every message.
func cleanKeywords(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for i, k := range in {
		k, err := cleanText(fmt.Sprintf("keywords[%d]", i), k)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// listNotifications shows the outbox to staff: what was sent, what is still
// being retried, and what failed for good (`status=failed`).
func (s *Server) listNotifications(c *gin.Context) error {
	status := c.Query("status")
	if status != "" && status != "pending" && status != "sent" && status != "failed" && status != "skipped" {
		return invalid("status must be pending, sent, failed or skipped")
	}
	number := c.Query("number")
	if number != "" && !domain.ValidCaseNumber(number) {
		return invalid("number must be a case number such as TS20261128-0001")
	}
	limit, err := queryInt(c, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	items, err := s.cfg.Store.Notifications(c.Request.Context(), status, number, scopedCommunities(c), limit)
	if err != nil {
		return err
	}
	for i, n := range items {
		items[i].CreatedAt = n.CreatedAt.In(s.cfg.Location)
		if n.SentAt != nil {
			t := n.SentAt.In(s.cfg.Location)
			items[i].SentAt = &t
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}
