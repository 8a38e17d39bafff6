package api

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// openRoutes are the routes without sign-in: their own authentication
// (signed links, the signed webhook) or none needed.
func openRoutes() []string {
	return []string{
		"POST /api/v1/auth/login",
		"GET /api/v1/track/:token",
		"POST /api/v1/track/:token/rating",
		"POST /api/v1/intake/email",
	}
}

// TestEveryRouteHasAPermission walks the router: every /api/v1 and codec
// route but the open ones names a permission some role holds, and the
// table names no route that does not exist.
func TestEveryRouteHasAPermission(t *testing.T) {
	engine := New(Config{}).(*gin.Engine)
	perms := routePermissions()
	seen := map[string]bool{}
	var missing []string
	for _, r := range engine.Routes() {
		key := routeKey(r.Method, r.Path)
		if r.Method == http.MethodOptions || slices.Contains(openRoutes(), key) ||
			!strings.HasPrefix(r.Path, "/api/v1/") && !strings.HasPrefix(r.Path, CodecPath+"/") {
			continue
		}
		seen[key] = true
		p, ok := perms[key]
		if !ok {
			missing = append(missing, key)
			continue
		}
		if p != permCaseAction && !slices.ContainsFunc(domain.Roles(), func(r domain.Role) bool { return r.Allows(p) }) {
			t.Errorf("%s needs %s, which no role holds", key, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("routes without a permission (refused to everyone): %s", strings.Join(missing, ", "))
	}
	for key := range perms {
		if !seen[key] {
			t.Errorf("the table names %s, which is not a route", key)
		}
	}
}

// TestPermitDeniesByDefault: a route the table does not name is 403 for
// every role, and a named one lets through exactly the roles holding its
// permission; a case action needs that action's permission.
func TestPermitDeniesByDefault(t *testing.T) {
	tests := []struct {
		name, method, route, target string
		role                        domain.Role
		want                        int
	}{
		{"undeclared route, admin", "GET", "/api/v1/new", "/api/v1/new", domain.RoleAdmin, 403},
		{"undeclared route, property manager", "GET", "/api/v1/new", "/api/v1/new", domain.RolePropertyManager, 403},
		{"receptionist puts the handbook", "PUT", "/api/v1/handbook/categories/:code", "/api/v1/handbook/categories/noise", domain.RoleReceptionist, 403},
		{"supervisor puts the handbook", "PUT", "/api/v1/handbook/categories/:code", "/api/v1/handbook/categories/noise", domain.RoleSupervisor, 200},
		{"handler resolves", "POST", "/api/v1/complaints/:number/:action", "/api/v1/complaints/TS20260101-0001/resolve", domain.RoleHandler, 200},
		{"handler routes", "POST", "/api/v1/complaints/:number/:action", "/api/v1/complaints/TS20260101-0001/route", domain.RoleHandler, 403},
		{"auditor gives feedback", "POST", "/api/v1/complaints/:number/:action", "/api/v1/complaints/TS20260101-0001/feedback", domain.RoleAuditor, 403},
		{"unknown action: the handler's 404", "POST", "/api/v1/complaints/:number/:action", "/api/v1/complaints/TS20260101-0001/dance", domain.RoleHandler, 200},
		{"admin reads cases", "GET", "/api/v1/complaints", "/api/v1/complaints", domain.RoleAdmin, 403},
		{"a service role that is no role", "GET", "/api/v1/complaints", "/api/v1/complaints", domain.Role("erp"), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{perms: routePermissions()}
			s.perms[routeKey("GET", "/api/v1/complaints")] = domain.PermCaseRead
			r := gin.New()
			r.Handle(tt.method, tt.route, func(c *gin.Context) {
				c.Set(identityKey, store.Identity{Role: string(tt.role)})
			}, s.permit, func(c *gin.Context) { c.Status(http.StatusOK) })
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(tt.method, tt.target, nil))
			if w.Code != tt.want {
				t.Errorf("HTTP %d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
}
