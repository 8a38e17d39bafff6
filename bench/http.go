package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/store"
)

// caseAnswer is what the benchmark reads of a case answer.
type caseAnswer struct {
	Number string `json:"number"`
	Status string `json:"status"`
}

// create records complaint i over HTTP and returns its number.
func (e *env) create(ctx context.Context, i int) (string, error) {
	body := map[string]any{
		"community": "A", "unit": fmt.Sprintf("%d-%d%02d", 1+i%3, 1+(i/3)%6, 1+(i/18)%2),
		"resident": map[string]any{"name": "压测住户", "phone": "13900000000"},
		"channel":  "phone", "category": "leak", "description": "压测投诉 " + strconv.Itoa(i),
	}
	var c caseAnswer
	err := post(ctx, e.hc, e.se, e.base+"/api/v1/complaints", body, &c)
	return c.Number, err
}

// createOpen records complaint i to be left open, as a client that must
// not lose it would: with an idempotency key, again after a 503 (the worker
// did not answer in time on a loaded machine; the retry gets the same case).
// Only the memory phase uses it: it is timed by nothing.
func (e *env) createOpen(ctx context.Context, i int) (string, error) {
	body := map[string]any{
		"community": "A", "unit": fmt.Sprintf("%d-%d%02d", 1+i%3, 1+(i/3)%6, 1+(i/18)%2),
		"resident": map[string]any{"name": "压测住户", "phone": "13900000000"},
		"channel":  "phone", "category": "leak", "description": "压测投诉 " + strconv.Itoa(i),
	}
	key := fmt.Sprintf("bench-%s-open-%d", e.run, i)
	var err error
	for range 5 {
		var c caseAnswer
		if err = postWithKey(ctx, e.hc, e.se, e.base+"/api/v1/complaints", key, body, &c); err == nil {
			return c.Number, nil
		}
		if !strings.Contains(err.Error(), "HTTP 503") {
			return "", err
		}
	}
	return "", err
}

// action takes the happy path's step on a complaint over HTTP.
func (e *env) action(ctx context.Context, number string, step int, out *caseAnswer) error {
	if out == nil {
		out = &caseAnswer{}
	}
	s := happySteps[step]
	return post(ctx, e.hc, e.se, e.base+"/api/v1/complaints/"+number+"/"+s.action, s.body, out)
}

// happyPath records complaint i and takes it to closed over HTTP. Each
// request goes through observe, if given, with its step (-1 for the
// create), so that it can be timed.
func (e *env) happyPath(ctx context.Context, i int, observe func(step int, call func() error) error) (string, error) {
	if observe == nil {
		observe = func(_ int, call func() error) error { return call() }
	}
	var number string
	if err := observe(-1, func() error {
		var err error
		number, err = e.create(ctx, i)
		return err
	}); err != nil {
		return "", err
	}
	var c caseAnswer
	for step := range happySteps {
		if err := observe(step, func() error { return e.action(ctx, number, step, &c) }); err != nil {
			return number, err
		}
	}
	if c.Status != "closed" {
		return number, fmt.Errorf("%s ended %s", number, c.Status)
	}
	return number, nil
}

// get reads a complaint over HTTP.
func (e *env) get(ctx context.Context, number string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/api/v1/complaints/"+number, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Cookie", e.se.cookie)
	resp, err := e.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", number, resp.StatusCode)
	}
	return nil
}

// session is the benchmark's sign-in: every request carries it as a
// browser would, so the numbers include resolving the session.
type session struct{ cookie, csrf string }

// benchStaff is the member of staff the benchmark signs in as: a
// supervisor, who may take every action of the happy path (a receptionist
// records and calls back, a handler acknowledges and resolves).
const benchStaff = "chen_jing"

// signIn gives benchStaff a fresh random password and signs in with it
// through the API.
func signIn(ctx context.Context, st *store.Store, hc *http.Client, base string) (session, error) {
	pw, err := auth.NewSecret("")
	if err != nil {
		return session{}, err
	}
	h, err := auth.HashPassword(pw, auth.DefaultParams())
	if err != nil {
		return session{}, err
	}
	if err := st.CreateAccount(ctx, store.Who{Actor: "bench"}, benchStaff, benchStaff, h); errors.Is(err, store.ErrConflict) {
		err = st.SetPassword(ctx, store.Who{Actor: "bench"}, benchStaff, h)
		if err != nil {
			return session{}, err
		}
	} else if err != nil {
		return session{}, err
	}
	raw, _ := json.Marshal(map[string]string{"username": benchStaff, "password": pw})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(raw))
	if err != nil {
		return session{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return session{}, fmt.Errorf("sign in: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return session{}, fmt.Errorf("sign in: HTTP %d %v", resp.StatusCode, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "concierge_session" {
			return session{cookie: c.Name + "=" + c.Value, csrf: out.CSRF}, nil
		}
	}
	return session{}, errors.New("sign in: no session cookie")
}

func post(ctx context.Context, hc *http.Client, se session, url string, body, out any) error {
	return postWithKey(ctx, hc, se, url, "", body, out)
}

// postWithKey posts with an Idempotency-Key, when key is not empty.
func postWithKey(ctx context.Context, hc *http.Client, se session, url, key string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", se.cookie)
	req.Header.Set("X-CSRF-Token", se.csrf)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: HTTP %d %s", url, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}
