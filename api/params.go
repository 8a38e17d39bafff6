package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// idempotencyKeyOf reads the optional Idempotency-Key header; it refuses
// (422) one that is too long or is not printable UTF-8 text (stored as
// text, it must be valid, or PostgreSQL refuses the row).
func idempotencyKeyOf(c *gin.Context) (string, error) {
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	switch {
	case len(key) > 200:
		return "", invalid("Idempotency-Key must be at most 200 bytes")
	case !utf8.ValidString(key):
		return "", invalid("Idempotency-Key must be UTF-8 text; a UUID or a code like desk-2026-11-28-001 is best")
	case strings.ContainsFunc(key, unicode.IsControl):
		return "", invalid("Idempotency-Key must not contain control characters")
	}
	return key, nil
}

// queryInt reads an optional whole-number query parameter between lo and
// hi, def when it is absent; 422 otherwise.
func queryInt(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case errors.Is(err, strconv.ErrRange), err == nil && (n < lo || n > hi):
		return 0, invalidf("%s must be from %d to %d (got %s)", name, lo, hi, strings.TrimSpace(v))
	case err != nil:
		return 0, invalidf("%s must be a whole number from %d to %d (got %q)", name, lo, hi, v)
	}
	return n, nil
}

// answered writes the refusal of a Problem and reports whether there was
// none: the bridge from bindBody to the bool helpers that still answer
// themselves. err is nil or a *Problem; anything else is answered 500.
func answered(c *gin.Context, err error) bool {
	var p *Problem
	switch {
	case err == nil:
		return true
	case errors.As(err, &p):
		fail(c, p.Status, p.Code, p.Message)
	default:
		fail(c, http.StatusInternalServerError, "internal", "internal error")
	}
	return false
}

// communityFilter reads the optional community filter of the KPIs and
// reports: 422 for a malformed code, 404 for an unknown community or one
// outside the caller's. It returns the code asked for ("" when none) and
// the set of communities to count: that one, else every community the
// caller reaches (nil: all of them; docs/DESIGN.md §7.6).
func (s *Server) communityFilter(c *gin.Context) (string, []string, error) {
	community := c.Query("community")
	if err := checkCodes([2]string{"community", community}); err != nil {
		return "", nil, invalid(err.Error())
	}
	if community == "" {
		return "", scopedCommunities(c), nil
	}
	if !inCommunities(c, community) {
		// Outside the caller's communities (docs/DESIGN.md §7.6).
		return "", nil, notFoundf("no community %q", community)
	}
	err := s.cfg.Store.CommunityExists(c.Request.Context(), community)
	return community, []string{community}, orNotFound(err, notFoundf("no community %q", community))
}

// baselineRate reads the optional baseline=YYYY-MM and returns that month's
// complaint rate per 100 households (nil without a baseline).
func (s *Server) baselineRate(c *gin.Context, communities []string) (*float64, error) {
	b := c.Query("baseline")
	if b == "" {
		return nil, nil
	}
	p, err := domain.ParsePeriod(b)
	if err != nil {
		return nil, invalid("baseline: " + err.Error())
	}
	ctx := c.Request.Context()
	from := time.Date(p.Year, time.Month(p.Month), 1, 0, 0, 0, 0, s.cfg.Location)
	to := from.AddDate(0, 1, 0)
	n, err := s.cfg.Store.ComplaintCount(ctx, from, to, communities)
	if err != nil {
		return nil, err
	}
	households, err := s.cfg.Store.ActiveHouseholds(ctx, communities)
	if err != nil {
		return nil, err
	}
	return domain.ComplaintRateOver(n, households, from, to, time.Now(), nil).Value, nil
}
