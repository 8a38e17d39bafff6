package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// idempotencyKey reads the optional Idempotency-Key header; it answers 422
// itself for one that is too long or is not printable UTF-8 text (stored
// as text, it must be valid, or PostgreSQL refuses the row).
func idempotencyKey(c *gin.Context) (string, bool) {
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	switch {
	case len(key) > 200:
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "Idempotency-Key must be at most 200 bytes")
		return "", false
	case !utf8.ValidString(key):
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "Idempotency-Key must be UTF-8 text; a UUID or a code like desk-2026-11-28-001 is best")
		return "", false
	case strings.ContainsFunc(key, unicode.IsControl):
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "Idempotency-Key must not contain control characters")
		return "", false
	}
	return key, true
}

// intQuery reads an optional whole-number query parameter between lo and
// hi, def when it is absent; it answers 422 itself.
func intQuery(c *gin.Context, name string, def, lo, hi int) (int, bool) {
	v, ok := c.GetQuery(name)
	if !ok {
		return def, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case errors.Is(err, strconv.ErrRange), err == nil && (n < lo || n > hi):
		fail(c, http.StatusUnprocessableEntity, "invalid_input", fmt.Sprintf("%s must be from %d to %d (got %s)", name, lo, hi, strings.TrimSpace(v)))
		return 0, false
	case err != nil:
		fail(c, http.StatusUnprocessableEntity, "invalid_input", fmt.Sprintf("%s must be a whole number from %d to %d (got %q)", name, lo, hi, v))
		return 0, false
	}
	return n, true
}

// communityParam reads the optional community filter: 422 for a malformed
// code, 404 for an unknown community.
func (s *Server) communityParam(c *gin.Context) (string, bool) {
	community := c.Query("community")
	if err := checkCodes([2]string{"community", community}); err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", err.Error())
		return "", false
	}
	if community == "" {
		return "", true
	}
	if err := s.cfg.Store.CommunityExists(c.Request.Context(), community); errors.Is(err, store.ErrNotFound) {
		fail(c, http.StatusNotFound, "not_found", fmt.Sprintf("no community %q", community))
		return "", false
	} else if err != nil {
		s.internal(c, err)
		return "", false
	}
	return community, true
}

// baselineRate reads the optional baseline=YYYY-MM and returns that month's
// complaint rate per 100 households (nil without a baseline).
func (s *Server) baselineRate(c *gin.Context, community string) (*float64, bool) {
	b := c.Query("baseline")
	if b == "" {
		return nil, true
	}
	p, err := domain.ParsePeriod(b)
	if err != nil {
		fail(c, http.StatusUnprocessableEntity, "invalid_input", "baseline: "+err.Error())
		return nil, false
	}
	ctx := c.Request.Context()
	from := time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, s.cfg.Location)
	to := from.AddDate(0, 1, 0)
	n, err := s.cfg.Store.ComplaintCount(ctx, from, to, community)
	if err != nil {
		s.internal(c, err)
		return nil, false
	}
	households, err := s.cfg.Store.ActiveHouseholds(ctx, community)
	if err != nil {
		s.internal(c, err)
		return nil, false
	}
	return domain.ComplaintRateOver(n, households, from, to, time.Now(), nil).Value, true
}
