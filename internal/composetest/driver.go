// Package composetest drives a running Concierge deployment over HTTP, as
// its clients do: it signs in on every API replica, takes complaints and
// repairs to closure through all of them, each case acted on by more than
// one replica, and then checks that every replica tells the same, closed,
// story of every case. `go run ./cmd/composetest` runs it against the
// Docker Compose topology (.ci/compose-test); a fault suite can run the
// same flows while it kills and restarts containers, and compare what the
// clients were told with what exists.
package composetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Client is one API replica, signed in with an API token.
type Client struct {
	Base  string // e.g. http://127.0.0.1:8080
	token string
	http  *http.Client
}

// SignIn signs in on the replica at base with a username and password,
// as a browser does (session cookie and CSRF token), and makes an API
// token with that session, as the README's examples do.
func SignIn(ctx context.Context, hc *http.Client, base, username, password string) (*Client, error) {
	c := &Client{Base: strings.TrimSuffix(base, "/"), http: hc}
	login := map[string]string{"username": username, "password": password}
	var session struct {
		CSRF string `json:"csrf_token"`
	}
	resp, err := c.request(ctx, http.MethodPost, "/api/v1/auth/login", nil, login, &session)
	if err != nil {
		return nil, fmt.Errorf("sign in as %s on %s: %w", username, base, err)
	}
	var cookies []string
	for _, ck := range resp.Cookies() {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	h := http.Header{"Cookie": {strings.Join(cookies, "; ")}, "X-CSRF-Token": {session.CSRF}}
	var tok struct {
		Token string `json:"token"`
	}
	if _, err := c.request(ctx, http.MethodPost, "/api/v1/tokens", h, map[string]string{"name": "compose test"}, &tok); err != nil {
		return nil, fmt.Errorf("make a token on %s: %w", base, err)
	}
	c.token = tok.Token
	return c, nil
}

// Do sends a request with the client's token (and an Idempotency-Key
// unless key is empty) and decodes a 2xx answer into out.
func (c *Client) Do(ctx context.Context, method, path, key string, body, out any) error {
	h := http.Header{"Authorization": {"Bearer " + c.token}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	_, err := c.request(ctx, method, path, h, body, out)
	return err
}

func (c *Client) request(ctx context.Context, method, path string, h http.Header, body, out any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return resp, &HTTPError{Method: method, URL: c.Base + path, Status: resp.StatusCode, Body: string(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// HTTPError is an answer other than 2xx.
type HTTPError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %.300s", e.Method, e.URL, e.Status, e.Body)
}

// Case is what a client was told about a case.
type Case struct {
	Number string `json:"number"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// step is one action on a case: its path under the case and its body.
type step struct {
	action string
	body   any
}

// flow is a kind of case taken from recording to closure: where it is
// recorded, in which handbook category, and the actions after.
type flow struct {
	kind, path, category string
	steps                []step
}

// body is the i-th case's recording, on the i-th demo unit (buildings
// 1–3, floors 1–6, two units a floor), by phone.
func (f flow) body(i int) map[string]any {
	return map[string]any{
		"community": "A", "unit": fmt.Sprintf("%d-%d%02d", 1+i%3, 1+(i/3)%6, 1+(i/18)%2),
		"channel": "phone", "category": f.category, "description": fmt.Sprintf("compose test %s %d", f.kind, i),
		"resident": map[string]any{"name": "测试住户", "phone": "13900000000"},
	}
}

var flows = []flow{
	{kind: "complaint", path: "/api/v1/complaints", category: "leak", steps: []step{
		{"acknowledge", nil},
		{"feedback", map[string]any{"message": "已安排维修"}},
		{"resolve", map[string]any{"resolution": "已修复"}},
		{"callback", map[string]any{"reached": true, "score": 5}},
	}},
	{kind: "repair", path: "/api/v1/repairs", category: "pipe_burst", steps: []step{
		{"arrive", nil},
		{"feedback", map[string]any{"message": "已关闭总阀"}},
		{"complete", map[string]any{"resolution": "更换水管", "score": 5}},
	}},
}

// Options are a run's size.
type Options struct {
	// PerReplica is how many cases of each kind are recorded on each replica.
	PerReplica  int
	Concurrency int
	// RunID keeps the Idempotency-Keys of two runs on one database apart.
	RunID string
}

// Result is what a run did.
type Result struct {
	Recorded map[string]int // by kind
	Closed   int
	Elapsed  time.Duration
	Cases    []Case
}

// Run records PerReplica complaints and repairs on every replica and takes
// each to closure, every action on the next replica in turn, so that each
// case passes through all of them. Each recording is sent twice with the
// same Idempotency-Key, and must answer the same case both times.
func Run(ctx context.Context, clients []*Client, o Options) (Result, error) {
	if len(clients) == 0 {
		return Result{}, errors.New("no API replica")
	}
	start := time.Now()
	type job struct {
		f flow
		i int
	}
	var jobs []job
	for i := 0; i < o.PerReplica*len(clients); i++ {
		for _, f := range flows {
			jobs = append(jobs, job{f, i})
		}
	}
	res := Result{Recorded: map[string]int{}}
	var mu sync.Mutex
	var errs []error
	work := make(chan job)
	var wg sync.WaitGroup
	for range max(1, o.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				c, err := runFlow(ctx, clients, j.f, j.i, o.RunID)
				mu.Lock()
				if c.Number != "" {
					res.Recorded[j.f.kind]++
					res.Cases = append(res.Cases, c)
				}
				if err != nil {
					errs = append(errs, err)
				} else {
					res.Closed++
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, errors.Join(errs...)
}

func runFlow(ctx context.Context, clients []*Client, f flow, i int, runID string) (Case, error) {
	at := func(n int) *Client { return clients[(i+n)%len(clients)] }
	key := fmt.Sprintf("compose-%s-%s-%d", runID, f.kind, i)
	var c, again Case
	if err := at(0).Do(ctx, http.MethodPost, f.path, key, f.body(i), &c); err != nil {
		return c, err
	}
	c.Kind = f.kind
	// The same request again, on another replica: the same case.
	if err := at(1).Do(ctx, http.MethodPost, f.path, key, f.body(i), &again); err != nil {
		return c, err
	}
	if again.Number != c.Number {
		return c, fmt.Errorf("%s: the same Idempotency-Key answered %s, then %s", f.kind, c.Number, again.Number)
	}
	for n, s := range f.steps {
		if err := at(n+1).Do(ctx, http.MethodPost, f.path+"/"+c.Number+"/"+s.action, "", s.body, &c); err != nil {
			return c, err
		}
	}
	c.Kind = f.kind
	if c.Status != "closed" {
		return c, fmt.Errorf("%s %s ended %s, want closed", f.kind, c.Number, c.Status)
	}
	return c, nil
}

// Verify reads every case back from every replica: each must show it
// closed, with its kind.
func Verify(ctx context.Context, clients []*Client, cases []Case) error {
	var errs []error
	for _, cl := range clients {
		for _, want := range cases {
			var got Case
			path := "/api/v1/complaints/"
			if want.Kind == "repair" {
				path = "/api/v1/repairs/"
			}
			if err := cl.Do(ctx, http.MethodGet, path+want.Number, "", nil, &got); err != nil {
				errs = append(errs, err)
				continue
			}
			if got.Status != "closed" || got.Number != want.Number {
				errs = append(errs, fmt.Errorf("%s reads %s as %s (%s), want closed", cl.Base, want.Number, got.Status, got.Number))
			}
		}
	}
	return errors.Join(errs...)
}
