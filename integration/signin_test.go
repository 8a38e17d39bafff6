package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/store"
)

// testPassword is the password of every account of the test database
// (TestMain gives each member of staff one).
const testPassword = "integration-password"

// defaultStaff is who a request acts as when the test names nobody: a
// supervisor, as the front desk's requests were acted on before sign-in.
const defaultStaff = "chen_jing"

// signedInAs is a pseudo-header of the tests: a request that carries it
// is sent with the session of that member of staff (signed in once per
// API server, then reused), as a browser would send its cookie and the
// CSRF token. A request without it, without its own Authorization or
// Cookie header and without X-Staff-Code acts as defaultStaff; a request
// with only X-Staff-Code is sent with no identity at all, to show the
// header names nobody.
const signedInAs = "Signed-In-As"

// session is one sign-in: the cookie and the CSRF token.
type session struct {
	cookie *http.Cookie
	csrf   string
}

// sessions are the tests' sign-ins, by API server and staff code.
type sessions struct {
	mu      sync.Mutex
	byID    map[string]session
	service map[string]string // role → token
}

// serviceToken is the tests' service-role token of a role, made once.
func (s *sessions) serviceToken(ctx context.Context, role string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.service[role]; ok {
		return tok, nil
	}
	tok, err := auth.NewSecret(auth.APITokenPrefix)
	if err != nil {
		return "", err
	}
	if _, err := sys.store.CreateToken(ctx, store.Who{Actor: "test"}, store.NewToken{Hash: auth.Hash(tok), Name: "integration service",
		ServiceRole: role, Scopes: []string{"read", "write", "admin"}, CreatedBy: "test", TTL: time.Hour}); err != nil {
		return "", err
	}
	if s.service == nil {
		s.service = map[string]string{}
	}
	s.service[role] = tok
	return tok, nil
}

// signIn returns the session of code on the API at base, signing in the
// first time.
func (s *sessions) signIn(base, code string) (session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if se, ok := s.byID[base+" "+code]; ok {
		return se, nil
	}
	se, err := login(base, code, testPassword)
	if err != nil {
		return session{}, err
	}
	if s.byID == nil {
		s.byID = map[string]session{}
	}
	s.byID[base+" "+code] = se
	return se, nil
}

// login signs in through the API and answers the session.
func login(base, username, password string) (session, error) {
	raw, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(raw))
	if err != nil {
		return session{}, fmt.Errorf("sign in as %s: %w", username, err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return session{}, fmt.Errorf("sign in as %s: HTTP %d %v", username, resp.StatusCode, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "concierge_session" {
			return session{cookie: c, csrf: out.CSRF}, nil
		}
	}
	return session{}, fmt.Errorf("sign in as %s: no session cookie", username)
}

// signingTransport adds the session the request asks for (signedInAs) or
// the default one, as the doc of signedInAs says.
type signingTransport struct{ sessions *sessions }

func (t signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	code := req.Header.Get(signedInAs)
	switch {
	case code != "":
	case req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" || req.Header.Get("X-Staff-Code") != "":
		return http.DefaultTransport.RoundTrip(req)
	default:
		code = defaultStaff
	}
	req = req.Clone(req.Context())
	req.Header.Del(signedInAs)
	if role, ok := strings.CutPrefix(code, servicePrefix); ok {
		tok, err := t.sessions.serviceToken(req.Context(), role)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return http.DefaultTransport.RoundTrip(req)
	}
	se, err := t.sessions.signIn(req.URL.Scheme+"://"+req.URL.Host, code)
	if err != nil {
		return nil, err
	}
	req.AddCookie(se.cookie)
	req.Header.Set("X-CSRF-Token", se.csrf)
	return http.DefaultTransport.RoundTrip(req)
}

// staffClient is http.DefaultClient signed in: every request the tests
// send to the API goes through it.
func staffClient() *http.Client {
	return &http.Client{Transport: signingTransport{sessions: &sys.sessions}}
}

// asService, as the value of signedInAs, sends a service-role token (made
// once by the store, with every scope, so that only its role decides): an
// identity that names no member of staff. It acts
// with the role centre_manager, which may use every endpoint that needs a
// named member of staff but the imports; servicePrefix+role sends a token
// of another role.
const (
	servicePrefix = "service:"
	asService     = servicePrefix + "centre_manager"
)
