package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/store"
)

// newMember adds an active member of staff with an account whose password
// is testPassword, for a test that changes them. Not a receptionist, nor in
// engineering: other tests count those.
func newMember(t *testing.T, code, role string) {
	t.Helper()
	if _, err := sys.store.Pool().Exec(t.Context(), `INSERT INTO staff (code, name, department, role)
		VALUES ($1, '测试员工', 'customer_service', $2)`, code, role); err != nil {
		t.Fatal(err)
	}
	h, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.store.CreateAccount(t.Context(), store.Who{Actor: "test"}, code, code, h); err != nil {
		t.Fatal(err)
	}
}

// raw sends a request exactly as given, with no identity added, and
// answers the status, the headers and the body.
func raw(t *testing.T, base, method, path, contentType, body string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := checkAnswer(req, resp.StatusCode, resp.Header, b); err != nil {
		t.Errorf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func loginBody(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return string(b)
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an error envelope: %q", body)
	}
	return e.Error.Code
}

// sessionHeaders are the headers a browser sends with a session: the
// cookie and the CSRF token.
func sessionHeaders(se session) []string {
	return []string{"Cookie", se.cookie.Name + "=" + se.cookie.Value, "X-CSRF-Token", se.csrf}
}

// TestSignInAndSessions: a right password starts a session (an HttpOnly,
// SameSite cookie and a CSRF token); a wrong password and an unknown name
// get the same answer; the session identifies its member (me); without
// its CSRF token, or with a wrong one, a session changes nothing; logout
// ends it.
func TestSignInAndSessions(t *testing.T) {
	t.Parallel()
	base := sys.http.URL
	newMember(t, "au_desk", "supervisor")

	code, hdr, body := raw(t, base, "POST", "/api/v1/auth/login", "application/json", loginBody("AU_DESK ", testPassword))
	if code != http.StatusOK {
		t.Fatalf("sign in: HTTP %d %s", code, body)
	}
	var in struct {
		CSRF string `json:"csrf_token"`
		User struct {
			StaffCode string `json:"staff_code"`
			Role      string `json:"role"`
		} `json:"user"`
	}
	if err := json.Unmarshal([]byte(body), &in); err != nil || !strings.HasPrefix(in.CSRF, "cx_") ||
		in.User.StaffCode != "au_desk" || in.User.Role != "supervisor" {
		t.Fatalf("sign-in answer %s", body)
	}
	resp := http.Response{Header: hdr}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "concierge_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || cookie.MaxAge <= 0 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure on plain HTTP", cookie)
	}
	if n := count(t, `SELECT count(*) FROM sessions WHERE id_hash = $1`, auth.Hash(cookie.Value)); n != 1 {
		t.Fatalf("the session is not stored by its hash (%d rows)", n)
	}
	if n := count(t, `SELECT count(*) FROM sessions WHERE id_hash = $1`, []byte(cookie.Value)); n != 0 {
		t.Fatal("the session id is stored in clear")
	}
	sess := "concierge_session=" + cookie.Value

	code, _, body = raw(t, base, "GET", "/api/v1/auth/me", "", "", "Cookie", sess)
	if code != http.StatusOK || !strings.Contains(body, `"staff_code":"au_desk"`) || !strings.Contains(body, `"via":"session"`) {
		t.Fatalf("me: HTTP %d %s", code, body)
	}

	// The same answer for a wrong password and an unknown name.
	_, _, wrong := raw(t, base, "POST", "/api/v1/auth/login", "application/json", loginBody("au_desk", "not-the-password"))
	code, _, unknown := raw(t, base, "POST", "/api/v1/auth/login", "application/json", loginBody("au_nobody", "not-the-password"))
	if code != http.StatusUnauthorized || wrong != unknown || errorCode(t, wrong) != "invalid_credentials" {
		t.Fatalf("wrong password %s, unknown name HTTP %d %s: want the same 401", wrong, code, unknown)
	}

	// A session without its CSRF token, or with another's, changes nothing.
	category := `{"name": "会话测试", "department": "customer_service", "responsible": "chen_jing", "priority": "normal"}`
	const path = "/api/v1/handbook/categories/it_session"
	other, err := login(base, "liu_fang", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range [][]string{
		{"Cookie", sess},
		{"Cookie", sess, "X-CSRF-Token", ""},
		{"Cookie", sess, "X-CSRF-Token", "cx_forged"},
		{"Cookie", sess, "X-CSRF-Token", other.csrf},
		{"Cookie", sess, "X-CSRF-Token", cookie.Value},
	} {
		if code, _, body := raw(t, base, "PUT", path, "application/json", category, h...); code != http.StatusForbidden || errorCode(t, body) != "csrf" {
			t.Errorf("PUT with %q: HTTP %d %s, want 403 csrf", h, code, body)
		}
	}
	if code, _, _ := raw(t, base, "POST", "/api/v1/auth/logout", "", "", "Cookie", sess); code != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: HTTP %d, want 403", code)
	}
	if n := count(t, `SELECT count(*) FROM handbook_categories WHERE code = 'it_session'`); n != 0 {
		t.Fatal("a request without the CSRF token saved a category")
	}
	if code, _, body := raw(t, base, "PUT", path, "application/json", category, "Cookie", sess, "X-CSRF-Token", in.CSRF); code != http.StatusOK {
		t.Fatalf("PUT with the CSRF token: HTTP %d %s", code, body)
	}

	// Logout ends the session: the cookie identifies nobody any more.
	if code, hdr, _ := raw(t, base, "POST", "/api/v1/auth/logout", "", "", "Cookie", sess, "X-CSRF-Token", in.CSRF); code != http.StatusNoContent ||
		!strings.Contains(hdr.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: HTTP %d %v", code, hdr)
	}
	if code, _, body := raw(t, base, "GET", "/api/v1/auth/me", "", "", "Cookie", sess); code != http.StatusUnauthorized || errorCode(t, body) != "unauthenticated" {
		t.Fatalf("me after logout: HTTP %d %s", code, body)
	}
}

// TestNoIdentityChangesNothing: X-Staff-Code alone, no identity at all, and
// JSON sent as text/plain or a form (what any web page can make a browser
// send) are refused before anything is written.
func TestNoIdentityChangesNothing(t *testing.T) {
	t.Parallel()
	base := sys.http.URL
	const refused = "auth-test-refused"
	complaint := newComplaintBody("noise")
	complaint["description"] = refused
	body, _ := json.Marshal(complaint)
	se, err := sys.sessions.signIn(base, "liu_fang")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, contentType string
		headers           []string
		status            int
		code              string
	}{
		{"nobody", "application/json", nil, 401, "unauthenticated"},
		{"X-Staff-Code alone", "application/json", []string{"X-Staff-Code", "liu_fang"}, 401, "unauthenticated"},
		{"a made-up token", "application/json", []string{"Authorization", "Bearer ct_made-up"}, 401, "unauthenticated"},
		{"text/plain", "text/plain", sessionHeaders(se), 415, "unsupported_media_type"},
		{"a form", "application/x-www-form-urlencoded", sessionHeaders(se), 415, "unsupported_media_type"},
		{"multipart", "multipart/form-data; boundary=x", sessionHeaders(se), 415, "unsupported_media_type"},
	} {
		code, _, answer := raw(t, base, "POST", "/api/v1/complaints", tt.contentType, string(body), tt.headers...)
		if code != tt.status || errorCode(t, answer) != tt.code {
			t.Errorf("%s: HTTP %d %s, want %d %s", tt.name, code, answer, tt.status, tt.code)
		}
	}
	if n := count(t, `SELECT count(*) FROM case_intakes WHERE description = $1`, refused); n != 0 {
		t.Errorf("%d refused complaints were recorded", n)
	}
}

// TestLoginSlowsDownThenLocks: after the free failures a name must wait
// (429 with Retry-After), and enough failures lock it even against the
// right password, for names with and without an account alike.
func TestLoginSlowsDownThenLocks(t *testing.T) {
	t.Parallel()
	newMember(t, "au_slow", "handler")
	newMember(t, "au_lock", "handler")
	server := func(l auth.Lockout) string {
		h := httptest.NewServer(api.New(api.Config{Store: sys.store, Temporal: sys.temporal, TaskQueue: taskQueue,
			Auth: api.AuthConfig{Params: cheapHash(), Lockout: l}}))
		t.Cleanup(h.Close)
		return h.URL
	}
	try := func(base, user, pw string) (int, string, string) {
		code, hdr, body := raw(t, base, "POST", "/api/v1/auth/login", "application/json", loginBody(user, pw))
		return code, hdr.Get("Retry-After"), body
	}

	// One free failure, then a wait that the right password does not skip.
	slow := server(auth.Lockout{Free: 1, LockAfter: 100, LockFor: time.Hour, MaxDelay: time.Hour})
	for _, user := range []string{"au_slow", "au_slow_nobody"} {
		if code, _, _ := try(slow, user, "wrong-password"); code != http.StatusUnauthorized {
			t.Fatalf("%s first failure: HTTP %d", user, code)
		}
		code, retry, body := try(slow, user, testPassword)
		if code != http.StatusTooManyRequests || retry != "1" || errorCode(t, body) != "too_many_attempts" {
			t.Fatalf("%s right after a failure: HTTP %d Retry-After %q %s, want 429 with Retry-After 1", user, code, retry, body)
		}
	}

	// Three failures lock the name for an hour.
	lock := server(auth.Lockout{Free: 100, LockAfter: 3, LockFor: time.Hour, MaxDelay: time.Second})
	for _, user := range []string{"au_lock", "au_lock_nobody"} {
		for i := range 3 {
			if code, _, _ := try(lock, user, "wrong-password"); code != http.StatusUnauthorized {
				t.Fatalf("%s failure %d: HTTP %d", user, i+1, code)
			}
		}
		code, retry, _ := try(lock, user, testPassword)
		secs, _ := strconv.Atoi(retry)
		if code != http.StatusTooManyRequests || secs < 3000 || secs > 3600 {
			t.Fatalf("%s locked: HTTP %d Retry-After %q, want 429 with about an hour", user, code, retry)
		}
	}
	// Another name is not affected, and a success forgets the failures.
	if _, _, err := sys.store.RecordLoginFailure(t.Context(), "zhao_min", auth.DefaultLockout()); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := try(lock, "zhao_min", testPassword); code != http.StatusOK {
		t.Fatalf("another name: HTTP %d", code)
	}
	if n := count(t, `SELECT count(*) FROM login_failures WHERE username = 'zhao_min'`); n != 0 {
		t.Fatalf("a success left %d failure records", n)
	}
}

// TestDeactivationStopsAccessAtOnce: deactivating a member of staff, or
// disabling their account, stops their live session and their token on the
// next request, and they cannot sign in.
func TestDeactivationStopsAccessAtOnce(t *testing.T) {
	t.Parallel()
	base := sys.http.URL
	for _, tt := range []struct{ name, code, stop, restore string }{
		{"staff deactivated", "au_gone", `UPDATE staff SET active = false WHERE code = $1`, `UPDATE staff SET active = true WHERE code = $1`},
		{"account disabled", "au_disabled", `UPDATE accounts SET disabled = true WHERE staff_code = $1`, `UPDATE accounts SET disabled = false WHERE staff_code = $1`},
	} {
		newMember(t, tt.code, "handler")
		se, err := login(base, tt.code, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		var tok struct {
			Token string `json:"token"`
		}
		code, _, body := raw(t, base, "POST", "/api/v1/tokens", "application/json", `{"name": "cli"}`, sessionHeaders(se)...)
		if err := json.Unmarshal([]byte(body), &tok); code != http.StatusCreated || err != nil {
			t.Fatalf("%s: token: HTTP %d %s", tt.name, code, body)
		}
		bearer := []string{"Authorization", "Bearer " + tok.Token}
		for _, h := range [][]string{sessionHeaders(se), bearer} {
			if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", h...); code != http.StatusOK {
				t.Fatalf("%s: me before: HTTP %d", tt.name, code)
			}
		}
		if _, err := sys.store.Pool().Exec(t.Context(), tt.stop, tt.code); err != nil {
			t.Fatal(err)
		}
		for _, h := range [][]string{sessionHeaders(se), bearer} {
			if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", h...); code != http.StatusUnauthorized {
				t.Errorf("%s: me after with %s: HTTP %d, want 401", tt.name, h[0], code)
			}
		}
		if code, _, _ := raw(t, base, "POST", "/api/v1/auth/login", "application/json", loginBody(tt.code, testPassword)); code != http.StatusUnauthorized {
			t.Errorf("%s: sign in: HTTP %d, want 401", tt.name, code)
		}
		// Reactivated, the token works again: it was never revoked.
		if _, err := sys.store.Pool().Exec(t.Context(), tt.restore, tt.code); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", bearer...); code != http.StatusOK {
			t.Errorf("%s: token after reactivation: HTTP %d", tt.name, code)
		}
	}
}

// TestAPITokens: a token is shown once and stored hashed; it identifies
// its member until it is revoked or expires; its scopes bound what it may
// do; only an admin makes tokens for others.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	base := sys.http.URL
	newMember(t, "au_token", "handler")
	var made struct {
		Token   string      `json:"token"`
		Details store.Token `json:"details"`
	}
	if code := call(t, "POST", "/api/v1/tokens", map[string]any{"name": "报表导出", "scopes": []string{"read"}}, &made,
		signedInAs, "au_token"); code != http.StatusCreated || !strings.HasPrefix(made.Token, "ct_") ||
		made.Details.StaffCode == nil || *made.Details.StaffCode != "au_token" || made.Details.LastUsedAt != nil {
		t.Fatalf("make a token: HTTP %d %+v", code, made)
	}
	if n := count(t, `SELECT count(*) FROM api_tokens WHERE hash = $1`, auth.Hash(made.Token)); n != 1 {
		t.Fatal("the token is not stored by its hash")
	}
	bearer := []string{"Authorization", "Bearer " + made.Token}
	code, _, body := raw(t, base, "GET", "/api/v1/auth/me", "", "", bearer...)
	if code != http.StatusOK || !strings.Contains(body, `"staff_code":"au_token"`) || !strings.Contains(body, `"scopes":["read"]`) {
		t.Fatalf("me by token: HTTP %d %s", code, body)
	}
	var list struct {
		Tokens []store.Token `json:"tokens"`
	}
	if code := call(t, "GET", "/api/v1/tokens", nil, &list, signedInAs, "au_token"); code != http.StatusOK || len(list.Tokens) != 1 ||
		list.Tokens[0].LastUsedAt == nil {
		t.Fatalf("own tokens: HTTP %d %+v, want one, used", code, list)
	}
	// A read token changes nothing.
	if code, _, body := raw(t, base, "POST", "/api/v1/complaints", "application/json", `{}`, bearer...); code != http.StatusForbidden ||
		errorCode(t, body) != "insufficient_scope" {
		t.Errorf("POST with a read token: HTTP %d %s", code, body)
	}
	// Only an admin makes a token for another member, a service or with
	// the admin scope.
	for _, req := range []map[string]any{
		{"name": "x", "staff_code": "chen_jing"},
		{"name": "x", "scopes": []string{"admin"}},
		{"name": "x", "service_role": "auditor"},
	} {
		if code := call(t, "POST", "/api/v1/tokens", req, nil, signedInAs, "au_token"); code != http.StatusForbidden {
			t.Errorf("non-admin token %v: HTTP %d, want 403", req, code)
		}
	}
	// Another member cannot revoke it; its owner can.
	path := "/api/v1/tokens/" + strconv.FormatInt(made.Details.ID, 10)
	if code := call(t, "DELETE", path, nil, nil, signedInAs, "liu_fang"); code != http.StatusNotFound {
		t.Errorf("revoke another's token: HTTP %d, want 404", code)
	}
	if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", bearer...); code != http.StatusOK {
		t.Fatalf("the token after another's attempt to revoke it: HTTP %d", code)
	}
	if code := call(t, "DELETE", path, nil, nil, signedInAs, "au_token"); code != http.StatusOK {
		t.Fatalf("revoke: HTTP %d", code)
	}
	if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", bearer...); code != http.StatusUnauthorized {
		t.Errorf("a revoked token: HTTP %d, want 401", code)
	}

	// An expired token.
	old, err := auth.NewSecret(auth.APITokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.store.CreateToken(t.Context(), store.Who{Actor: "test"}, store.NewToken{Hash: auth.Hash(old), Name: "old", StaffCode: "au_token",
		Scopes: []string{"read"}, CreatedBy: "test", TTL: -time.Second}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", "Authorization", "Bearer "+old); code != http.StatusUnauthorized {
		t.Errorf("an expired token: HTTP %d, want 401", code)
	}

	// An admin's service token names no member of staff.
	var svc struct {
		Token string `json:"token"`
	}
	if code := call(t, "POST", "/api/v1/tokens", map[string]any{"name": "门禁系统", "service_role": "receptionist", "expires_in_days": 1},
		&svc, signedInAs, "admin"); code != http.StatusCreated {
		t.Fatalf("service token: HTTP %d", code)
	}
	code, _, body = raw(t, base, "GET", "/api/v1/auth/me", "", "", "Authorization", "Bearer "+svc.Token)
	if code != http.StatusOK || !strings.Contains(body, `"role":"receptionist"`) || !strings.Contains(body, `"staff_code":""`) {
		t.Errorf("me of a service token: HTTP %d %s", code, body)
	}
	if code := call(t, "GET", "/api/v1/tokens", nil, &list, signedInAs, "admin"); code != http.StatusOK || len(list.Tokens) < 3 {
		t.Errorf("an admin's list: HTTP %d, %d tokens", code, len(list.Tokens))
	}
}

// TestAccountsThroughTheAPI: an admin creates an account, sets its
// password (which ends its sessions) and disables it; nobody else may.
func TestAccountsThroughTheAPI(t *testing.T) {
	t.Parallel()
	base := sys.http.URL
	if _, err := sys.store.Pool().Exec(t.Context(), `INSERT INTO staff (code, name, department, role)
		VALUES ('au_new', '新员工', 'customer_service', 'handler')`); err != nil {
		t.Fatal(err)
	}
	create := map[string]any{"staff_code": "au_new", "password": "first-password"}
	if code := call(t, "POST", "/api/v1/users", create, nil, signedInAs, "chen_jing"); code != http.StatusForbidden {
		t.Fatalf("a supervisor creates an account: HTTP %d, want 403", code)
	}
	var acct store.Account
	if code := call(t, "POST", "/api/v1/users", create, &acct, signedInAs, "admin"); code != http.StatusCreated ||
		acct.Username != "au_new" || acct.Role != "handler" || acct.Disabled {
		t.Fatalf("create: HTTP %d %+v", code, acct)
	}
	for _, bad := range []map[string]any{
		create, // again
		{"staff_code": "au_new2", "password": "first-password"},
		{"staff_code": "au_new", "username": "x", "password": "short"},
		{"staff_code": "au_new", "username": "Not Valid!", "password": "first-password"},
	} {
		if code := call(t, "POST", "/api/v1/users", bad, nil, signedInAs, "admin"); code < 400 || code >= 500 {
			t.Errorf("create %v: HTTP %d, want 4xx", bad, code)
		}
	}
	se, err := login(base, "au_new", "first-password")
	if err != nil {
		t.Fatal(err)
	}
	if code := call(t, "PUT", "/api/v1/users/au_new/password", map[string]any{"password": "second-password"}, nil, signedInAs, "admin"); code != http.StatusNoContent {
		t.Fatalf("set password: HTTP %d", code)
	}
	if code, _, _ := raw(t, base, "GET", "/api/v1/auth/me", "", "", sessionHeaders(se)...); code != http.StatusUnauthorized {
		t.Errorf("a session after its password changed: HTTP %d, want 401", code)
	}
	if _, err := login(base, "au_new", "first-password"); err == nil {
		t.Error("the old password still signs in")
	}
	if _, err := login(base, "au_new", "second-password"); err != nil {
		t.Fatal(err)
	}
	if code := call(t, "POST", "/api/v1/users/au_new/disable", nil, &acct, signedInAs, "admin"); code != http.StatusOK || !acct.Disabled {
		t.Fatalf("disable: HTTP %d %+v", code, acct)
	}
	if _, err := login(base, "au_new", "second-password"); err == nil {
		t.Error("a disabled account signs in")
	}
	if code := call(t, "POST", "/api/v1/users/au_nobody/disable", nil, nil, signedInAs, "admin"); code != http.StatusNotFound {
		t.Errorf("disable an unknown account: HTTP %d", code)
	}
	var users struct {
		Users []store.Account `json:"users"`
	}
	if code := call(t, "GET", "/api/v1/users", nil, &users, signedInAs, "auditor"); code != http.StatusForbidden {
		t.Errorf("an auditor lists accounts: HTTP %d, want 403 (admins only)", code)
	}
	if code := call(t, "GET", "/api/v1/users", nil, &users, signedInAs, "admin"); code != http.StatusOK || len(users.Users) < 17 {
		t.Errorf("list accounts: HTTP %d, %d accounts", code, len(users.Users))
	}
}

// TestAttacksWithoutIdentity replays the probes of issue 11 that needed no
// identity or a claimed X-Staff-Code (even a deactivated member's):
// changing the handbook, pausing a schedule, deleting a fee standard,
// editing the calendar and the question bank, closing a case with a score
// of 5, recording one's own exam at 100, promoting oneself through the
// staff import, and reading residents' names and phones. Each is now 401
// and changes nothing.
func TestAttacksWithoutIdentity(t *testing.T) {
	t.Parallel()
	base := sys.http.URL
	if _, err := sys.store.Pool().Exec(t.Context(), `INSERT INTO staff (code, name, department, role, active)
		VALUES ('au_left', '离职乙', 'customer_service', 'receptionist', false)`); err != nil {
		t.Fatal(err)
	}
	c := create(t, "noise")
	var fees struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if code := call(t, "GET", "/api/v1/communities/A/fees", nil, &fees); code != http.StatusOK || len(fees.Items) == 0 {
		t.Fatalf("fees: HTTP %d", code)
	}
	// What each probe would have changed, counted narrowly so that the
	// tests running beside this one do not move the figure.
	changed := func() int {
		return count(t, `SELECT count(*) FROM fee_standards WHERE id = $1 AND deleted_at IS NOT NULL`, fees.Items[0].ID) +
			count(t, `SELECT count(*) FROM training_questions WHERE question = '攻击?'`) +
			count(t, `SELECT count(*) FROM staff WHERE code = 'liu_fang' AND role <> 'receptionist'`) +
			count(t, `SELECT count(*) FROM calendar_days WHERE day >= '2031-01-01' AND day < '2032-01-01'`) +
			count(t, `SELECT count(*) FROM handbook_categories WHERE code = 'noise' AND name <> '噪音扰民'`)
	}
	if n := changed(); n != 0 {
		t.Fatalf("%d changes before the probes", n)
	}
	for _, who := range [][]string{nil, {"X-Staff-Code", "chen_jing"}, {"X-Staff-Code", "au_left"}} {
		for _, a := range []struct{ method, path, body, contentType string }{
			{"PUT", "/api/v1/handbook/categories/noise", `{"name": "改", "department": "security", "priority": "normal"}`, "application/json"},
			{"POST", "/api/v1/schedules/monthly-complaint-analysis/pause", `{"note": "x"}`, "application/json"},
			{"DELETE", "/api/v1/communities/A/fees/" + strconv.FormatInt(fees.Items[0].ID, 10), "", ""},
			{"PUT", "/api/v1/calendar/2031", `{"days": [{"day": "2031-01-01", "working": false, "name": "元旦"}]}`, "application/json"},
			{"POST", "/api/v1/training/questions", `{"topic": "emergency", "question": "攻击?", "choices": [{"key": "A", "text": "a"}, {"key": "B", "text": "b"}], "answer": "A"}`, "application/json"},
			{"POST", "/api/v1/complaints/" + c.Number + "/callback", `{"reached": true, "score": 5}`, "application/json"},
			{"POST", "/api/v1/training/cycles/2026-Q1/results", `{"staff": "liu_fang", "score": 100}`, "application/json"},
			{"POST", "/api/v1/imports/staff", "code,name,department,role\nliu_fang,刘芳,customer_service,property_manager\n", "text/csv"},
			{"GET", "/api/v1/callbacks?month=2026-01", "", ""},
			{"GET", "/api/v1/complaints/" + c.Number, "", ""},
			{"GET", "/api/v1/visits", "", ""},
			{"GET", "/api/v1/intake/emails", "", ""},
		} {
			code, _, body := raw(t, base, a.method, a.path, a.contentType, a.body, who...)
			if code != http.StatusUnauthorized || errorCode(t, body) != "unauthenticated" {
				t.Errorf("%s %s as %v: HTTP %d %s, want 401", a.method, a.path, who, code, body)
			}
		}
	}
	if n := changed(); n != 0 {
		t.Errorf("the refused probes made %d changes", n)
	}
	if got := get(t, c.Number); got.Status != "routed" {
		t.Errorf("the case is %s after the refused callback", got.Status)
	}
}
