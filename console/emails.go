package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// emailJSON is an inbound email as GET /api/v1/intake/emails lists it,
// residents' numbers in its text masked by the API.
type emailJSON struct {
	ID         int64     `json:"id"`
	Sender     string    `json:"sender"`
	SenderName string    `json:"sender_name"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	Status     string    `json:"status"`
	CaseKind   *string   `json:"case_kind"`
	CaseNumber *string   `json:"case_number"`
	Note       string    `json:"note"`
	HandledBy  string    `json:"handled_by"`
	ReceivedAt time.Time `json:"received_at"`
}

// emailStatuses are the queue's tabs, the API's status filter.
var emailStatuses = []string{"triage", "opened", "dismissed"}

// emailFields are the inputs of the form that opens an email as a case.
var emailFields = []string{"kind", "community", "unit", "category", "priority", "resident_name", "resident_phone", "reason"}

type emailsData struct {
	Ref      *reference
	Status   string
	Statuses []string
	Emails   []emailJSON
	// FormID is the email whose form was refused; Form keeps what was typed.
	FormID int64
	Form   map[string]string
	Done   string
	Error  string
	Detail string
}

// FormOf is what an email's form shows: the refused input for its email,
// else the sender as the resident.
func (d *emailsData) FormOf(e emailJSON) map[string]string {
	if d.FormID == e.ID && d.Form != nil {
		return d.Form
	}
	return map[string]string{"kind": "complaint", "priority": "normal", "resident_name": e.SenderName}
}

// emails is the email triage queue (邮件分拣): the messages the intake
// could not open as a case by itself, each opened as a complaint or a
// repair or dismissed.
func (a *app) emails(c *gin.Context) { a.showEmails(c, http.StatusOK, 0, nil, "", "") }

func (a *app) showEmails(c *gin.Context, status int, formID int64, form map[string]string, errKey, detail string) {
	p := a.newPage(c, "emails.title")
	p.Nav = "emails"
	d := &emailsData{Statuses: emailStatuses, Status: "triage", FormID: formID, Form: form, Error: errKey, Detail: detail}
	if s := c.Query("status"); c.Request.Method == http.MethodGet && s != "" {
		d.Status = s // the API refuses (422) a status it does not know
	}
	var out struct{ Items []emailJSON }
	if err := a.api.get(c, "/api/v1/intake/emails?status="+url.QueryEscape(d.Status), &out); err != nil {
		a.fail(c, err)
		return
	}
	d.Emails = out.Items
	if !slices.ContainsFunc(d.Emails, func(e emailJSON) bool { return e.ID == d.FormID }) {
		d.FormID = 0 // no longer listed (handled meanwhile): the reason goes above the list
	}
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	d.Ref = ref
	switch v := c.Query("done"); v {
	case "opened", "dismissed":
		d.Done = v
	}
	p.Data = d
	a.render(c, status, "emails", p)
}

// openEmail opens an email as a case through POST
// /api/v1/intake/emails/{id}/open, then shows the new case.
func (a *app) openEmail(c *gin.Context) {
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	form := postedForm(c, emailFields)
	body := map[string]any{"kind": form["kind"], "community": form["community"], "unit": form["unit"],
		"category": form["category"], "priority": form["priority"]}
	// The sender is the resident unless the form names one: the API then
	// needs the name and the phone both, and says so if one is missing.
	if form["resident_phone"] != "" || (form["resident_name"] != "" && form["resident_name"] != c.PostForm("sender_name")) {
		body["resident"] = map[string]string{"name": form["resident_name"], "phone": form["resident_phone"]}
	}
	var out struct {
		Number string `json:"number"`
	}
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/intake/emails/" + id + "/open", body: body,
		csrf: c.PostForm(csrfField)}, &out) // the API keys the case by the email: a second post opens no second case
	if err != nil {
		a.emailRefused(c, err, id, form)
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/cases/"+url.PathEscape(out.Number)+"?done=created")
}

// dismissEmail closes an email that needs no case through POST
// /api/v1/intake/emails/{id}/dismiss.
func (a *app) dismissEmail(c *gin.Context) {
	id, ok := a.recordID(c)
	if !ok {
		return
	}
	form := postedForm(c, emailFields)
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/intake/emails/" + id + "/dismiss",
		body: map[string]any{"reason": form["reason"]}, csrf: c.PostForm(csrfField)}, nil)
	if err != nil {
		a.emailRefused(c, err, id, form)
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/emails?done=dismissed")
}

func (a *app) emailRefused(c *gin.Context, err error, id string, form map[string]string) {
	n, _ := strconv.ParseInt(id, 10, 64) // recordID checked it
	a.formRefused(c, err, func(key, detail string, status int) { a.showEmails(c, status, n, form, key, detail) })
}

// formRefused answers an editor's refused form: 401, 403 and 404 as the
// error page (404: no such page) (a role that may not edit sees no form to fill again), any
// other refusal on the form's page again with the reason and the input.
func (a *app) formRefused(c *gin.Context, err error, show func(key, detail string, status int)) {
	var ae *apiError
	if errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound) {
		a.failPage(c, err)
		return
	}
	a.refused(c, err, func(key, detail string, status int) {
		if ae != nil && ae.Code != "invalid_input" && ae.Message != "" && detail == "" {
			detail = ae.Message
		}
		show(key, detail, status)
	})
}

// postedForm is the trimmed values of the named fields of a posted form.
func postedForm(c *gin.Context, names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = strings.TrimSpace(c.PostForm(n))
	}
	return out
}

// MayTriage says whether the signed-in member works the email queue.
func (p *page) MayTriage() bool {
	return p.Me != nil && domain.Role(p.Me.Role).Allows(domain.PermEmailTriage)
}

// failPage is fail for a page's own data: the API's 404 (a community, a
// year, a category that does not exist or is outside one's scope) is the
// console's "no such page", not the case's message.
func (a *app) failPage(c *gin.Context, err error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
		return
	}
	a.fail(c, err)
}
