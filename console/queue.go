package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// queueFilters are the list's filters, passed to the API's list as they
// are: the API checks them (422 for a bad one) and applies the caller's
// scope (GET /api/v1/complaints, /repairs).
var queueFilters = []string{"status", "category", "department", "community", "building", "breached", "late", "from", "to", "q", "page_token"}

// exportFilters are the queue's filters the case export takes too; the
// export has no search, so a searched list has no export button.
var exportFilters = []string{"status", "category", "department", "community", "building", "breached", "late", "from", "to"}

type queueData struct {
	Ref      *reference
	Kind     string
	Kinds    []domain.KindSpec
	Statuses []domain.Status
	Filter   map[string]string
	Items    []caseJSON
	NextURL  string
	// ExportURL is the case export of the same filters, for the roles
	// that export (report:export), through the console (exportQueue).
	ExportURL string
	Error     string
	Detail    string
}

// kindStatuses are the statuses a case of the kind can be in, in the
// registry's order of its transitions.
func kindStatuses(spec domain.KindSpec) []domain.Status {
	var out []domain.Status
	add := func(ss ...domain.Status) {
		for _, s := range ss {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	add(spec.Start...)
	for _, t := range spec.Actions {
		add(t.From...)
		add(t.To...)
	}
	return out
}

func (a *app) queue(c *gin.Context) {
	p := a.newPage(c, "queue.title")
	p.Nav = "queue"
	spec, ok := domain.SpecOf(domain.Kind(c.DefaultQuery("kind", string(domain.KindComplaint))))
	if !ok {
		spec = domain.MustSpec(domain.KindComplaint)
	}
	ref, err := a.loadReference(c, p.translator, string(spec.Kind))
	if err != nil {
		a.fail(c, err)
		return
	}
	d := &queueData{Ref: ref, Kind: string(spec.Kind), Kinds: domain.Kinds(), Statuses: kindStatuses(spec), Filter: map[string]string{}}
	q := url.Values{"page_size": {"50"}}
	for _, f := range queueFilters {
		if v := strings.TrimSpace(c.Query(f)); v != "" {
			q.Set(f, v)
			d.Filter[f] = v
		}
	}
	var l caseList
	status := http.StatusOK
	if err := a.api.get(c, "/api/v1/"+spec.Path+"?"+q.Encode(), &l); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status >= 500 {
			a.fail(c, err)
			return
		}
		// A filter the API refuses (422) or a role that may not list
		// (403): the page stays, with the reason.
		status, d.Error = ae.Status, "error."+ae.Code
		if _, ok := a.cat[d.Error]; !ok {
			d.Error = "error.internal"
		}
		if ae.Code == "invalid_input" {
			d.Detail = ae.Message
		}
	}
	d.Items = l.Items
	if domain.Role(whoami(c).Role).Allows(domain.PermExport) && d.Filter["q"] == "" {
		ex := url.Values{"kind": {d.Kind}}
		for _, f := range exportFilters {
			if v := d.Filter[f]; v != "" {
				ex.Set(f, v)
			}
		}
		d.ExportURL = Prefix + "/queue/export?" + ex.Encode()
	}
	if l.Next != "" {
		next := c.Request.URL.Query()
		next.Set("page_token", l.Next)
		next.Del("lang")
		d.NextURL = Prefix + "/queue?" + next.Encode()
	}
	p.Data = d
	a.render(c, status, "queue", p)
}
