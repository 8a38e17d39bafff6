package api

import (
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// phoneQueryRE is a look-up that is a phone number as people type one:
// digits with spaces, dashes, dots or brackets, an optional leading +.
var phoneQueryRE = regexp.MustCompile(`^\+?[0-9 ().-]+$`)

// minPhoneDigits is how many digits make a look-up a phone number: fewer
// (1-101) is a unit's code. Chinese numbers have 7 to 12 digits.
const minPhoneDigits = 7

// householdPastCases is how many closed cases each household found lists.
const householdPastCases = 10

// householdQuery reads the look-up: a phone number (matched by its
// digits), else a unit's code and the beginning of a resident's name.
func householdQuery(q string) (store.HouseholdQuery, error) {
	q, err := optionalText("q", q)
	switch {
	case err != nil:
		return store.HouseholdQuery{}, invalid(err.Error())
	case q == "":
		return store.HouseholdQuery{}, invalid("q is required: a phone number, a resident's name or a unit's code")
	case utf8.RuneCountInString(q) > 64:
		return store.HouseholdQuery{}, invalid("q may have at most 64 characters")
	case strings.ContainsAny(q, "\n\r\t"):
		return store.HouseholdQuery{}, invalid("q is one line")
	}
	var hq store.HouseholdQuery
	if phoneQueryRE.MatchString(q) {
		digits := 0
		for _, r := range q {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits >= minPhoneDigits {
			hq.Phone = q
			return hq, nil
		}
	} else {
		hq.Name = q
	}
	if codeRE.MatchString(q) {
		hq.Unit = q
	}
	if hq.Name == "" && hq.Unit == "" {
		return hq, invalid("q must be a phone number (at least 7 digits), a resident's name or a unit's code")
	}
	return hq, nil
}

// listHouseholds is the front desk's look-up of a caller or visitor
// (来电查询): the households, within the caller's communities, with a
// resident of that phone number or name or in that unit, with their
// residents (phones masked) and their open and recent past cases.
func (s *Server) listHouseholds(c *gin.Context) error {
	hq, err := householdQuery(c.Query("q"))
	if err != nil {
		return err
	}
	community := c.Query("community")
	if err := checkCodes([2]string{"community", community}); err != nil {
		return invalid(err.Error())
	}
	if hq.Limit, err = queryInt(c, "limit", 20, 1, 50); err != nil {
		return err
	}
	hq.Community, hq.Communities, hq.PastCases = community, scopedCommunities(c), householdPastCases
	found, err := s.cfg.Store.FindHouseholds(c.Request.Context(), hq)
	if err != nil {
		return err
	}
	name := nameFor(c)
	for i := range found {
		h := &found[i]
		for j := range h.Residents {
			h.Residents[j].Name = name(h.Residents[j].Name)
			h.Residents[j].Phone = domain.MaskPhone(h.Residents[j].Phone)
		}
		for _, l := range [][]store.HouseholdCase{h.OpenCases, h.PastCases} {
			for j := range l {
				l[j].RecordedAt = l[j].RecordedAt.In(s.cfg.Location)
				if l[j].ClosedAt != nil {
					t := l[j].ClosedAt.In(s.cfg.Location)
					l[j].ClosedAt = &t
				}
			}
		}
	}
	if found == nil {
		found = []store.Household{}
	}
	c.JSON(http.StatusOK, gin.H{"items": found})
	return nil
}
