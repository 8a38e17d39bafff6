package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/store"
)

// actorKey is where authenticate keeps the acting member of staff's code
// in the request's gin context, identityKey the whole store.Identity (role,
// department, token scopes) for the checks that need more.
const (
	actorKey    = "concierge.actor"
	identityKey = "concierge.identity"
)

// defaultActor acts for a service-role token, which names no member of
// staff: the front desk, as before sign-in existed.
const defaultActor = "front_desk"

// sessionCookie holds the session id; csrfHeader carries the session's
// CSRF token on every state-changing request.
const (
	sessionCookie = "concierge_session"
	csrfHeader    = "X-CSRF-Token"
)

// Token scopes (docs/DESIGN.md §7.2): read allows GET; write allows every
// other method on the desk's endpoints; admin allows the account and token
// endpoints (/users, /tokens), for an admin's token.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAdmin = "admin"
)

// scopeNames are the scopes a token may carry.
func scopeNames() []string { return []string{ScopeRead, ScopeWrite, ScopeAdmin} }

// authenticate resolves every /api/v1 request (but sign-in and the routes
// with their own authentication) to the identity that sends it: a bearer
// API token, else the session cookie. Without one it answers 401; a
// session request that changes something must also carry the session's
// CSRF token, or it is 403 before its handler runs. Accounts, members of
// staff and tokens are checked on every request, so deactivating someone
// stops their sessions and tokens at once.
//
// X-Staff-Code identifies nobody any more: the code of the member acting
// is the signed-in one (actor), and the role is kept for the permission
// checks (identity).
func (s *Server) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	var id store.Identity
	var err error
	cookie, cookieErr := c.Cookie(sessionCookie)
	switch bearer, ok := bearerToken(c.GetHeader("Authorization")); {
	case ok:
		id, err = s.cfg.Store.TokenIdentity(ctx, auth.Hash(bearer))
	case c.GetHeader("Authorization") != "":
		fail(c, http.StatusUnauthorized, "unauthenticated", "the Authorization header must be Bearer <token>")
		return
	case cookieErr == nil && cookie != "":
		id, err = s.cfg.Store.SessionIdentity(ctx, auth.Hash(cookie), s.cfg.Auth.SessionIdle)
	default:
		msg := "sign in first (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)"
		if c.GetHeader("X-Staff-Code") != "" {
			msg = "X-Staff-Code identifies nobody: " + msg
		}
		fail(c, http.StatusUnauthorized, "unauthenticated", msg)
		return
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.Header("WWW-Authenticate", `Bearer realm="concierge"`)
		fail(c, http.StatusUnauthorized, "unauthenticated", "the session or token is unknown, expired, revoked or its account is disabled: sign in again")
		return
	case err != nil:
		s.internal(c, err)
		return
	}
	// The payload codec's POSTs only translate what the caller sends (and
	// its CORS answers only the Web UI's origins), so they change nothing
	// and the Web UI, which cannot send a CSRF token, may call them.
	changes := !slices.Contains([]string{http.MethodGet, http.MethodHead, http.MethodOptions}, c.Request.Method) &&
		!strings.HasPrefix(c.FullPath(), CodecPath+"/")
	if id.Via == "session" && changes {
		sent := c.GetHeader(csrfHeader)
		if sent == "" || subtle.ConstantTimeCompare(auth.Hash(sent), id.CSRFHash) != 1 {
			fail(c, http.StatusForbidden, "csrf", "this request changes something: send the session's CSRF token (from sign-in) in "+csrfHeader)
			return
		}
	}
	if id.Via == "token" {
		if p := scopeProblem(id.Scopes, changes, isAccountRoute(c.FullPath())); p != nil {
			fail(c, p.Status, p.Code, p.Message)
			return
		}
	}
	code := id.StaffCode
	if code == "" {
		code = defaultActor
	}
	c.Set(actorKey, code)
	c.Set(identityKey, id)
	c.Next()
}

// bearerToken is the token of an "Authorization: Bearer <token>" header.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// isAccountRoute says whether a route manages accounts or tokens.
func isAccountRoute(route string) bool {
	return strings.HasPrefix(route, "/api/v1/users") || strings.HasPrefix(route, "/api/v1/tokens")
}

// scopeProblem is the refusal of a token request its scopes do not allow.
func scopeProblem(scopes []string, changes, accounts bool) *Problem {
	need := ScopeRead
	switch {
	case accounts:
		need = ScopeAdmin
	case changes:
		need = ScopeWrite
	}
	if slices.Contains(scopes, need) {
		return nil
	}
	return &Problem{Status: http.StatusForbidden, Code: "insufficient_scope", Message: "this token lacks the " + need + " scope"}
}

// requireStaff marks an endpoint whose record needs a named person: a
// service token, which names nobody, is refused with 422 that says who it
// needs (for example "the receptionist who records the visit").
func requireStaff(who string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if id, ok := identity(c); !ok || id.StaffCode == "" {
			fail(c, http.StatusUnprocessableEntity, "invalid_input", "a member of staff's sign-in or token is required: "+who)
			return
		}
		c.Next()
	}
}

// actor is the member of staff acting on this request, as authenticate
// found them (the front desk for a service token).
func actor(c *gin.Context) string {
	if code, ok := c.Get(actorKey); ok {
		return code.(string)
	}
	return defaultActor
}

// identity is the signed-in identity of this request.
func identity(c *gin.Context) (store.Identity, bool) {
	v, ok := c.Get(identityKey)
	if !ok {
		return store.Identity{}, false
	}
	id, ok := v.(store.Identity)
	return id, ok
}
