package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// permCaseAction stands, in the route table, for "the permission of the
// action in the path" (domain.ActPermission): one route serves every
// action of a kind, and each action has its own permission.
const permCaseAction domain.Permission = "case:act:{action}"

// routeKey is how the route table names a route: method and gin's route.
func routeKey(method, route string) string { return method + " " + route }

// routePermissions is the one permission each authenticated route needs
// (docs/DESIGN.md §7.6), keyed by method and route. A route missing here
// is refused to everyone (permit), and TestEveryRouteHasAPermission lists
// it.
func routePermissions() map[string]domain.Permission {
	m := map[string]domain.Permission{}
	add := func(method, route string, p domain.Permission) { m[routeKey(method, "/api/v1"+route)] = p }
	for _, k := range domain.Kinds() {
		path := "/" + k.Path
		add(http.MethodPost, path, domain.PermCaseCreate)
		add(http.MethodGet, path, domain.PermCaseRead)
		add(http.MethodGet, path+"/:number", domain.PermCaseRead)
		add(http.MethodPost, path+"/:number/:action", permCaseAction)
		add(http.MethodGet, path+"/:number/tracking-link", domain.PermCaseTracking)
		add(http.MethodPost, path+"/:number/tracking-link/resend", domain.PermCaseTracking)
		add(http.MethodPost, path+"/:number/reveal-phone", domain.PermPhoneReveal)
	}
	for _, r := range []struct {
		method, route string
		perm          domain.Permission
	}{
		{"POST", "/auth/logout", domain.PermOwnAccount},
		{"GET", "/auth/me", domain.PermOwnAccount},
		{"GET", "/tokens", domain.PermOwnAccount},
		{"POST", "/tokens", domain.PermOwnAccount},
		{"DELETE", "/tokens/:id", domain.PermOwnAccount},
		{"GET", "/users", domain.PermAccountManage},
		{"POST", "/users", domain.PermAccountManage},
		{"PUT", "/users/:username/password", domain.PermAccountManage},
		{"POST", "/users/:username/disable", domain.PermAccountManage},
		{"POST", "/users/:username/enable", domain.PermAccountManage},
		{"GET", "/handbook/categories", domain.PermReferenceRead},
		{"GET", "/handbook/categories/:code", domain.PermReferenceRead},
		{"PUT", "/handbook/categories/:code", domain.PermHandbookWrite},
		{"GET", "/communities", domain.PermReferenceRead},
		{"GET", "/communities/:code/units", domain.PermReferenceRead},
		{"GET", "/departments", domain.PermReferenceRead},
		{"GET", "/staff", domain.PermReferenceRead},
		// The staff import sets communities too: the same permission.
		{"PUT", "/staff/:code/communities", domain.PermReferenceImport},
		{"GET", "/communities/:code/fees", domain.PermReferenceRead},
		{"POST", "/communities/:code/fees", domain.PermFeeWrite},
		{"DELETE", "/communities/:code/fees/:id", domain.PermFeeWrite},
		{"GET", "/units/:community/:unit/fees", domain.PermReferenceRead},
		{"POST", "/visits", domain.PermVisitRecord},
		{"GET", "/visits", domain.PermVisitRead},
		// The front desk's look-up lists cases: as GET /complaints does.
		{"GET", "/households", domain.PermCaseRead},
		{"GET", "/visits/:id", domain.PermVisitRead},
		{"POST", "/visits/:id/exit", domain.PermVisitRecord},
		{"POST", "/visits/:id/reveal-phone", domain.PermPhoneReveal},
		{"GET", "/notifications", domain.PermNotifications},
		{"GET", "/kpis", domain.PermReportRead},
		// The drill-down of two KPI figures; no resident's comment.
		{"GET", "/ratings", domain.PermReportRead},
		{"GET", "/reports/complaints", domain.PermReportRead},
		{"GET", "/reports/complaints/archive", domain.PermReportRead},
		{"GET", "/reports/complaints/archive/:month", domain.PermReportRead},
		{"GET", "/evaluations", domain.PermReportRead},
		{"GET", "/evaluations/settings", domain.PermReportRead},
		{"PUT", "/evaluations/settings", domain.PermEvaluationSettings},
		{"GET", "/schedules", domain.PermScheduleRead},
		{"POST", "/schedules/:id/:action", domain.PermScheduleManage},
		{"GET", "/callbacks", domain.PermCallbackWork},
		{"GET", "/callbacks/coverage", domain.PermReportRead},
		{"POST", "/callbacks/:id/result", domain.PermCallbackWork},
		{"POST", "/callbacks/:id/reveal-phone", domain.PermPhoneReveal},
		{"GET", "/intake/emails", domain.PermEmailTriage},
		{"POST", "/intake/emails/:id/open", domain.PermEmailTriage},
		{"POST", "/intake/emails/:id/dismiss", domain.PermEmailTriage},
		{"POST", "/intake/emails/:id/reveal-phone", domain.PermPhoneReveal},
		{"GET", "/training/cycles", domain.PermTrainingRead},
		{"POST", "/training/cycles", domain.PermTrainingManage},
		{"GET", "/training/cycles/:id", domain.PermTrainingRead},
		{"POST", "/training/cycles/:id/results", domain.PermTrainingManage},
		{"GET", "/training/questions", domain.PermTrainingRead},
		{"POST", "/training/questions", domain.PermTrainingManage},
		{"POST", "/training/questions/:id/deactivate", domain.PermTrainingManage},
		{"GET", "/calendar/:year", domain.PermTrainingRead},
		{"PUT", "/calendar/:year", domain.PermTrainingManage},
		{"POST", "/imports/:kind", domain.PermReferenceImport},
		{"GET", "/imports/:kind/:file", domain.PermReferenceRead}, // a blank template
		{"GET", "/exports/cases.xlsx", domain.PermExport},
		{"GET", "/audit", domain.PermAuditRead},
	} {
		add(r.method, r.route, r.perm)
	}
	for _, op := range codecOps() {
		m[routeKey(http.MethodPost, CodecPath+"/"+op)] = domain.PermPayloadDecode
	}
	return m
}

// permit enforces the route table after authenticate: 403 when the
// identity's role does not hold the route's permission, and for every
// route the table does not name (deny by default). A case action needs
// the permission of that action; an action the kind does not take is let
// through on case:read for the handler's 404 naming the kind's actions.
func (s *Server) permit(c *gin.Context) {
	id, _ := identity(c)
	need, ok := s.perms[routeKey(c.Request.Method, c.FullPath())]
	if ok && need == permCaseAction {
		need = domain.PermCaseRead
		if k, kok := domain.KindOf(c.Param("number")); kok {
			if a, aok := domain.MustSpec(k).ParseAction(c.Param("action")); aok {
				need = domain.ActPermission(a)
			}
		}
	}
	switch {
	case !ok:
		fail(c, http.StatusForbidden, "forbidden", "this endpoint grants no permission yet: it is refused to everyone")
	case !roleOf(id).Allows(need):
		fail(c, http.StatusForbidden, "forbidden", "the role "+id.Role+" may not do this (it needs "+string(need)+")")
	default:
		c.Next()
	}
}

// roleOf is the role an identity acts with. A service token acts with its
// service role, which must be one of the roles to be allowed anything
// (createToken accepts no other); it names no member of staff, so the
// endpoints that need one (requireStaff) still refuse it.
func roleOf(id store.Identity) domain.Role { return domain.Role(id.Role) }

// RoutePermissions is the route table, keyed "METHOD /route" with gin's
// parameters; a case action's route maps to CaseActionPermission. For the
// role matrix test, which asks every route as every role.
func RoutePermissions() map[string]domain.Permission { return routePermissions() }

// CaseActionPermission is the table's stand-in for the permission of the
// action in the path (domain.ActPermission).
const CaseActionPermission = permCaseAction
