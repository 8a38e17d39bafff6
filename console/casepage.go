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
	"github.com/concierge-pm/concierge/notify"
)

// field is one input of an action's form; the same table renders the form
// and turns the posted form into the API's JSON body.
type field struct {
	Name, Label string
	// Type: text, textarea, score (an integer, left out when empty),
	// reached (yes/no, required), check (a checkbox, checked by default),
	// department (a select), staff (a staff code with suggestions).
	Type     string
	Required bool
}

// actionFields are the inputs of an action, as its API body names them
// (api/cases.go: newActionBody).
func actionFields(a domain.Action) []field {
	switch a {
	case domain.ActionRoute:
		return []field{{"department", "form.department", "department", true}, {"assignee", "form.assignee", "staff", false}}
	case domain.ActionDispatch:
		return []field{{"assignee", "form.assignee.required", "staff", true}, {"department", "form.department", "department", false}}
	case domain.ActionFeedback:
		return []field{{"message", "form.message", "textarea", true}}
	case domain.ActionResolve:
		return []field{{"resolution", "form.resolution", "textarea", true}}
	case domain.ActionComplete:
		return []field{{"resolution", "form.resolution", "textarea", true}, {"score", "form.onsite_score", "score", false},
			{"comment", "form.comment", "text", false}}
	case domain.ActionCallback:
		return []field{{"reached", "form.reached", "reached", true}, {"score", "form.score", "score", false},
			{"comment", "form.comment", "text", false}, {"reopen", "form.reopen", "check", false}}
	case domain.ActionWithdraw, domain.ActionCancel:
		return []field{{"reason", "form.reason", "textarea", false}}
	}
	return nil // acknowledge, arrive: no body
}

// actionBody builds the API's JSON body of an action from the posted form.
// A value the API would refuse is passed on as it is, so the API's checks
// (and its 422) are the only ones.
func actionBody(a domain.Action, form url.Values) map[string]any {
	body := map[string]any{}
	for _, f := range actionFields(a) {
		v := strings.TrimSpace(form.Get(f.Name))
		switch f.Type {
		case "score":
			if v == "" {
				continue
			}
			if n, err := strconv.Atoi(v); err == nil {
				body[f.Name] = n
			} else {
				body[f.Name] = v
			}
		case "reached":
			if v == "" {
				continue
			}
			body[f.Name] = v == "true"
		case "check":
			body[f.Name] = v != ""
		default:
			body[f.Name] = v
		}
	}
	return body
}

// actionForm is one action the page offers.
type actionForm struct {
	Action domain.Action
	Fields []field
	// Key is the form's Idempotency-Key: posting the same form twice (a
	// double click, a resend) is one action.
	Key string
}

type caseData struct {
	Ref           *reference
	Case          caseJSON
	Countdown     Countdown
	Actions       []actionForm
	Notifications []notificationRow
	NotifAllowed  bool
	TemporalURL   string
	Staff         []staffJSON
	Done          string
	Error         string
	Detail        string
	// LinkAllowed: the role may send the resident's tracking link; Link is
	// a fresh one, nil when the centre has no tracking links configured.
	LinkAllowed bool
	Link        *trackLinkJSON
	LinkKey     string
}

// trackLinkJSON is GET /api/v1/{kind}/{number}/tracking-link.
type trackLinkJSON struct {
	TrackURL  string    `json:"track_url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// resendLink is the form's action name of the tracking link's re-send.
const resendLink = "resend-link"

type staffJSON struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Active     bool   `json:"active"`
}

type notificationJSON struct {
	Number    string     `json:"number"`
	Audience  string     `json:"audience"`
	Recipient string     `json:"recipient"`
	Template  string     `json:"template"`
	Status    string     `json:"status"`
	Channel   string     `json:"channel"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
}

type notificationRow struct {
	notificationJSON
	Text string
}

func (a *app) casePage(c *gin.Context) { a.showCase(c, http.StatusOK, "", "") }

// showCase renders the case page; errKey and detail report a refused action.
func (a *app) showCase(c *gin.Context, status int, errKey, detail string) {
	number := c.Param("number")
	kind, ok := domain.KindOf(number)
	if !ok {
		a.errorPage(c, http.StatusNotFound, "error.not_found", "")
		return
	}
	spec := domain.MustSpec(kind)
	var cs caseJSON
	// The API's GET of one case: 404 outside the caller's scope, the live
	// state (and so the allowed actions) from the workflow.
	if err := a.api.get(c, "/api/v1/"+spec.Path+"/"+url.PathEscape(number), &cs); err != nil {
		a.fail(c, err)
		return
	}
	who := whoami(c)
	p := a.newPage(c, "case.title")
	p.Nav = "queue"
	ref, err := a.loadReference(c, p.translator, string(kind))
	if err != nil {
		a.fail(c, err)
		return
	}
	d := &caseData{Ref: ref, Case: cs, Error: errKey, Detail: detail}
	if done, ok := spec.ParseAction(c.Query("done")); ok {
		d.Done = string(done)
	} else if v := c.Query("done"); v == "created" || v == resendLink {
		d.Done = v
	}
	var reopenedAt time.Time
	for _, e := range cs.Timeline {
		if e.Kind == domain.EventReopened {
			reopenedAt = e.At
		}
	}
	d.Countdown = p.countdown(slaOf(cs, p.now, reopenedAt))
	role := domain.Role(who.Role)
	// The actions offered: those the transition table allows in the live
	// state (allowed_actions, from the workflow) that the role holds the
	// permission of, in the registry's order.
	for _, t := range spec.Actions {
		if !slices.Contains(cs.AllowedActions, t.Action) || !role.Allows(domain.ActPermission(t.Action)) {
			continue
		}
		key, err := randomToken()
		if err != nil {
			a.fail(c, err)
			return
		}
		d.Actions = append(d.Actions, actionForm{Action: t.Action, Fields: actionFields(t.Action), Key: "console-" + key})
	}
	if len(d.Actions) > 0 {
		var staff struct{ Items []staffJSON }
		if err := a.api.get(c, "/api/v1/staff", &staff); err != nil && !forbidden(err) {
			a.fail(c, err)
			return
		}
		for _, s := range staff.Items {
			if s.Active {
				d.Staff = append(d.Staff, s)
			}
		}
	}
	if d.NotifAllowed = role.Allows(domain.PermNotifications); d.NotifAllowed {
		var ns struct{ Items []notificationJSON }
		if err := a.api.get(c, "/api/v1/notifications?number="+url.QueryEscape(number), &ns); err != nil && !forbidden(err) {
			a.fail(c, err)
			return
		}
		for _, n := range ns.Items {
			d.Notifications = append(d.Notifications, notificationRow{notificationJSON: n, Text: notificationText(n, p.lang)})
		}
	}
	// The re-send is offered where the API takes it: a role with
	// case:tracking, a case it can see, and tracking links configured (the
	// API's 503 otherwise, asked through the link's own GET).
	if d.LinkAllowed = role.Allows(domain.PermCaseTracking); d.LinkAllowed {
		var link trackLinkJSON
		var ae *apiError
		err := a.api.get(c, "/api/v1/"+spec.Path+"/"+url.PathEscape(number)+"/tracking-link", &link)
		switch {
		case err == nil:
			key, err := randomToken()
			if err != nil {
				a.fail(c, err)
				return
			}
			d.Link, d.LinkKey = &link, "console-"+key
		case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable, forbidden(err):
		default:
			a.fail(c, err)
			return
		}
	}
	if a.cfg.TemporalUI != "" {
		q := url.Values{"query": {`WorkflowId="` + kind.WorkflowID(number) + `"`}}
		d.TemporalURL = strings.TrimRight(a.cfg.TemporalUI, "/") + "/namespaces/" + url.PathEscape(a.cfg.Namespace) + "/workflows?" + q.Encode()
	}
	p.Data = d
	a.render(c, status, "case", p)
}

// notificationText is a notification's text as its template words it. The
// outbox keeps the template, not the parameters it was sent with, so only
// the case number is filled in.
func notificationText(n notificationJSON, lang string) string {
	name := n.Template
	if n.Audience != "" {
		name = n.Audience + "/" + n.Template
	}
	subject, body, err := notify.Render(name, lang, map[string]string{"number": n.Number})
	if err != nil {
		return n.Template
	}
	if body == "" {
		return subject
	}
	return body
}

// act performs an action through the API's action route (POST
// /api/v1/<kind>/<number>/<action>): the same handler, permission, scope
// and transition checks as any client's, with the form's CSRF token.
func (a *app) act(c *gin.Context) {
	number := c.Param("number")
	kind, ok := domain.KindOf(number)
	if !ok {
		a.errorPage(c, http.StatusNotFound, "error.not_found", "")
		return
	}
	spec := domain.MustSpec(kind)
	if c.Param("action") == resendLink {
		a.resendTrackingLink(c, spec, number)
		return
	}
	action, ok := spec.ParseAction(c.Param("action"))
	if !ok {
		a.errorPage(c, http.StatusNotFound, "error.page_not_found", "")
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		a.errorPage(c, http.StatusBadRequest, "error.invalid_input", "")
		return
	}
	key := strings.TrimSpace(c.PostForm("idempotency_key"))
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/" + spec.Path + "/" + url.PathEscape(number) + "/" + string(action),
		body: actionBody(action, c.Request.PostForm), csrf: c.PostForm(csrfField), idempotencyKey: key}, nil)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusUnauthorized):
		a.fail(c, err)
	case errors.As(err, &ae):
		// Refused: the case page again, as it is now, with the reason.
		errKey := "error." + ae.Code
		if _, ok := a.cat[errKey]; !ok {
			errKey = "error.internal"
		}
		detail := ""
		if ae.Code == "invalid_input" {
			detail = ae.Message
		}
		a.showCase(c, ae.Status, errKey, detail)
	case err != nil:
		a.fail(c, err)
	case c.PostForm("back") == "field":
		// From the field view: back to it, at the case.
		c.Redirect(http.StatusSeeOther, Prefix+"/field?done="+string(action)+"#case-"+url.PathEscape(number))
	default:
		c.Redirect(http.StatusSeeOther, Prefix+"/cases/"+url.PathEscape(number)+"?done="+string(action))
	}
}

// resendTrackingLink sends the resident their tracking link again through
// POST /api/v1/{kind}/{number}/tracking-link/resend; the form's
// Idempotency-Key makes a double click one message.
func (a *app) resendTrackingLink(c *gin.Context, spec domain.KindSpec, number string) {
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/" + spec.Path + "/" + url.PathEscape(number) + "/tracking-link/resend",
		csrf: c.PostForm(csrfField), idempotencyKey: strings.TrimSpace(c.PostForm("idempotency_key"))}, nil)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusForbidden {
			a.fail(c, err)
			return
		}
		a.refused(c, err, func(key, detail string, status int) { a.showCase(c, status, key, detail) })
		return
	}
	c.Redirect(http.StatusSeeOther, Prefix+"/cases/"+url.PathEscape(number)+"?done="+resendLink+"#tracking")
}
