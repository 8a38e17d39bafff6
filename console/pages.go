package console

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// caseJSON is a case as the API answers it (api.caseResponse).
type caseJSON struct {
	Number    string        `json:"number"`
	Kind      domain.Kind   `json:"kind"`
	Status    domain.Status `json:"status"`
	Category  string        `json:"category"`
	Community string        `json:"community"`
	Building  string        `json:"building"`
	Unit      string        `json:"unit"`
	Resident  struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"resident"`
	Description     string           `json:"description"`
	Department      string           `json:"department"`
	Assignee        string           `json:"assignee"`
	Channel         string           `json:"channel"`
	Priority        string           `json:"priority"`
	EscalationLevel int              `json:"escalation_level"`
	EscalatedTo     string           `json:"escalated_to"`
	SLABreached     bool             `json:"sla_breached"`
	Reopens         int              `json:"reopens"`
	RecordedAt      time.Time        `json:"recorded_at"`
	RoutedAt        *time.Time       `json:"routed_at"`
	FirstFeedbackAt *time.Time       `json:"first_feedback_at"`
	ResolvedAt      *time.Time       `json:"resolved_at"`
	ClosedAt        *time.Time       `json:"closed_at"`
	Deadlines       domain.Deadlines `json:"deadlines"`
	NextDeadline    *time.Time       `json:"next_deadline"`
	AllowedActions  []domain.Action  `json:"allowed_actions"`
	Timeline        []struct {
		At      time.Time `json:"at"`
		Kind    string    `json:"kind"`
		Actor   string    `json:"actor"`
		Message string    `json:"message"`
	} `json:"timeline"`
	Source string `json:"source"`
	Live   bool   `json:"live"`
}

type caseList struct {
	Items []caseJSON `json:"items"`
	Next  string     `json:"next_page_token"`
}

// reference is the handbook's categories and the departments, for labels
// and filters.
type reference struct {
	Categories []struct {
		Code   string `json:"code"`
		Kind   string `json:"kind"`
		Name   string `json:"name"`
		NameEn string `json:"name_en"`
	}
	Departments []struct {
		Code   string `json:"code"`
		Name   string `json:"name"`
		NameEn string `json:"name_en"`
	}
	Communities []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	tr translator
}

// Category is the label of a category code.
func (r *reference) Category(code string) string {
	for _, c := range r.Categories {
		if c.Code == code {
			return r.tr.Name(code, c.Name, c.NameEn)
		}
	}
	return r.tr.Code("category", code)
}

// Department is the label of a department code.
func (r *reference) Department(code string) string {
	for _, d := range r.Departments {
		if d.Code == code {
			return r.tr.Name(code, d.Name, d.NameEn)
		}
	}
	return r.tr.Code("department", code)
}

// loadReference reads the reference lists every role may read
// (reference:read); a role without it (none today) gets codes as labels.
func (a *app) loadReference(c *gin.Context, tr translator, kind string) (*reference, error) {
	r := &reference{tr: tr}
	for _, l := range []struct {
		path string
		out  any
	}{
		{"/api/v1/handbook/categories?kind=" + url.QueryEscape(kind), &struct{ Items any }{&r.Categories}},
		{"/api/v1/departments", &struct{ Items any }{&r.Departments}},
		{"/api/v1/communities", &struct{ Items any }{&r.Communities}},
	} {
		if err := a.api.get(c, l.path, l.out); err != nil && !forbidden(err) {
			return nil, err
		}
	}
	return r, nil
}

// forbidden says whether the API refused the call for the role (403).
func forbidden(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusForbidden
}

// openCases lists the open cases of both kinds that the API gives the
// caller for the query (its scope applies: a handler's department, the
// member's communities), newest first, up to a page of 200 open cases of
// each kind (status=open: an old open case is not crowded out by newer
// closed ones).
func (a *app) openCases(c *gin.Context, query url.Values) ([]caseJSON, error) {
	var out []caseJSON
	for _, k := range domain.Kinds() {
		q := url.Values{"page_size": {"200"}, "status": {"open"}}
		for key, v := range query {
			q[key] = v
		}
		var l caseList
		if err := a.api.get(c, "/api/v1/"+k.Path+"?"+q.Encode(), &l); err != nil {
			if forbidden(err) {
				continue
			}
			return nil, err
		}
		for _, it := range l.Items {
			if !it.Status.Terminal() {
				out = append(out, it)
			}
		}
	}
	return out, nil
}

// byDeadline sorts cases by their next deadline, those without last.
func byDeadline(cs []caseJSON) {
	slices.SortStableFunc(cs, func(x, y caseJSON) int {
		switch {
		case x.NextDeadline == nil && y.NextDeadline == nil:
			return 0
		case x.NextDeadline == nil:
			return 1
		case y.NextDeadline == nil:
			return -1
		}
		return x.NextDeadline.Compare(*y.NextDeadline)
	})
}

// homeData is the home screen; the sections a role has are non-nil.
type homeData struct {
	Ref         *reference
	Kind        string // receptionist, handler, supervisor or none
	Visits      []visitJSON
	Tasks       []taskJSON
	Callbacks   []caseJSON
	Near        []caseJSON
	Queue       []caseJSON
	Breaches    []caseJSON
	Escalations []caseJSON
	KPIs        []kpiRow
}

type visitJSON struct {
	ID          int64     `json:"id"`
	Unit        string    `json:"unit"`
	VisitorName string    `json:"visitor_name"`
	Purpose     string    `json:"purpose"`
	CaseNumber  *string   `json:"case_number"`
	ArrivedAt   time.Time `json:"arrived_at"`
}

type taskJSON struct {
	Unit     string `json:"unit"`
	Resident string `json:"resident"`
	Reason   string `json:"reason"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
}

type kpiJSON struct {
	Numerator   int      `json:"numerator"`
	Denominator int      `json:"denominator"`
	Value       *float64 `json:"value"`
	Target      *float64 `json:"target"`
	Met         *bool    `json:"met"`
}

type kpiRow struct {
	Key string
	kpiJSON
}

// Figure writes a KPI's value (or target) as a percentage. The complaint
// rate is already a count per 100 households a month; the others are
// ratios.
func (k kpiRow) Figure(v *float64) string {
	if v == nil {
		return "—"
	}
	if k.Key == "kpi.complaint_rate" {
		return strconv.FormatFloat(*v, 'f', 2, 64) + " %"
	}
	return formatPct(*v)
}

// MetKey is the catalogue key of whether the target is met, or "".
func (k kpiRow) MetKey() string {
	switch {
	case k.Met == nil:
		return ""
	case *k.Met:
		return "kpi.met"
	}
	return "kpi.unmet"
}

// homeKind is which home screen a role gets: the handler's for the roles
// scoped to a department, the supervisor's for the roles that read the
// KPIs, the receptionist's for those who record visits.
func homeKind(role string) string {
	r := domain.Role(role)
	switch {
	case r.Scope() == domain.ScopeDepartment:
		return "handler"
	case r.Allows(domain.PermReportRead) && r.Allows(domain.PermCaseRead):
		return "supervisor"
	case r.Allows(domain.PermVisitRecord):
		return "receptionist"
	}
	return "none"
}

func (a *app) home(c *gin.Context) {
	who := whoami(c)
	p := a.newPage(c, "home.title")
	p.Nav = "home"
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	d := &homeData{Ref: ref, Kind: homeKind(who.Role)}
	switch d.Kind {
	case "receptionist":
		err = a.receptionHome(c, d, p.now)
	case "handler":
		d.Queue, err = a.openCases(c, nil)
		byDeadline(d.Queue)
	case "supervisor":
		err = a.supervisorHome(c, d)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	p.Data = d
	a.render(c, http.StatusOK, "home", p)
}

// receptionHome: today's visits, the callbacks to make (cases awaiting
// their callback, and this month's open campaign tasks) and the open cases
// at or past 80 % of their window.
func (a *app) receptionHome(c *gin.Context, d *homeData, now time.Time) error {
	var visits struct{ Items []visitJSON }
	if err := a.api.get(c, "/api/v1/visits", &visits); err != nil && !forbidden(err) {
		return err
	}
	d.Visits = visits.Items
	var tasks struct{ Items []taskJSON }
	if err := a.api.get(c, "/api/v1/callbacks", &tasks); err != nil && !forbidden(err) {
		return err
	}
	for _, t := range tasks.Items {
		if t.Status != "reached" {
			d.Tasks = append(d.Tasks, t)
		}
	}
	open, err := a.openCases(c, nil)
	if err != nil {
		return err
	}
	byDeadline(open)
	for _, cs := range open {
		if cs.Status.AwaitingCallback() {
			d.Callbacks = append(d.Callbacks, cs)
		}
		if st := slaOf(cs, now, time.Time{}).State; st == slaWarn || st == slaBreached {
			d.Near = append(d.Near, cs)
		}
	}
	return nil
}

// supervisorHome: the open cases that breached a deadline, those escalated,
// and this month's KPIs of the member's communities.
func (a *app) supervisorHome(c *gin.Context, d *homeData) error {
	var err error
	if d.Breaches, err = a.openCases(c, url.Values{"breached": {"true"}}); err != nil {
		return err
	}
	byDeadline(d.Breaches)
	open, err := a.openCases(c, nil)
	if err != nil {
		return err
	}
	for _, cs := range open {
		if cs.EscalationLevel > 0 {
			d.Escalations = append(d.Escalations, cs)
		}
	}
	slices.SortStableFunc(d.Escalations, func(x, y caseJSON) int { return cmp.Compare(y.EscalationLevel, x.EscalationLevel) })
	var k struct {
		Satisfaction kpiJSON `json:"satisfaction_rate"`
		Feedback     kpiJSON `json:"feedback_24h_rate"`
		Dispatch     kpiJSON `json:"dispatch_24h_rate"`
		Coverage     kpiJSON `json:"callback_coverage"`
		Complaints   kpiJSON `json:"complaint_rate"`
	}
	if err := a.api.get(c, "/api/v1/kpis", &k); err != nil {
		if forbidden(err) {
			return nil
		}
		return err
	}
	d.KPIs = []kpiRow{{"kpi.satisfaction_rate", k.Satisfaction}, {"kpi.feedback_24h_rate", k.Feedback},
		{"kpi.dispatch_24h_rate", k.Dispatch}, {"kpi.callback_coverage", k.Coverage}, {"kpi.complaint_rate", k.Complaints}}
	return nil
}
