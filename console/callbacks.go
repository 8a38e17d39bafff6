package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// callbackTaskJSON is a task of the month's callback campaign (GET
// /api/v1/callbacks), its phone masked.
type callbackTaskJSON struct {
	ID           int64      `json:"id"`
	Month        string     `json:"month"`
	Community    string     `json:"community"`
	Unit         string     `json:"unit"`
	Resident     string     `json:"resident"`
	Phone        string     `json:"phone"`
	Assignee     string     `json:"assignee"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	Score        *int       `json:"score"`
	Comment      string     `json:"comment"`
	FollowUpCase *string    `json:"follow_up_case"`
	CalledAt     *time.Time `json:"called_at"`
}

// callOutcomes are the calls that did not reach the resident, each
// recorded as an attempt (reached: false) with the outcome as its comment.
var callOutcomes = []string{"no_answer", "refused", "wrong_number"}

type callbacksData struct {
	Ref      *reference
	Month    string
	Tasks    []callbackTaskJSON
	Cases    []caseJSON
	Outcomes []string
	Done     string
	Error    string
	Detail   string
}

var monthRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)

// callbacks is the callback work page (回访): the month's campaign tasks,
// each with its script and the forms that record an attempt, and the
// cases awaiting their callback (recorded on the case's page).
func (a *app) callbacks(c *gin.Context) { a.showCallbacks(c, http.StatusOK, "", "") }

func (a *app) showCallbacks(c *gin.Context, status int, errKey, detail string) {
	p := a.newPage(c, "callbacks.title")
	p.Nav = "callbacks"
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	d := &callbacksData{Ref: ref, Outcomes: callOutcomes, Error: errKey, Detail: detail}
	month := c.Query("month")
	if c.Request.Method == http.MethodPost {
		month = c.PostForm("month")
	}
	path := "/api/v1/callbacks"
	if monthRE.MatchString(month) {
		d.Month = month
		path += "?month=" + url.QueryEscape(month)
	} else {
		d.Month = p.now.In(p.loc).Format("2006-01")
	}
	var tasks struct{ Items []callbackTaskJSON }
	if err := a.api.get(c, path, &tasks); err != nil {
		a.fail(c, err)
		return
	}
	d.Tasks = tasks.Items
	open, err := a.openCases(c, nil)
	if err != nil {
		a.fail(c, err)
		return
	}
	for _, cs := range open {
		if cs.Status.AwaitingCallback() {
			d.Cases = append(d.Cases, cs)
		}
	}
	byDeadline(d.Cases)
	if v := c.Query("done"); v == "reached" || v == "attempt" {
		d.Done = v
	}
	p.Data = d
	a.render(c, status, "callbacks", p)
}

// recordCall records one call of a campaign task through POST
// /api/v1/callbacks/{id}/result: reached with a score, or an attempt that
// did not reach the resident with its outcome.
func (a *app) recordCall(c *gin.Context) {
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	tr := a.tr(c)
	body := map[string]any{}
	done := "attempt"
	comment := strings.TrimSpace(c.PostForm("comment"))
	if outcome := c.PostForm("outcome"); outcome != "" {
		body["reached"] = false
		label := tr.Code("call", outcome)
		if comment != "" {
			label += "：" + comment
		}
		body["comment"] = label
	} else {
		done = "reached"
		body["reached"] = true
		body["comment"] = comment
		s := strings.TrimSpace(c.PostForm("score"))
		if n, err := strconv.Atoi(s); err == nil {
			body["score"] = n
		} else {
			body["score"] = s // the API's 422
		}
	}
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/callbacks/" + id + "/result", body: body, csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.refused(c, err, func(key, detail string, status int) { a.showCallbacks(c, status, key, detail) })
		return
	}
	q := url.Values{"done": {done}}
	if m := c.PostForm("month"); monthRE.MatchString(m) {
		q.Set("month", m)
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/callbacks?"+q.Encode()+"#task-"+id)
}

// MayCall says whether the signed-in member makes callbacks.
func (p *page) MayCall() bool {
	return p.Me != nil && domain.Role(p.Me.Role).Allows(domain.PermCallbackWork)
}

// Script is the call script of a task or a case, with the resident's name
// and unit filled in.
func (p *page) Script(key, name, unit string) string {
	return strings.NewReplacer("{name}", name, "{unit}", unit, "{me}", p.meName()).Replace(p.T(key))
}

func (p *page) meName() string {
	if p.Me == nil {
		return ""
	}
	return p.Me.Name
}

// Scores are the rating choices, best first.
func (p *page) Scores() []string { return []string{"5", "4", "3", "2", "1"} }
