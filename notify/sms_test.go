package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type gotRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

// gateway is a fake SMS gateway that records requests and answers with
// the given handler.
type gateway struct {
	mu   sync.Mutex
	reqs []gotRequest
}

func (g *gateway) start(t *testing.T, answer http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.reqs = append(g.reqs, gotRequest{r.Method, r.URL.Path, r.Header.Clone(), body})
		g.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (g *gateway) requests() []gotRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gotRequest(nil), g.reqs...)
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

var sms = Message{
	Channel: ChannelSMS,
	To:      "+8613800138000",
	Body:    "您好！您的报修已受理，编号BX20261102-0001。\n查看进度：https://concierge.example.com/t/x?a=1&b=2",
	Ref:     "notification-42",
}

func TestSMSSendSuccessRequestIsExact(t *testing.T) {
	g := &gateway{}
	srv := g.start(t, status(http.StatusAccepted, `{"id":"abc"}`))
	s, err := NewSMSSender(SMSConfig{URL: srv.URL + "/v1/sms", Token: "tok-123", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), sms); err != nil {
		t.Fatalf("Send: %v", err)
	}
	reqs := g.requests()
	if len(reqs) != 1 {
		t.Fatalf("gateway got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/v1/sms" {
		t.Errorf("request %s %s", r.method, r.path)
	}
	for k, want := range map[string]string{
		"Content-Type":    "application/json",
		"Authorization":   "Bearer tok-123",
		"Idempotency-Key": "notification-42",
	} {
		if got := r.header.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	want := map[string]any{"to": sms.To, "text": sms.Body, "ref": sms.Ref}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v, want %v", got, want)
	}
	if !strings.Contains(string(r.body), "&b=2") {
		t.Errorf("link escaped in body %s", r.body)
	}
}

func TestSMSSendNoTokenNoAuthorization(t *testing.T) {
	g := &gateway{}
	srv := g.start(t, status(http.StatusOK, ""))
	s, err := NewSMSSender(SMSConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), sms); err != nil {
		t.Fatal(err)
	}
	if h := g.requests()[0].header; h.Get("Authorization") != "" {
		t.Errorf("Authorization sent without a token: %q", h.Get("Authorization"))
	}
}

func TestSMSSendFailures(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name      string
		answer    http.HandlerFunc
		to        string
		channel   string
		permanent bool
		calls     int
		want      []string // substrings of the error
		notWant   string
	}{
		{name: "500 is temporary", answer: status(500, "boom"), calls: 1, want: []string{"500", "boom"}},
		{name: "503 is temporary", answer: status(503, ""), calls: 1, want: []string{"503"}},
		{name: "429 is temporary", answer: status(429, "slow down"), calls: 1, want: []string{"429"}},
		{name: "408 is temporary", answer: status(408, ""), calls: 1, want: []string{"408"}},
		{name: "400 is permanent with status and body", answer: status(400, `{"error":"号码无效"}`), permanent: true, calls: 1,
			want: []string{"400 Bad Request", `号码无效`}},
		{name: "401 is permanent", answer: status(401, "bad token"), permanent: true, calls: 1, want: []string{"401"}},
		{name: "body cut to 200 bytes", answer: status(422, long), permanent: true, calls: 1,
			want: []string{strings.Repeat("x", 200)}, notWant: strings.Repeat("x", 201)},
		{name: "redirect is not followed", answer: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, calls: 1, want: []string{"302"}},
		{name: "letters in phone", to: "138-0013-8000", permanent: true, want: []string{"phone"}},
		{name: "too short", to: "+123456", permanent: true, want: []string{"phone"}},
		{name: "too long", to: "+1234567890123456", permanent: true, want: []string{"phone"}},
		{name: "empty phone", to: "", permanent: true, want: []string{"phone"}},
		{name: "email channel", channel: ChannelEmail, permanent: true, want: []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gateway{}
			answer := tt.answer
			if answer == nil {
				answer = status(200, "")
			}
			srv := g.start(t, answer)
			s, err := NewSMSSender(SMSConfig{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			m := sms
			if tt.to != "" || tt.name == "empty phone" {
				m.To = tt.to
			}
			if tt.channel != "" {
				m.Channel = tt.channel
			}
			err = s.Send(context.Background(), m)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", IsPermanent(err), tt.permanent, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("error not cut: %q", err)
			}
			if n := len(g.requests()); n != tt.calls {
				t.Errorf("gateway called %d times, want %d", n, tt.calls)
			}
		})
	}
}

func TestSMSSendDeadline(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name    string
		timeout time.Duration // SMSConfig.Timeout
		ctx     time.Duration // caller's deadline
	}{
		{"caller deadline", 10 * time.Second, 100 * time.Millisecond},
		{"configured timeout", 100 * time.Millisecond, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := (&gateway{}).start(t, slow)
			s, err := NewSMSSender(SMSConfig{URL: srv.URL, Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.ctx)
			defer cancel()
			start := time.Now()
			err = s.Send(ctx, sms)
			if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want temporary DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Send took %v", d)
			}
		})
	}
}

func TestSMSConnectionRefusedIsTemporary(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	s, err := NewSMSSender(SMSConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), sms); err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
}

func TestNewSMSSenderValidates(t *testing.T) {
	client := &http.Client{Timeout: time.Minute}
	for _, tt := range []struct {
		url   string
		valid bool
	}{
		{"https://sms.example.com/send", true},
		{"http://127.0.0.1:9000/", true},
		{"ftp://sms.example.com/", false},
		{"sms.example.com/send", false},
		{"https://", false},
		{"", false},
		{"://bad", false},
	} {
		_, err := NewSMSSender(SMSConfig{URL: tt.url, Client: client})
		if (err == nil) != tt.valid {
			t.Errorf("NewSMSSender(%q) err = %v, want valid=%v", tt.url, err, tt.valid)
		}
	}
	if client.CheckRedirect != nil {
		t.Error("caller's http.Client was modified")
	}
	if _, err := NewSMSSender(SMSConfig{URL: "https://x.example", Timeout: -1}); err == nil {
		t.Error("negative timeout accepted")
	}
}
