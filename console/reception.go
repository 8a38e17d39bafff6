package console

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// householdJSON is a household as GET /api/v1/households answers it.
type householdJSON struct {
	ID            int64  `json:"id"`
	Community     string `json:"community"`
	CommunityName string `json:"community_name"`
	Building      string `json:"building"`
	Unit          string `json:"unit"`
	Active        bool   `json:"active"`
	Residents     []struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"residents"`
	OpenCases []householdCaseJSON `json:"open_cases"`
	PastCases []householdCaseJSON `json:"past_cases"`
}

type householdCaseJSON struct {
	Number     string        `json:"number"`
	Kind       string        `json:"kind"`
	Status     domain.Status `json:"status"`
	Category   string        `json:"category"`
	RecordedAt time.Time     `json:"recorded_at"`
	ClosedAt   *time.Time    `json:"closed_at"`
}

// FirstName is the name of the household's first resident, to pre-fill
// the visit's visitor.
func (h householdJSON) FirstName() string {
	if len(h.Residents) == 0 {
		return ""
	}
	return h.Residents[0].Name
}

type receptionData struct {
	Ref        *reference
	Q          string
	Searched   bool
	Households []householdJSON
	// Phone is the look-up when it was a phone number: the visit form is
	// pre-filled with it (the caller said it; answers only hold it masked).
	Phone   string
	Purpose []string
	Error   string
	Detail  string
}

// phoneLike is a look-up typed as a phone number (the API's rule:
// api/households.go).
var phoneLike = regexp.MustCompile(`^\+?[0-9 ().-]{7,}$`)

// phoneDigits is a number's digits without China's country code, as the
// database compares them (phone_digits): the visit stores the number as
// the household's is stored, so both mask alike.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 13 && strings.HasPrefix(d, "86") {
		d = d[2:]
	}
	return d
}

var visitPurposes = []string{"inquiry", "complaint", "repair", "other"}

// reception is the front desk's screen (接待): the look-up box, the
// households found with their cases, and a form per household to record
// the visit.
func (a *app) reception(c *gin.Context) { a.showReception(c, http.StatusOK, "", "") }

func (a *app) showReception(c *gin.Context, status int, errKey, detail string) {
	p := a.newPage(c, "reception.title")
	p.Nav = "reception"
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	d := &receptionData{Ref: ref, Q: strings.TrimSpace(c.Query("q")), Purpose: visitPurposes, Error: errKey, Detail: detail}
	if d.Q != "" {
		d.Searched = true
		var out struct{ Items []householdJSON }
		if err := a.api.get(c, "/api/v1/households?q="+url.QueryEscape(d.Q), &out); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity {
				a.fail(c, err)
				return
			}
			d.Error, d.Detail, status = "error.invalid_input", ae.Message, ae.Status
		}
		d.Households = out.Items
		if phoneLike.MatchString(d.Q) {
			d.Phone = phoneDigits(d.Q)
		}
	}
	p.Data = d
	a.render(c, status, "reception", p)
}

// recordVisit records a visit through POST /api/v1/visits and shows it.
func (a *app) recordVisit(c *gin.Context) {
	body := map[string]any{}
	for _, f := range []string{"community", "unit", "visitor_name", "visitor_phone", "purpose", "channel", "notes"} {
		if v := strings.TrimSpace(c.PostForm(f)); v != "" {
			body[f] = v
		}
	}
	var v visitJSON
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/visits", body: body, csrf: c.PostForm(csrfField),
		idempotencyKey: strings.TrimSpace(c.PostForm("idempotency_key"))}, &v)
	if err != nil {
		a.refused(c, err, func(key, detail string, status int) {
			c.Request.URL.RawQuery = url.Values{"q": {c.PostForm("q")}}.Encode()
			a.showReception(c, status, key, detail)
		})
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/visits/"+strconv.FormatInt(v.ID, 10)+"?done=visit")
}

// refused answers a refusal of the API: 401 and 404 as pages of their
// own, anything else on the form's page again (show) with the reason.
func (a *app) refused(c *gin.Context, err error, show func(key, detail string, status int)) {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status == http.StatusNotFound || ae.Status == http.StatusUnauthorized {
		a.fail(c, err)
		return
	}
	key := "error." + ae.Code
	if _, ok := a.cat[key]; !ok {
		key = "error.internal"
	}
	detail := ""
	if ae.Code == "invalid_input" || ae.Code == "already_rated" {
		detail = ae.Message
	}
	show(key, detail, ae.Status)
}

// visitFull is a visit as GET /api/v1/visits/{id} answers it.
type visitFull struct {
	visitJSON
	Community    string     `json:"community"`
	VisitorPhone string     `json:"visitor_phone"`
	Channel      string     `json:"channel"`
	Receptionist string     `json:"receptionist"`
	Notes        string     `json:"notes"`
	CaseKind     *string    `json:"case_kind"`
	ExitedAt     *time.Time `json:"exited_at"`
	ExitScore    *int       `json:"exit_score"`
	ExitComment  string     `json:"exit_comment"`
}

type feesJSON struct {
	Period string `json:"period"`
	Items  []struct {
		Item     string `json:"item"`
		Name     string `json:"name"`
		NameEn   string `json:"name_en"`
		Basis    string `json:"basis"`
		Rate     string `json:"rate"`
		Quantity string `json:"quantity"`
		Amount   string `json:"amount"`
	} `json:"items"`
	Total    string `json:"total"`
	UnitType string `json:"unit_type"`
	Area     string `json:"floor_area"`
}

type visitData struct {
	Visit   visitFull
	Fees    *feesJSON
	CanCase bool
	Done    string
	Error   string
	Detail  string
	Key     string
}

func (a *app) visitPage(c *gin.Context) { a.showVisit(c, http.StatusOK, "", "") }

// showVisit is one visit: who came and why, the unit's itemised fees for
// this month, the links that open a complaint or a repair from it, and
// the exit rating.
func (a *app) showVisit(c *gin.Context, status int, errKey, detail string) {
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	d := &visitData{Error: errKey, Detail: detail}
	if err := a.api.get(c, "/api/v1/visits/"+id, &d.Visit); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			a.errorPage(c, http.StatusNotFound, "error.visit_not_found", "")
			return
		}
		a.fail(c, err)
		return
	}
	if d.Visit.Unit != "" {
		var f feesJSON
		err := a.api.get(c, "/api/v1/units/"+url.PathEscape(d.Visit.Community)+"/"+url.PathEscape(d.Visit.Unit)+"/fees", &f)
		switch {
		case err == nil:
			d.Fees = &f
		case !forbidden(err):
			a.fail(c, err)
			return
		}
	}
	who := whoami(c)
	d.CanCase = d.Visit.CaseNumber == nil && d.Visit.Unit != "" && domain.Role(who.Role).Allows(domain.PermCaseCreate)
	if v := c.Query("done"); v == "visit" || v == "exit" {
		d.Done = v
	}
	key, err := randomToken()
	if err != nil {
		a.fail(c, err)
		return
	}
	d.Key = "console-" + key
	p := a.newPage(c, "visit.title")
	p.Nav = "reception"
	p.Data = d
	a.render(c, status, "visit", p)
}

// exitVisit records the visitor's rating through POST
// /api/v1/visits/{id}/exit.
func (a *app) exitVisit(c *gin.Context) {
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	body := map[string]any{"comment": strings.TrimSpace(c.PostForm("comment"))}
	if s := strings.TrimSpace(c.PostForm("score")); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			body["score"] = n
		} else {
			body["score"] = s
		}
	}
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/visits/" + id + "/exit", body: body, csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.refused(c, err, func(key, detail string, status int) { a.showVisit(c, status, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/visits/"+id+"?done=exit")
}

// newCaseData is the form that opens a complaint or a repair.
type newCaseData struct {
	Ref   *reference
	Kind  domain.KindSpec
	Kinds []domain.KindSpec
	Form  map[string]string
	// PhoneHint is the visit's phone, masked: left empty, the phone field
	// takes the visit's number (revealed to the API, audited, not shown).
	PhoneHint string
	Key       string
	Error     string
	Detail    string
}

var newCaseFields = []string{"community", "unit", "resident_name", "resident_phone", "channel", "category", "description", "priority", "visit_id"}

// newCase is the form of a new case, pre-filled from a visit (?visit=).
func (a *app) newCase(c *gin.Context) {
	form := map[string]string{"channel": "walk_in", "priority": "normal"}
	for _, f := range newCaseFields {
		if v := c.Query(f); v != "" {
			form[f] = v
		}
	}
	if v := c.Query("visit"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			var visit visitFull
			if err := a.api.get(c, "/api/v1/visits/"+strconv.FormatInt(id, 10), &visit); err != nil {
				a.fail(c, err)
				return
			}
			form["visit_id"] = strconv.FormatInt(id, 10)
			form["community"], form["unit"], form["resident_name"] = visit.Community, visit.Unit, visit.VisitorName
			form["channel"] = visit.Channel
			form["phone_hint"] = visit.VisitorPhone
		}
	}
	a.showNewCase(c, http.StatusOK, form, "", "")
}

func (a *app) showNewCase(c *gin.Context, status int, form map[string]string, errKey, detail string) {
	kind := domain.Kind(c.Query("kind"))
	if k := c.PostForm("kind"); k != "" {
		kind = domain.Kind(k)
	}
	spec, ok := domain.SpecOf(kind)
	if !ok {
		spec = domain.MustSpec(domain.Kinds()[0].Kind)
	}
	p := a.newPage(c, "newcase.title")
	p.Nav = "reception"
	ref, err := a.loadReference(c, p.translator, string(spec.Kind))
	if err != nil {
		a.fail(c, err)
		return
	}
	key, err := randomToken()
	if err != nil {
		a.fail(c, err)
		return
	}
	if k := c.PostForm("idempotency_key"); k != "" {
		key = strings.TrimPrefix(k, "console-")
	}
	p.Data = &newCaseData{Ref: ref, Kind: spec, Kinds: domain.Kinds(), Form: form, PhoneHint: form["phone_hint"],
		Key: "console-" + key, Error: errKey, Detail: detail}
	a.render(c, status, "newcase", p)
}

// createCase opens the case through the API's POST /api/v1/{kind}; an
// empty phone with a visit takes the visit's number through the audited
// POST /api/v1/visits/{id}/reveal-phone, so the full number never reaches
// the browser.
func (a *app) createCase(c *gin.Context) {
	spec, ok := domain.SpecOf(domain.Kind(c.PostForm("kind")))
	if !ok {
		a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
		return
	}
	form := map[string]string{}
	for _, f := range newCaseFields {
		form[f] = strings.TrimSpace(c.PostForm(f))
	}
	form["phone_hint"] = c.PostForm("phone_hint")
	csrf := c.PostForm(csrfField)
	phone := form["resident_phone"]
	body := map[string]any{"community": form["community"], "unit": form["unit"], "channel": form["channel"],
		"category": form["category"], "description": form["description"], "priority": form["priority"]}
	if v := form["visit_id"]; v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			body["visit_id"] = v // the API's 422
		} else {
			body["visit_id"] = id
			if phone == "" {
				var rev struct {
					Phone string `json:"phone"`
				}
				if _, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/visits/" + v + "/reveal-phone", csrf: csrf}, &rev); err != nil && !forbidden(err) {
					a.refused(c, err, func(key, detail string, status int) { a.showNewCase(c, status, form, key, detail) })
					return
				}
				phone = rev.Phone
			}
		}
	}
	body["resident"] = map[string]any{"name": form["resident_name"], "phone": phone}
	var created caseJSON
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/" + spec.Path, body: body, csrf: csrf,
		idempotencyKey: strings.TrimSpace(c.PostForm("idempotency_key"))}, &created)
	if err != nil {
		a.refused(c, err, func(key, detail string, status int) { a.showNewCase(c, status, form, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/cases/"+url.PathEscape(created.Number)+"?done=created")
}

// hcasesView is a household's cases for the "hhcases" template.
type hcasesView struct {
	P     *page
	Items []householdCaseJSON
	Ref   *reference
	Which string
}

// HCases hands a household's open or past cases to the "hhcases" template.
func (p *page) HCases(items []householdCaseJSON, ref *reference, which string) hcasesView {
	return hcasesView{P: p, Items: items, Ref: ref, Which: which}
}

// NewKey is a fresh Idempotency-Key for a form of the page: the same form
// posted twice (a double click) records one visit.
func (p *page) NewKey() string {
	k, err := randomToken()
	if err != nil {
		return ""
	}
	return "console-" + k
}

// Channels are the intake channels a case form offers.
func (p *page) Channels() []string {
	return []string{string(domain.ChannelWalkIn), string(domain.ChannelPhone), string(domain.ChannelEmail), string(domain.ChannelPortal)}
}

// MayReceive says whether the signed-in member works the front desk
// (records visits): the navigation shows them the reception screen.
func (p *page) MayReceive() bool {
	return p.Me != nil && domain.Role(p.Me.Role).Allows(domain.PermVisitRecord)
}

// recordID is the path's numeric id of a visit or a call; anything else is
// answered with the console's 404 page before the API is asked.
func (a *app) recordID(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
		return "", false
	}
	return id, true
}
