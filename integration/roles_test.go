package integration

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/domain"
)

// matrixRequest is one concrete request for a route of the table: the
// route's parameters filled with objects that do not exist, a body with a
// field no endpoint takes, so that a role allowed through is refused
// harmlessly by the handler (404, 422; 422 too where a named member of
// staff is needed, as these are service tokens) and changes nothing.
type matrixRequest struct {
	route, method, path string
	perm                domain.Permission
}

// matrixRequests expands the route table: a case action's route once per
// action of its kind.
func matrixRequests(t *testing.T) []matrixRequest {
	t.Helper()
	fill := map[string]string{":code": "matrix", ":id": "0", ":community": "ZZ", ":unit": "0-000",
		":month": "2000-01", ":year": "2000", ":kind": "communities", ":file": "template.csv", ":username": "matrix_nobody"}
	var out []matrixRequest
	for key, perm := range api.RoutePermissions() {
		method, route, _ := strings.Cut(key, " ")
		var kind domain.KindSpec
		for _, k := range domain.Kinds() {
			if strings.HasPrefix(route, "/api/v1/"+k.Path+"/:number") {
				kind = k
			}
		}
		segs := strings.Split(route, "/")
		for i, s := range segs {
			switch {
			case s == ":number":
				segs[i] = kind.Prefix + "20000101-9999"
			case s == ":action" && strings.HasPrefix(route, "/api/v1/schedules/"):
				segs[i] = "pause"
			case s == ":action":
			case strings.HasPrefix(s, ":"):
				v, ok := fill[s]
				if !ok {
					t.Fatalf("%s: no value for %s", key, s)
				}
				segs[i] = v
			}
		}
		path := strings.Join(segs, "/")
		if perm != api.CaseActionPermission {
			out = append(out, matrixRequest{key, method, path, perm})
			continue
		}
		for _, a := range kind.ActionNames() {
			out = append(out, matrixRequest{key, method, strings.Replace(path, ":action", string(a), 1), domain.ActPermission(a)})
		}
	}
	slices.SortFunc(out, func(a, b matrixRequest) int { return strings.Compare(a.method+a.path, b.method+b.path) })
	return out
}

// matrixCall sends one request as who and returns the status.
func matrixCall(t *testing.T, who string, r matrixRequest) int {
	t.Helper()
	var body any
	if r.method != http.MethodGet && r.method != http.MethodDelete {
		body = map[string]any{"matrix_probe": true}
	}
	// Not decoded: a template is CSV. The tokens carry every scope and need
	// no CSRF token, so a 403 is the role's.
	return call(t, r.method, r.path, body, nil, signedInAs, who)
}

// reached says whether an answer came from the handler: not refused by
// authentication or the role, and no failure.
func reached(code int) bool {
	return code != http.StatusUnauthorized && code != http.StatusForbidden && code < 500
}

// TestRoleMatrix walks every role × every authenticated endpoint (each
// case action on its own) with a service token of that role, and asserts
// the answer the permission table designs: 403 forbidden when the role
// lacks the permission, the handler's own answer otherwise. Then the
// department scope: handlers and department heads, in and out of their
// department, on every endpoint of a single case. A hand-written sample of
// cells is pinned apart from the table, so a wrong table fails too.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	requests := matrixRequests(t)

	// The pinned cells: the designed answers, written out by hand.
	pinned := []struct {
		role          domain.Role
		method, route string
		allowed       bool
	}{
		{domain.RoleReceptionist, "PUT", "/api/v1/handbook/categories/:code", false},
		{domain.RoleReceptionist, "POST", "/api/v1/visits", true},
		{domain.RoleReceptionist, "GET", "/api/v1/audit", false},
		{domain.RoleReceptionist, "GET", "/api/v1/households", true},
		{domain.RoleAdmin, "GET", "/api/v1/households", false},
		{domain.RoleAuditor, "GET", "/api/v1/households", true},
		{domain.RoleHandler, "POST", "/api/v1/complaints", false},
		{domain.RoleHandler, "POST", "/api/v1/repairs", false},
		{domain.RoleHandler, "POST", "/api/v1/imports/:kind", false},
		{domain.RoleDepartmentHead, "POST", "/api/v1/schedules/:id/:action", false},
		{domain.RoleSupervisor, "PUT", "/api/v1/handbook/categories/:code", true},
		{domain.RoleSupervisor, "POST", "/api/v1/schedules/:id/:action", true},
		{domain.RoleSupervisor, "GET", "/api/v1/audit", false},
		{domain.RoleSupervisor, "POST", "/api/v1/users", false},
		{domain.RoleCentreManager, "PUT", "/api/v1/evaluations/settings", true},
		{domain.RolePropertyManager, "POST", "/api/v1/imports/:kind", false},
		{domain.RoleAdmin, "GET", "/api/v1/complaints", false},
		{domain.RoleAdmin, "GET", "/api/v1/complaints/:number", false},
		{domain.RoleAdmin, "POST", "/api/v1/imports/:kind", true},
		{domain.RoleAdmin, "POST", "/api/v1/users", true},
		{domain.RoleAdmin, "GET", "/api/v1/audit", true},
		{domain.RoleAuditor, "GET", "/api/v1/audit", true},
		{domain.RoleAuditor, "GET", "/api/v1/complaints", true},
		{domain.RoleAuditor, "POST", "/api/v1/complaints", false},
		{domain.RoleAuditor, "POST", "/api/v1/complaints/:number/reveal-phone", false},
		{domain.RoleAuditor, "PUT", "/api/v1/handbook/categories/:code", false},
		{domain.RoleAuditor, "POST", "/api/v1/imports/:kind", false},
		{domain.RoleAuditor, "POST", "/api/v1/training/cycles/:id/results", false},
		{domain.RoleAuditor, "POST", "/api/v1/callbacks/:id/result", false},
		{domain.RoleSupervisor, "PUT", "/api/v1/staff/:code/communities", false},
		{domain.RoleAdmin, "PUT", "/api/v1/staff/:code/communities", true},
	}
	for _, p := range pinned {
		perm, ok := api.RoutePermissions()[p.method+" "+p.route]
		if !ok {
			t.Fatalf("pinned cell %s %s: no such route", p.method, p.route)
		}
		if p.role.Allows(perm) != p.allowed {
			t.Errorf("pinned cell: %s on %s %s: the table says %t, designed %t", p.role, p.method, p.route, !p.allowed, p.allowed)
		}
	}
	// The auditor changes nothing: every request but its own sign-in and
	// tokens that is not a GET is refused.
	for _, r := range requests {
		if r.method != http.MethodGet && r.perm != domain.PermOwnAccount && domain.RoleAuditor.Allows(r.perm) {
			t.Errorf("the auditor may %s %s", r.method, r.route)
		}
	}

	cells := 0
	for _, role := range domain.Roles() {
		who := servicePrefix + string(role)
		for _, r := range requests {
			cells++
			code := matrixCall(t, who, r)
			if role.Allows(r.perm) != reached(code) || !role.Allows(r.perm) && code != http.StatusForbidden {
				t.Errorf("%s %s as %s (%s: %t): HTTP %d", r.method, r.path, role, r.perm, role.Allows(r.perm), code)
			}
		}
	}

	// The department scope: a complaint and a repair the engineering
	// department holds, asked by engineering's handler and head (in scope)
	// and security's (out).
	c := create(t, "leak")
	r := createRepair(t, newRepairBody("pipe_burst"))
	held := map[domain.Kind]string{domain.KindComplaint: c.Number, domain.KindRepair: r.Number}
	for _, x := range []complaint{c, r.complaint} {
		if x.Department != "engineering" {
			t.Fatalf("%s is held by %q, want engineering", x.Number, x.Department)
		}
	}
	members := []struct {
		code string
		role domain.Role
		in   bool
	}{
		{"li_qiang", domain.RoleHandler, true},
		{"zhang_wei", domain.RoleDepartmentHead, true},
		{"wu_gang", domain.RoleHandler, false},
		{"zhou_jun", domain.RoleDepartmentHead, false},
	}
	for _, m := range members {
		for _, r := range requests {
			if !strings.Contains(r.route, "/:number") {
				continue
			}
			for kind, number := range held {
				r.path = strings.Replace(r.path, kind.Prefix()+"20000101-9999", number, 1)
			}
			cells++
			code := matrixCall(t, m.code, r)
			allowed := m.role.Allows(r.perm)
			var ok bool
			switch {
			case !allowed:
				ok = code == http.StatusForbidden
			case m.in:
				ok = reached(code) && code != http.StatusNotFound
			default:
				ok = code == http.StatusNotFound
			}
			if !ok {
				t.Errorf("%s %s as %s (%s, in scope: %t, may: %t): HTTP %d", r.method, r.path, m.code, m.role, m.in, allowed, code)
			}
		}
	}

	// Their lists hold their department's cases only.
	for _, m := range members {
		var list struct {
			Items []complaint `json:"items"`
		}
		if code := call(t, "GET", "/api/v1/complaints?page_size=200", nil, &list, signedInAs, m.code); code != http.StatusOK {
			t.Fatalf("list as %s: HTTP %d", m.code, code)
		}
		found := slices.ContainsFunc(list.Items, func(x complaint) bool { return x.Number == c.Number })
		for _, x := range list.Items {
			if want := map[bool]string{true: "engineering", false: "security"}[m.in]; x.Department != want {
				t.Errorf("%s lists %s of %s", m.code, x.Number, x.Department)
			}
		}
		if found != m.in {
			t.Errorf("%s lists the engineering case: %t, want %t", m.code, found, m.in)
		}
	}
	t.Logf("role matrix: %d cells (%d roles × %d requests, and %d scope cells)", cells, len(domain.Roles()), len(requests),
		cells-len(domain.Roles())*len(requests))
}

// TestNobodyChangesTheirOwnRole: the staff import refuses a row that gives
// the importer another role (issue 11: a receptionist promoted herself
// through the import), and changes nothing.
func TestNobodyChangesTheirOwnRole(t *testing.T) {
	t.Parallel()
	csv := "code,name,department,role\nadmin,系统管理员,customer_service,property_manager\n"
	var e apiError
	if code := call(t, "POST", "/api/v1/imports/staff", csv, &e, "Content-Type", "text/csv", signedInAs, "admin"); code != http.StatusForbidden ||
		!strings.Contains(e.Error.Message, "your own role") {
		t.Errorf("import of one's own row with another role: HTTP %d %+v, want 403", code, e)
	}
	if n := count(t, `SELECT count(*) FROM staff WHERE code = 'admin' AND role = 'admin'`); n != 1 {
		t.Errorf("the admin's role changed")
	}
}
