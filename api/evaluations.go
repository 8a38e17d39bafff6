package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

type evaluationJSON struct {
	Month  string `json:"month"`
	Stored bool   `json:"stored"`
	// GeneratedAt is when a stored month was scored; null when computed now.
	GeneratedAt *time.Time          `json:"generated_at"`
	Weights     domain.EvalWeights  `json:"weights"`
	Threshold   float64             `json:"threshold"`
	Items       []domain.EvalResult `json:"items"`
}

// staffEvaluation answers GET /api/v1/evaluations?month=YYYY-MM (default:
// last month): the month's evaluation as the schedule stored it, with the
// settings it used; a month not stored is computed now with the settings in
// force. Items are ordered by rank, those without a score last.
func (s *Server) staffEvaluation(c *gin.Context) error {
	ctx := c.Request.Context()
	now := time.Now().In(s.cfg.Location)
	month := c.DefaultQuery("month", time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.cfg.Location).AddDate(0, -1, 0).Format("2006-01"))
	p, err := domain.ParsePeriod(month)
	if err != nil {
		return invalid("month: " + err.Error())
	}
	month = p.String()
	stored, err := s.cfg.Store.StoredEvaluation(ctx, month)
	if err == nil {
		at := stored.GeneratedAt.In(s.cfg.Location)
		c.JSON(http.StatusOK, evaluationJSON{Month: month, Stored: true, GeneratedAt: &at,
			Weights: stored.Settings.Weights, Threshold: stored.Settings.Threshold, Items: stored.Items})
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	set, err := s.cfg.Store.EvaluationSettings(ctx)
	if err != nil {
		return err
	}
	from := time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, s.cfg.Location)
	inputs, err := s.cfg.Store.EvaluationInputs(ctx, from, from.AddDate(0, 1, 0), time.Now(), month)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, evaluationJSON{Month: month, Weights: set.Weights, Threshold: set.Threshold,
		Items: domain.Evaluate(inputs, set.Weights, set.Threshold)})
	return nil
}

func (s *Server) settingsJSON(e store.EvaluationSettings) store.EvaluationSettings {
	e.UpdatedAt = e.UpdatedAt.In(s.cfg.Location)
	return e
}

// evaluationSettings answers GET /api/v1/evaluations/settings.
func (s *Server) evaluationSettings(c *gin.Context) error {
	e, err := s.cfg.Store.EvaluationSettings(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.settingsJSON(e))
	return nil
}

// Every field is required: a PUT replaces the settings whole, and a
// forgotten weight must not silently become 0.
type evaluationWeightsRequest struct {
	Ratings   *float64 `json:"ratings" binding:"required"`
	Feedback  *float64 `json:"feedback" binding:"required"`
	Callbacks *float64 `json:"callbacks" binding:"required"`
	Exam      *float64 `json:"exam" binding:"required"`
}

type evaluationSettingsRequest struct {
	Weights   *evaluationWeightsRequest `json:"weights" binding:"required"`
	Threshold *float64                  `json:"threshold" binding:"required"`
}

// putEvaluationSettings answers PUT /api/v1/evaluations/settings: new
// weights and threshold for the evaluations computed from now on (stored
// months keep theirs). The member of staff who changes them is required
// (X-Staff-Code) and recorded. Bad input is 422 and changes nothing.
func (s *Server) putEvaluationSettings(c *gin.Context) error {
	set, ok := bindEvaluationSettings(c)
	if !ok {
		return nil
	}
	e, err := s.cfg.Store.SetEvaluationSettings(c.Request.Context(), set, who(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.settingsJSON(e))
	return nil
}

// bindEvaluationSettings reads and validates the body of a settings PUT; it
// answers 422 itself.
func bindEvaluationSettings(c *gin.Context) (domain.EvalSettings, bool) {
	var req evaluationSettingsRequest
	if !bindJSON(c, &req) {
		return domain.EvalSettings{}, false
	}
	set := domain.EvalSettings{Threshold: *req.Threshold, Weights: domain.EvalWeights{
		Ratings: *req.Weights.Ratings, Feedback: *req.Weights.Feedback, Callbacks: *req.Weights.Callbacks, Exam: *req.Weights.Exam}}
	if err := set.Validate(); err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", err.Error())
		return set, false
	}
	return set, true
}
