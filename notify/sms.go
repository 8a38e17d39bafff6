package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// smsChannel is SMS through an HTTP gateway webhook: the residents' first
// choice and the staff's second. It is on when CONCIERGE_SMS_URL is set.
func smsChannel() Channel {
	return Channel{Name: ChannelSMS, Prefix: "sms", Residents: 20, Staff: 20, On: "url",
		Settings: []Setting{
			{Key: "url", URL: true, Usage: "SMS gateway webhook; off without one"},
			{Key: "token", Secret: true, Usage: "bearer token of the SMS gateway"},
		},
		New: func(s Settings) (Sender, error) {
			return NewSMSSender(SMSConfig{URL: s.Get("url"), Token: s.Get("token")})
		},
	}
}

// SMSConfig configures an SMSSender.
type SMSConfig struct {
	URL     string        // gateway endpoint, POST
	Token   string        // sent as "Authorization: Bearer <token>" when set
	Timeout time.Duration // default 10s
	Client  *http.Client  // optional, for tests
}

// SMSSender posts messages to an SMS gateway webhook. It is safe for
// concurrent use.
type SMSSender struct {
	url     string
	token   string
	timeout time.Duration
	client  *http.Client
}

var _ Sender = (*SMSSender)(nil)

// NewSMSSender checks cfg and returns a sender for it.
func NewSMSSender(cfg SMSConfig) (*SMSSender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("notify: sms: gateway URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("notify: sms: gateway URL must be an absolute http or https URL")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("notify: sms: negative timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	// A copy, so the caller's client is left as it was. Redirects are not
	// followed: Go would turn a redirected POST into a GET without the
	// body, which a gateway may well answer with 200 although nothing was
	// sent.
	var client http.Client
	if cfg.Client != nil {
		client = *cfg.Client
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &SMSSender{url: cfg.URL, token: cfg.Token, timeout: cfg.Timeout, client: &client}, nil
}

// Channel is ChannelSMS.
func (s *SMSSender) Channel() string { return ChannelSMS }

// smsRequest is the JSON the gateway receives; the field order is the
// order on the wire.
type smsRequest struct {
	To   string `json:"to"`
	Text string `json:"text"`
	Ref  string `json:"ref"`
}

// Send posts m to the gateway. 2xx means sent. 408, 429, 5xx, other
// unexpected statuses and network errors are temporary; any other 4xx and
// a malformed phone number are permanent.
func (s *SMSSender) Send(ctx context.Context, m Message) error {
	if err := checkChannel(m, s.Channel()); err != nil {
		return err
	}
	if !validPhone(m.To) {
		// The number is personal data; the error says why, not what.
		return permanent(errors.New("notify: sms: invalid phone number: want 7-15 digits with an optional leading +"))
	}
	var payload bytes.Buffer
	enc := json.NewEncoder(&payload)
	enc.SetEscapeHTML(false) // keep "&" in links readable for the gateway
	if err := enc.Encode(smsRequest{To: m.To, Text: m.Body, Ref: m.Ref}); err != nil {
		return permanent(fmt.Errorf("notify: sms: encode request: %w", err))
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, &payload)
	if err != nil {
		return fmt.Errorf("notify: sms: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if m.Ref != "" {
		// Lets the gateway drop the copy a retry sends after a lost reply.
		req.Header.Set("Idempotency-Key", m.Ref)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: sms: post to gateway: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))

	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	// %q keeps a hostile or binary body to one printable line.
	err = fmt.Errorf("notify: sms: gateway answered %s: %q", resp.Status, snippet)
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return err
	case code >= 400:
		return permanent(err)
	default:
		// 1xx/3xx from a webhook means a misconfigured URL or proxy,
		// which can be fixed without losing the message.
		return err
	}
}

// validPhone accepts 7 to 15 digits with an optional leading "+" (E.164
// allows at most 15); anything else cannot be delivered.
func validPhone(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	if n := len(digits); n < 7 || n > 15 {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
