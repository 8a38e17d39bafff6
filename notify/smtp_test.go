package notify

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/concierge-pm/concierge/notify/notifytest"
)

func newTestSMTP(t *testing.T, cfg SMTPConfig) *SMTPSender {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.From == "" {
		cfg.From = "阳光花园物业服务中心 <service@example.com>"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var chineseMail = Message{
	Channel: ChannelEmail,
	To:      "resident@example.com",
	Subject: "投诉受理通知（TS20261102-0001）",
	Body:    "您好！您的投诉已受理，编号TS20261102-0001。\n查看进度：https://concierge.example.com/t/Ab3dEf9?x=1&y=2",
	Ref:     "notification-42",
}

// checkReceived parses what the server got and compares it with m.
func checkReceived(t *testing.T, got notifytest.Received, m Message) {
	t.Helper()
	if got.From != "service@example.com" || len(got.To) != 1 || got.To[0] != m.To {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, got.Data)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject = %q (%v), want %q; raw %q", subject, err, m.Subject, h.Get("Subject"))
	}
	if to, err := mail.ParseAddress(h.Get("To")); err != nil || to.Address != m.To {
		t.Errorf("To = %q (%v)", h.Get("To"), err)
	}
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Name != "阳光花园物业服务中心" || from.Address != "service@example.com" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	if id := h.Get("Message-ID"); id != "<"+m.Ref+"@concierge>" {
		t.Errorf("Message-ID = %q", id)
	}
	if d, err := h.Date(); err != nil || time.Since(d).Abs() > time.Minute {
		t.Errorf("Date = %q (%v)", h.Get("Date"), err)
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", h.Get("Auto-Submitted"))
	}
	mt, mp, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "text/plain" || !strings.EqualFold(mp["charset"], "utf-8") {
		t.Errorf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	var body io.Reader = msg.Body
	switch cte := strings.ToLower(h.Get("Content-Transfer-Encoding")); cte {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected Content-Transfer-Encoding %q", cte)
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.ReplaceAll(string(raw), "\r\n", "\n"); strings.TrimRight(text, "\n") != m.Body {
		t.Errorf("body = %q, want %q", text, m.Body)
	}
}

func TestSMTPSendDelivers(t *testing.T) {
	tests := []struct {
		name, mode string
		auth       bool
	}{
		{"starttls", "starttls", false},
		{"implicit tls", "tls", false},
		{"starttls with auth plain", "starttls", true},
		{"implicit tls with auth plain", "tls", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &notifytest.Backend{}
			cfg := SMTPConfig{TLS: tt.mode}
			if tt.auth {
				be.User, be.Pass = "desk", "s3cret 密码"
				cfg.Username, cfg.Password = be.User, be.Pass
			}
			port, roots := notifytest.StartSMTP(t, be, tt.mode)
			cfg.Port, cfg.RootCAs = port, roots
			s := newTestSMTP(t, cfg)
			if err := s.Send(context.Background(), chineseMail); err != nil {
				t.Fatalf("Send: %v", err)
			}
			_, msgs := be.Snapshot()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages", len(msgs))
			}
			checkReceived(t, msgs[0], chineseMail)
		})
	}
}

func TestSMTPSendFailures(t *testing.T) {
	rcpt550 := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	rcpt451 := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	data554 := &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Content rejected"}
	data452 := &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Out of storage"}
	tests := []struct {
		name      string
		be        *notifytest.Backend
		mode      string // server mode
		cfg       SMTPConfig
		msg       func(Message) Message
		permanent bool
		wantErr   string
		connects  bool // whether the server should see a session
	}{
		{name: "550 on RCPT is permanent", be: &notifytest.Backend{RcptErr: rcpt550}, mode: "starttls", permanent: true, wantErr: "550", connects: true},
		{name: "451 on RCPT is temporary", be: &notifytest.Backend{RcptErr: rcpt451}, mode: "starttls", wantErr: "451", connects: true},
		{name: "554 after DATA is permanent", be: &notifytest.Backend{DataErr: data554}, mode: "starttls", permanent: true, wantErr: "554", connects: true},
		{name: "452 after DATA is temporary", be: &notifytest.Backend{DataErr: data452}, mode: "starttls", wantErr: "452", connects: true},
		{name: "starttls against a server without TLS fails", be: &notifytest.Backend{}, mode: "plain", wantErr: "STARTTLS", connects: true},
		{name: "wrong password is temporary (configuration)", be: &notifytest.Backend{User: "desk", Pass: "right"}, mode: "starttls",
			cfg: SMTPConfig{Username: "desk", Password: "wrong"}, wantErr: "535", connects: true},
		{name: "untrusted certificate fails", be: &notifytest.Backend{}, mode: "tls", cfg: SMTPConfig{RootCAs: x509.NewCertPool()},
			wantErr: "certificate"}, // the handshake fails before go-smtp opens a session
		{name: "invalid recipient is permanent without connecting", be: &notifytest.Backend{}, mode: "starttls",
			msg: func(m Message) Message { m.To = "not an address"; return m }, permanent: true, wantErr: "invalid recipient"},
		{name: "header injection in To is permanent", be: &notifytest.Backend{}, mode: "starttls",
			msg: func(m Message) Message { m.To = "a@example.com\r\nBcc: b@example.com"; return m }, permanent: true},
		{name: "SMS message given to SMTP is permanent", be: &notifytest.Backend{}, mode: "starttls",
			msg: func(m Message) Message { m.Channel = ChannelSMS; return m }, permanent: true},
		{name: "ref unfit for Message-ID is permanent", be: &notifytest.Backend{}, mode: "starttls",
			msg: func(m Message) Message { m.Ref = "a>b"; return m }, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, roots := notifytest.StartSMTP(t, tt.be, tt.mode)
			cfg := tt.cfg
			cfg.Port = port
			if cfg.RootCAs == nil {
				cfg.RootCAs = roots
			}
			if tt.mode == "tls" {
				cfg.TLS = "tls"
			}
			m := chineseMail
			if tt.msg != nil {
				m = tt.msg(m)
			}
			err := newTestSMTP(t, cfg).Send(context.Background(), m)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			t.Log(err)
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", IsPermanent(err), tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
			sessions, msgs := tt.be.Snapshot()
			if len(msgs) != 0 {
				t.Errorf("server accepted %d messages", len(msgs))
			}
			if (sessions > 0) != tt.connects {
				t.Errorf("server saw %d sessions, want connect=%v", sessions, tt.connects)
			}
		})
	}
}

func TestSMTPClosedPortIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	err = newTestSMTP(t, SMTPConfig{Port: port}).Send(context.Background(), chineseMail)
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary error", err)
	}
}

// TestSMTPContextDeadline uses a server that accepts the connection and
// never greets: ctx, not the 15 s default timeout, must end the attempt.
func TestSMTPContextDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	s, err := NewSMTPSender(SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "service@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, chineseMail)
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want temporary DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send took %v after a 200ms deadline", d)
	}
}

func TestNewSMTPSenderValidates(t *testing.T) {
	ok := SMTPConfig{Host: "smtp.example.com", Port: 587, From: "阳光花园物业服务中心 <service@example.com>"}
	tests := []struct {
		name  string
		edit  func(*SMTPConfig)
		valid bool
	}{
		{"defaults", func(*SMTPConfig) {}, true},
		{"implicit tls with auth", func(c *SMTPConfig) { c.TLS, c.Port, c.Username, c.Password = "tls", 465, "u", "p" }, true},
		{"none without auth", func(c *SMTPConfig) { c.TLS, c.Port = "none", 25 }, true},
		{"no host", func(c *SMTPConfig) { c.Host = " " }, false},
		{"port 0", func(c *SMTPConfig) { c.Port = 0 }, false},
		{"port 65536", func(c *SMTPConfig) { c.Port = 65536 }, false},
		{"bad from", func(c *SMTPConfig) { c.From = "物业服务中心" }, false},
		{"bad tls mode", func(c *SMTPConfig) { c.TLS = "ssl" }, false},
		{"auth over plaintext", func(c *SMTPConfig) { c.TLS, c.Username, c.Password = "none", "u", "p" }, false},
		{"password without user", func(c *SMTPConfig) { c.Password = "p" }, false},
		{"negative timeout", func(c *SMTPConfig) { c.Timeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			s, err := NewSMTPSender(cfg)
			if (err == nil) != tt.valid {
				t.Fatalf("err = %v, want valid=%v", err, tt.valid)
			}
			if err == nil && (s.cfg.TLS == "" || s.cfg.Timeout <= 0) {
				t.Errorf("defaults not applied: %+v", s.cfg)
			}
		})
	}
}
