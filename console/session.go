package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// Cookies of the console. The session cookie has the API's name and holds
// the API's session id (the API's own copy is scoped to /api/, so the
// console keeps one scoped to /console/). The API stores only a hash of the
// session's CSRF token, so the console keeps the token the API answered at
// sign-in in a cookie of its own, HttpOnly and SameSite=Strict like the
// session: the server reads it to put it into every form, and another site
// can neither read it nor make the browser send it.
const (
	sessionCookie = "concierge_session"
	csrfCookie    = "concierge_console_csrf"
	// loginCookie carries the sign-in form's token, before any session.
	loginCookie = "concierge_console_login"
	// csrfField is the hidden field every form carries.
	csrfField = "csrf"
)

// me is the signed-in member of staff, as GET /api/v1/auth/me answers.
type me struct {
	Username    string   `json:"username"`
	StaffCode   string   `json:"staff_code"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Department  string   `json:"department"`
	Communities []string `json:"communities"`
}

const meKey = "console.me"

// signedIn lets a request through with its member of staff (GET
// /api/v1/auth/me, which checks the session exactly as every API route
// does), or sends the browser to sign in.
func (a *app) signedIn(c *gin.Context) {
	toLogin := func(expired bool) {
		q := url.Values{"next": {c.Request.URL.RequestURI()}}
		if expired {
			q.Set("expired", "1")
		}
		if c.Request.Method != http.MethodGet {
			q.Del("next")
		}
		c.Redirect(http.StatusSeeOther, Prefix+"/login?"+q.Encode())
		c.Abort()
	}
	if v, err := c.Cookie(sessionCookie); err != nil || v == "" {
		toLogin(false)
		return
	}
	var who me
	err := a.api.get(c, "/api/v1/auth/me", &who)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		a.clearSession(c)
		toLogin(true)
		return
	case err != nil:
		a.fail(c, err)
		c.Abort()
		return
	}
	c.Set(meKey, who)
	c.Next()
}

// whoami is the member of staff signedIn found.
func whoami(c *gin.Context) me {
	v, _ := c.Get(meKey)
	m, _ := v.(me)
	return m
}

// checkCSRF refuses a form whose hidden token is not the session's (403,
// changing nothing). The API checks the same token against the session
// again when the console forwards the action.
func (a *app) checkCSRF(c *gin.Context) {
	want, err := c.Cookie(csrfCookie)
	got := c.PostForm(csrfField)
	if err != nil || want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		a.errorPage(c, http.StatusForbidden, "error.csrf", "")
		c.Abort()
		return
	}
	c.Next()
}

// csrfToken is the session's CSRF token, for the forms of a page.
func csrfToken(c *gin.Context) string {
	v, _ := c.Cookie(csrfCookie)
	return v
}

func (a *app) setCookie(c *gin.Context, name, value, path string, maxAge int, secure bool) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure || c.Request.TLS != nil})
}

func (a *app) clearSession(c *gin.Context) {
	a.setCookie(c, sessionCookie, "", Prefix+"/", -1, false)
	a.setCookie(c, csrfCookie, "", Prefix+"/", -1, false)
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// loginForm is what the sign-in page shows.
type loginForm struct {
	Username string
	Next     string
	Error    string
	Detail   string
	Notice   string
}

func (a *app) loginPage(c *gin.Context) {
	f := loginForm{Next: safeNext(c.Query("next"))}
	switch {
	case c.Query("expired") == "1":
		f.Notice = "login.expired"
	case c.Query("out") == "1":
		f.Notice = "login.out"
	}
	a.renderLogin(c, http.StatusOK, f)
}

// renderLogin shows the sign-in form with a fresh form token.
func (a *app) renderLogin(c *gin.Context, status int, f loginForm) {
	tok, err := randomToken()
	if err != nil {
		a.fail(c, err)
		return
	}
	a.setCookie(c, loginCookie, tok, Prefix+"/login", 3600, false)
	p := a.newPage(c, "login.title")
	p.CSRF = tok
	p.Data = f
	a.render(c, status, "login", p)
}

// login signs in through the API (POST /api/v1/auth/login: its lockout,
// rate limit and answers) and keeps its session and CSRF token in the
// console's cookies.
func (a *app) login(c *gin.Context) {
	f := loginForm{Username: strings.TrimSpace(c.PostForm("username")), Next: safeNext(c.PostForm("next"))}
	want, err := c.Cookie(loginCookie)
	if err != nil || want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(c.PostForm(csrfField))) != 1 {
		f.Error = "error.csrf"
		a.renderLogin(c, http.StatusForbidden, f)
		return
	}
	password := c.PostForm("password")
	if f.Username == "" || password == "" {
		f.Error = "error.required"
		a.renderLogin(c, http.StatusUnprocessableEntity, f)
		return
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	rec, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/auth/login",
		body: map[string]string{"username": f.Username, "password": password}}, &out)
	var ae *apiError
	if errors.As(err, &ae) {
		f.Error = "error." + ae.Code
		if _, ok := a.cat[f.Error]; !ok || ae.Code == "" {
			f.Error = "error.internal"
		}
		if ae.Code == "too_many_attempts" {
			f.Detail = ae.RetryAfter
		} else if ae.Code == "invalid_input" {
			f.Detail = ae.Message
		}
		a.renderLogin(c, ae.Status, f)
		return
	} else if err != nil {
		a.fail(c, err)
		return
	}
	resp := http.Response{Header: rec.header}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			a.setCookie(c, sessionCookie, ck.Value, Prefix+"/", ck.MaxAge, ck.Secure)
			a.setCookie(c, csrfCookie, out.CSRF, Prefix+"/", ck.MaxAge, ck.Secure)
			a.setCookie(c, loginCookie, "", Prefix+"/login", -1, false)
			c.Redirect(http.StatusSeeOther, f.Next)
			return
		}
	}
	a.fail(c, errors.New("sign-in answered no session cookie"))
}

// logout ends the session through the API (with the form's CSRF token).
func (a *app) logout(c *gin.Context) {
	_, err := a.api.do(c, call{method: http.MethodPost, path: "/api/v1/auth/logout", csrf: c.PostForm(csrfField)}, nil)
	var ae *apiError
	if err != nil && !(errors.As(err, &ae) && ae.Status == http.StatusUnauthorized) {
		a.fail(c, err)
		return
	}
	a.clearSession(c)
	c.Redirect(http.StatusSeeOther, Prefix+"/login?out=1")
}
