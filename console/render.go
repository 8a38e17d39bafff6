package console

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// page is what every template gets: the translator, who is signed in, the
// CSRF token for its forms and the page's own data.
type page struct {
	translator
	TitleKey string
	Me       *me
	CSRF     string
	// LangURL is this page in the other language.
	LangURL string
	Nav     string
	Data    any
	loc     *time.Location
	now     time.Time
}

func (a *app) newPage(c *gin.Context, titleKey string) *page {
	p := &page{translator: a.tr(c), TitleKey: titleKey, loc: a.cfg.Location, now: a.cfg.Now()}
	if v, ok := c.Get(meKey); ok {
		m := v.(me)
		p.Me = &m
		p.CSRF = csrfToken(c)
	}
	u := pageURL(c)
	q := u.Query()
	other := langEn
	if p.lang == langEn {
		other = langZh
	}
	q.Set("lang", other)
	u.RawQuery = q.Encode()
	p.LangURL = u.RequestURI()
	return p
}

// Time is t in the centre's zone, or "—".
func (p *page) Time(v any) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return "—"
		}
		return t.In(p.loc).Format("2006-01-02 15:04")
	case *time.Time:
		if t == nil {
			return "—"
		}
		return t.In(p.loc).Format("2006-01-02 15:04")
	}
	return "—"
}

// ISO is t in RFC 3339, for the script's countdowns.
func (p *page) ISO(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// Role is the label of the signed-in member's role.
func (p *page) Role() string {
	if p.Me == nil {
		return ""
	}
	return p.Code("role", p.Me.Role)
}

// Countdown is the SLA cell of a case: state, label and the remaining time.
type Countdown struct {
	sla
	Label, Text string
}

// SLA is the countdown of a case at the page's time.
func (p *page) SLA(cs caseJSON) Countdown {
	return p.countdown(slaOf(cs, p.now, time.Time{}))
}

func (p *page) countdown(s sla) Countdown {
	cd := Countdown{sla: s}
	if s.Deadline == nil {
		if s.State == slaBreached {
			cd.Text = p.T("sla.breached")
		} else {
			cd.Text = p.T("sla.none")
		}
		return cd
	}
	cd.Label = p.Code("deadline", string(s.Which))
	left := s.Deadline.Sub(p.now)
	if left < 0 {
		cd.Text = p.T("sla.over") + " " + remaining(left, p.T("sla.units"))
	} else {
		cd.Text = p.T("sla.left") + " " + remaining(left, p.T("sla.units"))
	}
	return cd
}

// ReminderShare is the amber point, for the script.
func (p *page) ReminderShare() float64 { return domain.ReminderShare }

// funcs are the templates' functions; the pages' helpers are methods of
// page, which knows the language and the zone.
func funcs() template.FuncMap { return template.FuncMap{} }

func formatPct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + " %" }

// render writes a page; a template error is logged and answered 500
// before anything is sent.
func (a *app) render(c *gin.Context, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := a.pages[name].Execute(&buf, p); err != nil {
		a.cfg.Logger.Error("console page", "page", name, "error", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// errorInfo is the error page's data.
type errorInfo struct {
	Key, Detail string
	Status      int
}

// errorPage answers status with the catalogue's message key.
func (a *app) errorPage(c *gin.Context, status int, key, detail string) {
	p := a.newPage(c, "error.title")
	p.Data = errorInfo{Key: key, Detail: detail, Status: status}
	a.render(c, status, "error", p)
}

// fail answers an error of a call to the API: its refusal with the
// catalogue's message of its code, anything else 500 (logged).
func (a *app) fail(c *gin.Context, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		key := "error." + ae.Code
		if _, ok := a.cat[key]; !ok {
			key = "error.internal"
		}
		detail := ""
		if ae.Code == "invalid_input" {
			detail = ae.Message
		}
		a.errorPage(c, ae.Status, key, detail)
		return
	}
	a.cfg.Logger.Error("console request failed", "path", c.FullPath(), "error", err)
	a.errorPage(c, http.StatusInternalServerError, "error.internal", "")
}

// Other is key's message in the language the page is not in: the error
// pages say what went wrong in both.
func (p *page) Other(key string) string {
	o := p.translator
	if o.lang == langEn {
		o.lang = langZh
	} else {
		o.lang = langEn
	}
	return o.T(key)
}

// OtherLang is the tag of the language Other writes in.
func (p *page) OtherLang() string {
	if p.lang == langEn {
		return "zh-CN"
	}
	return "en"
}

// HTMLLang is the page's language tag.
func (p *page) HTMLLang() string {
	if p.lang == langEn {
		return "en"
	}
	return "zh-CN"
}

// listView is a list of cases for the "caselist" template.
type listView struct {
	P     *page
	Items []caseJSON
	Ref   *reference
}

// Rows hands a list of cases to the "caselist" template.
func (p *page) Rows(items []caseJSON, ref *reference) listView {
	return listView{P: p, Items: items, Ref: ref}
}

// countdownView is a countdown for the "countdown" template.
type countdownView struct {
	P *page
	S Countdown
}

// CD hands a countdown to the "countdown" template.
func (p *page) CD(s Countdown) countdownView { return countdownView{P: p, S: s} }

// pageURL is the address of the page a request shows, for the language
// link: the request's own for a GET; for a form's answer (a refused sign-in
// or action) the page the form belongs to, which a GET can show.
func pageURL(c *gin.Context) url.URL {
	if c.Request.Method == http.MethodGet {
		return *c.Request.URL
	}
	switch c.FullPath() {
	case Prefix + "/login":
		return url.URL{Path: Prefix + "/login"}
	case Prefix + "/cases/:number/:action":
		return url.URL{Path: Prefix + "/cases/" + c.Param("number")}
	case Prefix + "/callbacks/:id/result":
		return url.URL{Path: Prefix + "/callbacks", RawQuery: url.Values{"month": {c.PostForm("month")}}.Encode()}
	case Prefix + "/training/:id/exam":
		return url.URL{Path: Prefix + "/training/" + c.Param("id") + "/exam", RawQuery: url.Values{"staff": {c.PostForm("staff")}}.Encode()}
	case Prefix + "/emails/:id/open", Prefix + "/emails/:id/dismiss":
		return url.URL{Path: Prefix + "/emails"}
	case Prefix + "/handbook/:code":
		return url.URL{Path: Prefix + "/handbook/" + c.Param("code")}
	case Prefix + "/fees/:community", Prefix + "/fees/:community/:id/delete":
		return url.URL{Path: Prefix + "/fees/" + c.Param("community")}
	case Prefix + "/calendar/:year":
		return url.URL{Path: Prefix + "/calendar/" + c.Param("year")}
	case Prefix + "/questions", Prefix + "/questions/:id/deactivate":
		return url.URL{Path: Prefix + "/questions"}
	case Prefix + "/visits/:id/exit":
		return url.URL{Path: Prefix + "/visits/" + c.Param("id")}
	case Prefix + "/visits":
		return url.URL{Path: Prefix + "/reception", RawQuery: url.Values{"q": {c.PostForm("q")}}.Encode()}
	case Prefix + "/cases/new":
		return url.URL{Path: Prefix + "/cases/new", RawQuery: url.Values{"kind": {c.PostForm("kind")}, "visit": {c.PostForm("visit_id")}}.Encode()}
	}
	return url.URL{Path: Prefix + "/"}
}
