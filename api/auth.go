package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/store"
)

// AuthConfig is how staff sign in (docs/DESIGN.md §7.2).
type AuthConfig struct {
	// SessionIdle ends a session unused that long (2 h when zero);
	// SessionMax ends it that long after sign-in (12 h when zero).
	SessionIdle time.Duration
	SessionMax  time.Duration
	// SecureCookies marks the cookie Secure on plain HTTP too; it always is
	// on a TLS request.
	SecureCookies bool
	// Lockout is the schedule of failed sign-ins (auth.DefaultLockout() when
	// zero); Params the cost of new password hashes (auth.DefaultParams()
	// when zero): hashes made with less are replaced at sign-in.
	Lockout auth.Lockout
	Params  auth.Params
}

func (a *AuthConfig) defaults() {
	if a.SessionIdle <= 0 {
		a.SessionIdle = 2 * time.Hour
	}
	if a.SessionMax <= 0 {
		a.SessionMax = 12 * time.Hour
	}
	if a.Lockout == (auth.Lockout{}) {
		a.Lockout = auth.DefaultLockout()
	}
	if a.Params == (auth.Params{}) {
		a.Params = auth.DefaultParams()
	}
}

// DefaultTokenDays is how long an API token lasts unless its maker says.
const DefaultTokenDays = 90

// registerAuthRoutes adds sign-in (on open, the group without
// authentication) and the account and token endpoints (on authed).
func (s *Server) registerAuthRoutes(open, authed *gin.RouterGroup) {
	open.POST("/auth/login", s.loginLimit.Middleware(), s.handle(s.login))
	authed.POST("/auth/logout", s.handle(s.logout))
	authed.GET("/auth/me", s.handle(s.me))

	// Who may: routePermissions (account:manage, the admin's).
	authed.GET("/users", s.handle(s.listUsers))
	authed.POST("/users", s.handle(s.createUser))
	authed.PUT("/users/:username/password", s.handle(s.setUserPassword))
	authed.POST("/users/:username/disable", s.handle(s.disableUser(true)))
	authed.POST("/users/:username/enable", s.handle(s.disableUser(false)))
	authed.GET("/tokens", s.handle(s.listTokens))
	authed.POST("/tokens", s.handle(s.createToken))
	authed.DELETE("/tokens/:id", s.handle(s.revokeToken))
}

type loginRequest struct {
	Username string `json:"username" binding:"required,max=64"`
	Password string `json:"password" binding:"required,max=1024"`
}

// dummyHash is verified against when the name has no account, so that an
// unknown name takes as long to refuse as a wrong password.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() {
		h, err := auth.HashPassword("no account has this password", s.cfg.Auth.Params)
		if err == nil {
			s.dummy = h
		}
	})
	return s.dummy
}

// login checks a username and password and starts a session: the cookie
// carries its id, the answer its CSRF token. A wrong password, an unknown
// name, a disabled account and a deactivated member of staff all get the
// same 401, and all count as failures of the name: after
// Lockout.Free of them each attempt must wait longer (429 with
// Retry-After), and Lockout.LockAfter lock the name for Lockout.LockFor.
func (s *Server) login(c *gin.Context) error {
	var req loginRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	name := strings.ToLower(strings.TrimSpace(req.Username))
	l := s.cfg.Auth.Lockout
	failures, last, locked, err := s.cfg.Store.LoginFailures(ctx, name)
	if err != nil {
		return err
	}
	now, err := s.cfg.Store.Now(ctx)
	if err != nil {
		return err
	}
	if wait := l.Wait(now, failures, last, locked); wait > 0 {
		return tooManyAttempts(c, wait)
	}
	acct, err := s.cfg.Store.AccountByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_ = auth.VerifyPassword(req.Password, s.dummyHash())
		return s.loginFailed(ctx, c, name)
	case err != nil:
		return err
	}
	if err := auth.VerifyPassword(req.Password, acct.PasswordHash); err != nil || acct.Disabled || !acct.StaffActive {
		if err != nil && !errors.Is(err, auth.ErrMismatch) {
			s.cfg.Logger.Error("stored password hash is malformed", "username", name)
		}
		return s.loginFailed(ctx, c, name)
	}
	if err := s.cfg.Store.ClearLoginFailures(ctx, name); err != nil {
		return err
	}
	if auth.NeedsRehash(acct.PasswordHash, s.cfg.Auth.Params) {
		if h, err := auth.HashPassword(req.Password, s.cfg.Auth.Params); err == nil {
			if err := s.cfg.Store.RehashPassword(ctx, name, acct.PasswordHash, h); err != nil {
				s.cfg.Logger.Warn("could not replace a weaker password hash", "error", err)
			}
		}
	}
	sid, err := auth.NewSecret(auth.SessionPrefix)
	if err != nil {
		return err
	}
	csrf, err := auth.NewSecret(auth.CSRFPrefix)
	if err != nil {
		return err
	}
	maxAge := s.cfg.Auth.SessionMax
	if err := s.cfg.Store.CreateSession(ctx, name, auth.Hash(sid), auth.Hash(csrf), maxAge); err != nil {
		return err
	}
	s.setSessionCookie(c, sid, int(maxAge.Seconds()))
	s.cfg.Logger.Info("signed in", "username", name, "staff", acct.StaffCode)
	c.JSON(http.StatusOK, gin.H{
		"csrf_token":   csrf,
		"expires_at":   now.Add(maxAge),
		"idle_timeout": int(s.cfg.Auth.SessionIdle.Seconds()),
		"user": meJSON(store.Identity{StaffCode: acct.StaffCode, Name: acct.Name, Role: acct.Role,
			Department: acct.Department, Username: acct.Username, Via: "session"}),
	})
	return nil
}

func (s *Server) loginFailed(ctx context.Context, c *gin.Context, name string) error {
	if _, _, err := s.cfg.Store.RecordLoginFailure(ctx, name, s.cfg.Auth.Lockout); err != nil {
		return err
	}
	return &Problem{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: "wrong username or password"}
}

// tooManyAttempts answers 429 with the seconds to wait in Retry-After.
func tooManyAttempts(c *gin.Context, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	c.Header("Retry-After", strconv.Itoa(secs))
	return &Problem{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
		Message: fmt.Sprintf("too many failed sign-ins for this name: try again in %d s", secs)}
}

func (s *Server) setSessionCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/api/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request.TLS != nil || s.cfg.Auth.SecureCookies,
	})
}

// logout ends the session of the request (a token request has none: it
// changes nothing; tokens are revoked through DELETE /tokens/{id}).
func (s *Server) logout(c *gin.Context) error {
	if id, _ := identity(c); id.Via == "session" {
		cookie, _ := c.Cookie(sessionCookie)
		if err := s.cfg.Store.DeleteSession(c.Request.Context(), auth.Hash(cookie)); err != nil {
			return err
		}
		s.setSessionCookie(c, "", -1)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// meJSON is who an identity is, without secrets.
func meJSON(id store.Identity) gin.H {
	h := gin.H{"username": id.Username, "staff_code": id.StaffCode, "name": id.Name, "role": id.Role,
		"department": id.Department, "via": id.Via}
	if id.Via == "token" {
		h["token_id"], h["scopes"] = id.TokenID, id.Scopes
	}
	return h
}

func (s *Server) me(c *gin.Context) error {
	id, _ := identity(c)
	h := meJSON(id)
	// The communities the caller reaches (docs/DESIGN.md §7.6); absent
	// when they reach every community.
	if codes, all := reach(id); !all {
		h["communities"] = codes
	}
	c.JSON(http.StatusOK, h)
	return nil
}

func (s *Server) listUsers(c *gin.Context) error {
	accts, err := s.cfg.Store.Accounts(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"users": accts})
	return nil
}

type createUserRequest struct {
	StaffCode string `json:"staff_code" binding:"required,max=32"`
	Username  string `json:"username" binding:"max=64"`
	Password  string `json:"password" binding:"required,max=1024"`
}

// checkPassword is the rule every new password meets.
func checkPassword(pw string) error {
	if len([]rune(pw)) < auth.MinPasswordLen {
		return invalidf("the password must have at least %d characters", auth.MinPasswordLen)
	}
	return nil
}

func (s *Server) createUser(c *gin.Context) error {
	var req createUserRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	if req.Username == "" {
		req.Username = req.StaffCode
	}
	req.Username = strings.ToLower(req.Username)
	if !validUsername(req.Username) {
		return invalid("username: want 1–64 of a-z, 0-9, _ . -")
	}
	if err := checkPassword(req.Password); err != nil {
		return err
	}
	h, err := auth.HashPassword(req.Password, s.cfg.Auth.Params)
	if err != nil {
		return err
	}
	err = s.cfg.Store.CreateAccount(c.Request.Context(), who(c), req.Username, req.StaffCode, h)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return invalidf("staff_code %q is not a member of staff", req.StaffCode)
	case errors.Is(err, store.ErrConflict):
		return conflict("exists", "the username is taken or the member of staff has an account")
	case err != nil:
		return err
	}
	acct, err := s.cfg.Store.AccountByName(c.Request.Context(), req.Username)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("account created", "username", req.Username, "by", actor(c))
	c.JSON(http.StatusCreated, acct)
	return nil
}

// validUsername is the accounts table's rule.
func validUsername(u string) bool {
	if len(u) == 0 || len(u) > 64 {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

type passwordRequest struct {
	Password string `json:"password" binding:"required,max=1024"`
}

// setUserPassword replaces a password and ends the account's sessions.
func (s *Server) setUserPassword(c *gin.Context) error {
	var req passwordRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	if err := checkPassword(req.Password); err != nil {
		return err
	}
	h, err := auth.HashPassword(req.Password, s.cfg.Auth.Params)
	if err != nil {
		return err
	}
	name := c.Param("username")
	if err := orNotFound(s.cfg.Store.SetPassword(c.Request.Context(), who(c), name, h), notFoundf("no account %q", name)); err != nil {
		return err
	}
	s.cfg.Logger.Info("password set", "username", name, "by", actor(c))
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) disableUser(disabled bool) func(*gin.Context) error {
	return func(c *gin.Context) error {
		ctx, name := c.Request.Context(), c.Param("username")
		if err := orNotFound(s.cfg.Store.SetAccountDisabled(ctx, who(c), name, disabled), notFoundf("no account %q", name)); err != nil {
			return err
		}
		acct, err := s.cfg.Store.AccountByName(ctx, name)
		if err != nil {
			return err
		}
		s.cfg.Logger.Info("account disabled", "username", name, "disabled", disabled, "by", actor(c))
		c.JSON(http.StatusOK, acct)
		return nil
	}
}

// listTokens lists every token for an admin, one's own for anyone else.
func (s *Server) listTokens(c *gin.Context) error {
	id, _ := identity(c)
	owner := id.StaffCode
	if id.Role == "admin" {
		owner = ""
	} else if owner == "" {
		// As requireStaff: the role may, but a service token names nobody
		// whose tokens these would be.
		return invalid("a member of staff's sign-in or token is required: a service token has no tokens of its own")
	}
	toks, err := s.cfg.Store.Tokens(c.Request.Context(), owner)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"tokens": toks})
	return nil
}

type createTokenRequest struct {
	Name        string   `json:"name" binding:"required,max=100"`
	StaffCode   string   `json:"staff_code" binding:"max=32"`
	ServiceRole string   `json:"service_role" binding:"max=32"`
	Scopes      []string `json:"scopes" binding:"max=3"`
	ExpiresDays int      `json:"expires_in_days" binding:"min=0,max=365"`
}

// createToken makes an API token and shows it once. Anyone signed in may
// make one for themselves with read and write; only an admin for another
// member, for a service role, or with the admin scope.
func (s *Server) createToken(c *gin.Context) error {
	var req createTokenRequest
	if err := bindBody(c, &req); err != nil {
		return err
	}
	id, _ := identity(c)
	if req.StaffCode == "" && req.ServiceRole == "" {
		req.StaffCode = id.StaffCode
	}
	if req.StaffCode != "" && req.ServiceRole != "" {
		return invalid("a token is bound to staff_code or to service_role, not both")
	}
	if len(req.Scopes) == 0 {
		req.Scopes = []string{ScopeRead, ScopeWrite}
	}
	for _, sc := range req.Scopes {
		if !slices.Contains(scopeNames(), sc) {
			return invalidf("scope %q: want %s", sc, strings.Join(scopeNames(), ", "))
		}
	}
	slices.Sort(req.Scopes)
	req.Scopes = slices.Compact(req.Scopes)
	if req.ServiceRole != "" && !domain.Role(req.ServiceRole).Valid() {
		return invalidf("service_role %q: a service token acts with one of the roles (%s)", req.ServiceRole, roleList())
	}
	if id.Role != "admin" && (req.StaffCode != id.StaffCode || slices.Contains(req.Scopes, ScopeAdmin)) {
		return &Problem{Status: http.StatusForbidden, Code: "forbidden",
			Message: "only an admin makes tokens for others, for service roles or with the admin scope"}
	}
	if req.ExpiresDays == 0 {
		req.ExpiresDays = DefaultTokenDays
	}
	secret, err := auth.NewSecret(auth.APITokenPrefix)
	if err != nil {
		return err
	}
	tok, err := s.cfg.Store.CreateToken(c.Request.Context(), who(c), store.NewToken{Hash: auth.Hash(secret), Name: req.Name,
		StaffCode: req.StaffCode, ServiceRole: req.ServiceRole, Scopes: req.Scopes, CreatedBy: actor(c),
		TTL: time.Duration(req.ExpiresDays) * 24 * time.Hour})
	if errors.Is(err, store.ErrNotFound) {
		return invalidf("staff_code %q is not a member of staff", req.StaffCode)
	}
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("token created", "token", tok.ID, "by", actor(c))
	c.JSON(http.StatusCreated, gin.H{"token": secret, "details": tok})
	return nil
}

// roleList names every role, for messages.
func roleList() string {
	names := make([]string, 0, len(domain.Roles()))
	for _, r := range domain.Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// revokeToken revokes a token: an admin any, anyone else their own.
func (s *Server) revokeToken(c *gin.Context) error {
	n, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || n < 1 {
		return notFoundf("no token %q", c.Param("id"))
	}
	ctx := c.Request.Context()
	tok, err := s.cfg.Store.TokenByID(ctx, n)
	if err := orNotFound(err, notFoundf("no token %d", n)); err != nil {
		return err
	}
	id, _ := identity(c)
	if id.Role != "admin" && (tok.StaffCode == nil || *tok.StaffCode != id.StaffCode) {
		// Another's token is not shown to exist.
		return notFoundf("no token %d", n)
	}
	if tok, err = s.cfg.Store.RevokeToken(ctx, who(c), n); err != nil {
		return err
	}
	s.cfg.Logger.Info("token revoked", "token", n, "by", actor(c))
	c.JSON(http.StatusOK, tok)
	return nil
}
