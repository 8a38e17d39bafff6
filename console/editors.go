package console

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// The editors of the reference data: the handbook's categories, the fee
// standards of a community, the holiday calendar and the training question
// bank. Each reads and writes through the API's routes; a refused form is
// shown again with the API's reason next to it and the input kept, and
// the API's checks are the only ones.

// editorData is what every editor page gets besides its own list.
type editorData struct {
	// May: the role holds the editor's write permission (the form shows).
	May    bool
	Form   map[string]string
	Done   string
	Error  string
	Detail string
}

// settings is the hub of the editors the role may use.
func (a *app) settings(c *gin.Context) {
	p := a.newPage(c, "settings.title")
	p.Nav = "settings"
	a.render(c, http.StatusOK, "settings", p)
}

func (p *page) may(perm domain.Permission) bool {
	return p.Me != nil && domain.Role(p.Me.Role).Allows(perm)
}

// MayHandbook, MayFees, MayTrainingBank: which editors the role uses.
func (p *page) MayHandbook() bool     { return p.may(domain.PermHandbookWrite) }
func (p *page) MayFees() bool         { return p.may(domain.PermFeeWrite) }
func (p *page) MayTrainingBank() bool { return p.may(domain.PermTrainingManage) }

// MaySettings says whether the role uses any editor (the nav's link).
func (p *page) MaySettings() bool { return p.MayHandbook() || p.MayFees() || p.MayTrainingBank() }

func mayDo(c *gin.Context, perm domain.Permission) bool {
	return domain.Role(whoami(c).Role).Allows(perm)
}

// ---- Handbook categories ----

type categoryFull struct {
	Code                string   `json:"code"`
	Kind                string   `json:"kind"`
	Name                string   `json:"name"`
	NameEn              string   `json:"name_en"`
	Department          string   `json:"department"`
	Responsible         string   `json:"responsible"`
	Priority            string   `json:"priority"`
	DispatchWithin      string   `json:"dispatch_within"`
	FeedbackWithin      string   `json:"feedback_within"`
	ResolveWithin       string   `json:"resolve_within"`
	UrgentResolveWithin string   `json:"urgent_resolve_within"`
	CallbackWithin      string   `json:"callback_within"`
	EscalateEvery       string   `json:"escalate_every"`
	CallbackPolicy      string   `json:"callback_policy"`
	Keywords            []string `json:"keywords"`
}

// categoryLimits are the handbook's time limits, as the API names them.
var categoryLimits = []string{"dispatch_within", "feedback_within", "resolve_within", "urgent_resolve_within", "callback_within", "escalate_every"}

var categoryFields = append([]string{"name", "name_en", "kind", "department", "responsible", "priority", "callback_policy", "keywords"}, categoryLimits...)

var categoryCodeRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

type handbookData struct {
	editorData
	Ref        *reference
	Categories []categoryFull
	Code       string
	New        bool
	Limits     []string
}

func (a *app) handbook(c *gin.Context) {
	if code := strings.TrimSpace(c.Query("code")); code != "" {
		// The new category's form: its code names the page.
		c.Redirect(http.StatusSeeOther, Prefix+"/handbook/"+url.PathEscape(code))
		return
	}
	p := a.newPage(c, "handbook.title")
	p.Nav = "settings"
	d := &handbookData{editorData: editorData{May: mayDo(c, domain.PermHandbookWrite)}}
	var out struct{ Items []categoryFull }
	if err := a.api.get(c, "/api/v1/handbook/categories", &out); err != nil {
		a.failPage(c, err)
		return
	}
	d.Categories = out.Items
	if c.Query("done") == "saved" {
		d.Done = "saved"
	}
	p.Data = d
	a.render(c, http.StatusOK, "handbook", p)
}

func (a *app) categoryPage(c *gin.Context) { a.showCategory(c, http.StatusOK, nil, "", "") }

func (a *app) showCategory(c *gin.Context, status int, form map[string]string, errKey, detail string) {
	code := c.Param("code")
	p := a.newPage(c, "handbook.edit")
	p.Nav = "settings"
	d := &handbookData{editorData: editorData{May: mayDo(c, domain.PermHandbookWrite), Form: form, Error: errKey, Detail: detail},
		Code: code, Limits: categoryLimits}
	if !categoryCodeRE.MatchString(code) {
		a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
		return
	}
	var cat categoryFull
	err := a.api.get(c, "/api/v1/handbook/categories/"+url.PathEscape(code), &cat)
	var ae *apiError
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound && d.May:
		// A new category: the form starts empty (the API's defaults).
		d.New = true
		cat = categoryFull{Code: code, Kind: "complaint", Priority: "normal"}
	default:
		a.failPage(c, err)
		return
	}
	if d.Form == nil {
		d.Form = map[string]string{"name": cat.Name, "name_en": cat.NameEn, "kind": cat.Kind, "department": cat.Department,
			"responsible": cat.Responsible, "priority": cat.Priority, "callback_policy": cat.CallbackPolicy,
			"keywords": strings.Join(cat.Keywords, "，"), "dispatch_within": cat.DispatchWithin, "feedback_within": cat.FeedbackWithin,
			"resolve_within": cat.ResolveWithin, "urgent_resolve_within": cat.UrgentResolveWithin,
			"callback_within": cat.CallbackWithin, "escalate_every": cat.EscalateEvery}
	}
	if c.Query("done") == "saved" {
		d.Done = "saved"
	}
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.failPage(c, err)
		return
	}
	d.Ref = ref
	p.Data = d
	a.render(c, status, "category", p)
}

// keywordSplit splits the keywords field at commas (both widths), 、 and
// line ends.
var keywordSplit = regexp.MustCompile(`[,，、\n\r]+`)

// saveCategory replaces the entry through PUT /api/v1/handbook/categories/{code}.
func (a *app) saveCategory(c *gin.Context) {
	code := c.Param("code")
	if !categoryCodeRE.MatchString(code) {
		a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
		return
	}
	form := postedForm(c, categoryFields)
	body := map[string]any{"name": form["name"], "name_en": form["name_en"], "kind": form["kind"], "department": form["department"],
		"responsible": form["responsible"], "priority": form["priority"], "callback_policy": form["callback_policy"]}
	keywords := []string{}
	for _, k := range keywordSplit.Split(form["keywords"], -1) {
		if k = strings.TrimSpace(k); k != "" {
			keywords = append(keywords, k)
		}
	}
	body["keywords"] = keywords
	for _, l := range categoryLimits {
		// An empty limit keeps the entry's (the API's rule for a limit
		// left out); anything else is the API's to accept.
		if v := form[l]; v != "" {
			body[l] = v
		}
	}
	_, err := a.api.do(c, call{method: http.MethodPut, path: "/api/v1/handbook/categories/" + url.PathEscape(code), body: body,
		csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.formRefused(c, err, func(key, detail string, status int) { a.showCategory(c, status, form, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/handbook/"+url.PathEscape(code)+"?done=saved")
}

// ---- Fee standards ----

type feeStandardJSON struct {
	ID            int64      `json:"id"`
	Item          string     `json:"item"`
	Name          string     `json:"name"`
	NameEn        string     `json:"name_en"`
	Basis         string     `json:"basis"`
	UnitType      string     `json:"unit_type"`
	Rate          string     `json:"rate"`
	EffectiveFrom string     `json:"effective_from"`
	EffectiveTo   *string    `json:"effective_to"`
	DeletedAt     *time.Time `json:"deleted_at"`
	DeletedBy     *string    `json:"deleted_by"`
}

var feeFields = []string{"item", "name", "name_en", "basis", "unit_type", "rate", "effective_from", "effective_to"}

// feeBases and unitTypes are the API's choices.
var (
	feeBases  = []string{"area", "household", "parking_space"}
	unitTypes = []string{"residential", "commercial", "office"}
)

type feesData struct {
	editorData
	Ref       *reference
	Community string
	Fees      []feeStandardJSON
	Bases     []string
	UnitTypes []string
}

func (a *app) fees(c *gin.Context) { a.showFees(c, http.StatusOK, nil, "", "") }

func (a *app) showFees(c *gin.Context, status int, form map[string]string, errKey, detail string) {
	p := a.newPage(c, "fees.editor")
	p.Nav = "settings"
	d := &feesData{editorData: editorData{May: mayDo(c, domain.PermFeeWrite), Form: form, Error: errKey, Detail: detail},
		Bases: feeBases, UnitTypes: unitTypes}
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.failPage(c, err)
		return
	}
	d.Ref = ref
	d.Community = c.Param("community")
	if d.Community == "" {
		d.Community = c.Query("community")
	}
	if d.Community == "" && len(ref.Communities) > 0 {
		d.Community = ref.Communities[0].Code
	}
	if d.Community != "" {
		var out struct{ Items []feeStandardJSON }
		if err := a.api.get(c, "/api/v1/communities/"+url.PathEscape(d.Community)+"/fees?deleted=true", &out); err != nil {
			a.failPage(c, err)
			return
		}
		d.Fees = out.Items
	}
	if d.Form == nil {
		d.Form = map[string]string{"basis": "area", "effective_from": p.now.In(p.loc).Format(time.DateOnly)}
	}
	if v := c.Query("done"); v == "added" || v == "deleted" {
		d.Done = v
	}
	p.Data = d
	a.render(c, status, "fees", p)
}

// addFee adds a standard through POST /api/v1/communities/{code}/fees.
func (a *app) addFee(c *gin.Context) {
	community := c.Param("community")
	form := postedForm(c, feeFields)
	body := map[string]any{}
	for _, f := range feeFields {
		if form[f] != "" {
			body[f] = form[f]
		}
	}
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/communities/" + url.PathEscape(community) + "/fees", body: body,
		csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.formRefused(c, err, func(key, detail string, status int) { a.showFees(c, status, form, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/fees/"+url.PathEscape(community)+"?done=added")
}

// deleteFee deletes a standard entered by mistake through DELETE
// /api/v1/communities/{code}/fees/{id} (it stays in the history).
func (a *app) deleteFee(c *gin.Context) {
	community := c.Param("community")
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	_, err := a.api.do(c, call{method: http.MethodDelete, path: "/api/v1/communities/" + url.PathEscape(community) + "/fees/" + id,
		csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.formRefused(c, err, func(key, detail string, status int) { a.showFees(c, status, nil, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/fees/"+url.PathEscape(community)+"?done=deleted")
}

// ---- Holiday calendar ----

type calendarDayJSON struct {
	Day     string `json:"day"`
	Working bool   `json:"working"`
	Name    string `json:"name"`
}

type calendarData struct {
	editorData
	Year      int
	Published bool
	Days      []calendarDayJSON
	// Line is the number of the line the console could not read.
	Line int
}

func (a *app) calendar(c *gin.Context) { a.showCalendar(c, http.StatusOK, nil, "", "") }

func (a *app) showCalendar(c *gin.Context, status int, form map[string]string, errKey, detail string) {
	p := a.newPage(c, "calendar.title")
	p.Nav = "settings"
	d := &calendarData{editorData: editorData{May: mayDo(c, domain.PermTrainingManage), Form: form, Error: errKey, Detail: detail}}
	year := c.Param("year")
	if year == "" {
		year = c.Query("year")
	}
	if year == "" {
		year = strconv.Itoa(p.now.In(p.loc).Year())
	}
	var out struct {
		Year      int               `json:"year"`
		Published bool              `json:"published"`
		Days      []calendarDayJSON `json:"days"`
	}
	if err := a.api.get(c, "/api/v1/calendar/"+url.PathEscape(year), &out); err != nil {
		a.failPage(c, err)
		return
	}
	d.Year, d.Published, d.Days = out.Year, out.Published, out.Days
	if n, ok := strings.CutPrefix(d.Detail, "line:"); ok {
		d.Line, _ = strconv.Atoi(n)
		d.Detail = ""
	}
	if d.Form == nil {
		lines := make([]string, 0, len(out.Days))
		for _, day := range out.Days {
			kind := "休"
			if day.Working {
				kind = "班"
			}
			lines = append(lines, strings.TrimSpace(day.Day+" "+kind+" "+day.Name))
		}
		d.Form = map[string]string{"days": strings.Join(lines, "\n")}
	}
	if c.Query("done") == "saved" {
		d.Done = "saved"
	}
	p.Data = d
	a.render(c, status, "calendar", p)
}

// dayKinds are the words of a calendar line's second column.
var dayKinds = map[string]bool{"休": false, "假": false, "off": false, "holiday": false, "班": true, "work": true, "working": true}

// calendarLines turns the textarea (one day a line: date, 休 or 班, name)
// into the API's days; a line it cannot read is reported by its number.
func calendarLines(text string) ([]map[string]any, int) {
	var days []map[string]any
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		working, ok := false, len(f) >= 2
		if ok {
			working, ok = dayKinds[strings.ToLower(f[1])]
		}
		if !ok {
			return nil, i + 1
		}
		days = append(days, map[string]any{"day": f[0], "working": working, "name": strings.Join(f[2:], " ")})
	}
	return days, 0
}

// saveCalendar replaces the year's listed days through PUT /api/v1/calendar/{year}.
func (a *app) saveCalendar(c *gin.Context) {
	year := c.Param("year")
	form := map[string]string{"days": c.PostForm("days")}
	days, bad := calendarLines(form["days"])
	if bad > 0 {
		// The line's shape is the console's to read: said as the API
		// would say a bad input, and nothing is sent.
		if !mayDo(c, domain.PermTrainingManage) {
			a.errorPage(c, http.StatusForbidden, "error.forbidden", "")
			return
		}
		a.showCalendar(c, http.StatusUnprocessableEntity, form, "calendar.bad_line", "line:"+strconv.Itoa(bad))
		return
	}
	if days == nil {
		days = []map[string]any{}
	}
	_, err := a.api.do(c, call{method: http.MethodPut, path: "/api/v1/calendar/" + url.PathEscape(year), body: map[string]any{"days": days},
		csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.formRefused(c, err, func(key, detail string, status int) { a.showCalendar(c, status, form, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/calendar/"+url.PathEscape(year)+"?done=saved")
}

// ---- Training question bank ----

type bankQuestionJSON struct {
	ID       int64  `json:"id"`
	Topic    string `json:"topic"`
	Question string `json:"question"`
	Choices  []struct {
		Key  string `json:"key"`
		Text string `json:"text"`
	} `json:"choices"`
	Answer string `json:"answer"`
	Points int    `json:"points"`
	Active bool   `json:"active"`
}

// choiceKeys are the keys of the form's choices; an empty one is left out.
var choiceKeys = []string{"A", "B", "C", "D", "E", "F"}

var questionFields = append([]string{"topic", "question", "answer", "points"}, choiceFieldNames()...)

func choiceFieldNames() []string {
	out := make([]string, len(choiceKeys))
	for i, k := range choiceKeys {
		out[i] = "choice_" + k
	}
	return out
}

// trainingTopics are the API's topics.
var trainingTopics = []string{"property", "communication", "emergency"}

type questionsData struct {
	editorData
	Questions  []bankQuestionJSON
	Topics     []string
	ChoiceKeys []string
}

func (a *app) questions(c *gin.Context) { a.showQuestions(c, http.StatusOK, nil, "", "") }

func (a *app) showQuestions(c *gin.Context, status int, form map[string]string, errKey, detail string) {
	p := a.newPage(c, "questions.title")
	p.Nav = "settings"
	d := &questionsData{editorData: editorData{May: mayDo(c, domain.PermTrainingManage), Form: form, Error: errKey, Detail: detail},
		Topics: trainingTopics, ChoiceKeys: choiceKeys}
	if !d.May {
		// The bank holds the answers: the page is the trainers'.
		a.errorPage(c, http.StatusForbidden, "error.forbidden", "")
		return
	}
	var out struct{ Items []bankQuestionJSON }
	if err := a.api.get(c, "/api/v1/training/questions?all=true", &out); err != nil {
		a.failPage(c, err)
		return
	}
	d.Questions = out.Items
	slices.SortStableFunc(d.Questions, func(x, y bankQuestionJSON) int {
		if x.Active != y.Active {
			if x.Active {
				return -1
			}
			return 1
		}
		return int(y.ID - x.ID)
	})
	if d.Form == nil {
		d.Form = map[string]string{"topic": "property", "points": "10"}
	}
	if v := c.Query("done"); v == "added" || v == "deactivated" {
		d.Done = v
	}
	p.Data = d
	a.render(c, status, "questions", p)
}

// addQuestion adds a question through POST /api/v1/training/questions.
func (a *app) addQuestion(c *gin.Context) {
	form := postedForm(c, questionFields)
	body := map[string]any{"topic": form["topic"], "question": form["question"], "answer": form["answer"]}
	choices := []map[string]string{}
	for _, k := range choiceKeys {
		if t := form["choice_"+k]; t != "" {
			choices = append(choices, map[string]string{"key": k, "text": t})
		}
	}
	body["choices"] = choices
	if n, err := strconv.Atoi(form["points"]); err == nil {
		body["points"] = n
	} else if form["points"] != "" {
		body["points"] = form["points"] // the API's 422
	}
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/training/questions", body: body, csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.formRefused(c, err, func(key, detail string, status int) { a.showQuestions(c, status, form, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/questions?done=added")
}

// deactivateQuestion retires a question through POST
// /api/v1/training/questions/{id}/deactivate (exams keep it).
func (a *app) deactivateQuestion(c *gin.Context) {
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/training/questions/" + id + "/deactivate", csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.formRefused(c, err, func(key, detail string, status int) { a.showQuestions(c, status, nil, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/questions?done=deactivated")
}

// KindNames are the kinds of case, for the category's kind.
func (p *page) KindNames() []string { return domain.KindNames() }

// CallbackPolicies are a repair category's callback policies.
func (p *page) CallbackPolicies() []string { return []string{"always", "unless_rated", "never"} }

// Prev and Next are the calendar's neighbouring years.
func (p *page) Prev(year int) int { return year - 1 }
func (p *page) Next(year int) int { return year + 1 }
