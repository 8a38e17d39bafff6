package console

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
)

// fieldActions are the actions of the field view, in the order of the work
// at the door: accept, arrive, feed back, finish.
var fieldActions = []domain.Action{domain.ActionAcknowledge, domain.ActionArrive, domain.ActionFeedback,
	domain.ActionResolve, domain.ActionComplete}

// fieldCase is a case of the field view with the actions offered.
type fieldCase struct {
	caseJSON
	Actions []actionForm
}

// Case is the case itself, for the countdown.
func (f fieldCase) Case() caseJSON { return f.caseJSON }

type fieldData struct {
	Ref   *reference
	Cases []fieldCase
	Done  string
}

// field is the field view for department staff on a phone: the
// department's open complaints and repairs (the API's department scope),
// nearest deadline first, each with large buttons for the next steps. The
// actions offered are those the listed status allows (the read model; the
// API checks the live state when one is sent) that the role holds.
func (a *app) field(c *gin.Context) {
	p := a.newPage(c, "field.title")
	p.Nav = "field"
	ref, err := a.loadReference(c, p.translator, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	open, err := a.openCases(c, nil)
	if err != nil {
		a.fail(c, err)
		return
	}
	byDeadline(open)
	role := domain.Role(whoami(c).Role)
	d := &fieldData{Ref: ref}
	for _, cs := range open {
		spec, ok := domain.SpecOf(cs.Kind)
		if !ok {
			continue
		}
		fc := fieldCase{caseJSON: cs}
		for _, act := range spec.AllowedActions(cs.Status) {
			if !slices.Contains(fieldActions, act) || !role.Allows(domain.ActPermission(act)) {
				continue
			}
			key, err := randomToken()
			if err != nil {
				a.fail(c, err)
				return
			}
			fc.Actions = append(fc.Actions, actionForm{Action: act, Fields: actionFields(act), Key: "console-" + key})
		}
		d.Cases = append(d.Cases, fc)
	}
	if act, ok := parseAnyAction(c.Query("done")); ok {
		d.Done = string(act)
	}
	p.Data = d
	a.render(c, http.StatusOK, "field", p)
}

// parseAnyAction is an action of any kind.
func parseAnyAction(name string) (domain.Action, bool) {
	for _, k := range domain.Kinds() {
		if a, ok := k.ParseAction(name); ok {
			return a, true
		}
	}
	return "", false
}

// MayField says whether the signed-in member works in a department's
// field team (the field view).
func (p *page) MayField() bool {
	return p.Me != nil && domain.Role(p.Me.Role).Scope() == domain.ScopeDepartment
}
