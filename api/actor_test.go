package api

import "testing"

func TestBearerToken(t *testing.T) {
	for _, tt := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer ct_abc", "ct_abc", true},
		{"bearer  ct_abc ", "ct_abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic YTpi", "YTpi", false},
		{"ct_abc", "", false},
		{"", "", false},
	} {
		token, ok := bearerToken(tt.header)
		if ok != tt.ok || (ok && token != tt.token) {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tt.header, token, ok, tt.token, tt.ok)
		}
	}
}

// A token's scopes: read for GET, write for the rest, admin for the
// account and token endpoints whatever the method.
func TestScopes(t *testing.T) {
	for _, tt := range []struct {
		name              string
		scopes            []string
		changes, accounts bool
		ok                bool
	}{
		{"read reads", []string{"read"}, false, false, true},
		{"read does not write", []string{"read"}, true, false, false},
		{"write writes", []string{"write"}, true, false, true},
		{"write alone does not read", []string{"write"}, false, false, false},
		{"read and write do not manage accounts", []string{"read", "write"}, false, true, false},
		{"admin manages accounts", []string{"admin"}, true, true, true},
		{"admin alone does not write cases", []string{"admin"}, true, false, false},
		{"no scopes", nil, false, false, false},
	} {
		if p := scopeProblem(tt.scopes, tt.changes, tt.accounts); (p == nil) != tt.ok {
			t.Errorf("%s: %v, want allowed %v", tt.name, p, tt.ok)
		}
	}
	for route, want := range map[string]bool{"/api/v1/users": true, "/api/v1/users/:username/password": true,
		"/api/v1/tokens/:id": true, "/api/v1/complaints": false, "/api/v1/auth/me": false} {
		if isAccountRoute(route) != want {
			t.Errorf("isAccountRoute(%q) != %v", route, want)
		}
	}
}
