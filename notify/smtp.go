package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP TLS modes.
const (
	tlsStartTLS = "starttls" // plain connect, then mandatory STARTTLS
	tlsImplicit = "tls"      // TLS from the first byte (port 465)
	tlsNone     = "none"     // no encryption; only for a relay on the same host or network
)

// messageIDDomain is the right-hand side of the Message-ID built from
// Message.Ref. It is fixed so that the same outbox row always yields the
// same Message-ID, whichever host sends it.
const messageIDDomain = "concierge"

// smtpChannel is email through one SMTP server: the residents' second
// choice (their first when their case came in by email) and the staff's
// first. It is on when CONCIERGE_SMTP_HOST is set.
func smtpChannel() Channel {
	return Channel{Name: ChannelEmail, Prefix: "smtp", Residents: 30, Staff: 10, On: "host",
		Settings: []Setting{
			{Key: "host", Usage: "SMTP server of notifications; off without one", Check: checkWord},
			{Key: "port", Default: "587", Usage: "SMTP port", Check: checkPort},
			{Key: "username", Usage: "SMTP user name"},
			{Key: "password", Secret: true, Usage: "SMTP password"},
			{Key: "from", Default: "物业服务中心 <service@localhost>", Usage: "sender address of notification emails",
				Check: func(v string) error {
					if _, err := mail.ParseAddress(v); err != nil {
						return errors.New("want an address such as 物业服务中心 <service@example.com>")
					}
					return nil
				}},
			{Key: "tls", Default: tlsStartTLS, Usage: "SMTP TLS mode: starttls, tls or none",
				Check: func(v string) error {
					if v != tlsStartTLS && v != tlsImplicit && v != tlsNone {
						return errors.New("want starttls, tls or none")
					}
					return nil
				}},
		},
		Check: func(s Settings) error {
			if s.Get("username") == "" && s.Get("password") != "" {
				return fmt.Errorf("%s is set without %s", s.Channel.Env("password"), s.Channel.Env("username"))
			}
			if s.Get("username") != "" && s.Get("tls") == tlsNone {
				// AUTH PLAIN would send the password in clear text.
				return fmt.Errorf("%s needs %s starttls or tls, not none", s.Channel.Env("username"), s.Channel.Env("tls"))
			}
			return nil
		},
		New: func(s Settings) (Sender, error) {
			port, err := strconv.Atoi(s.Get("port"))
			if err != nil {
				return nil, fmt.Errorf("notify: smtp: port: %w", err)
			}
			return NewSMTPSender(SMTPConfig{Host: s.Get("host"), Port: port, Username: s.Get("username"),
				Password: s.Get("password"), From: s.Get("from"), TLS: s.Get("tls")})
		},
	}
}

// checkWord refuses a value with spaces (an empty one is unset).
func checkWord(v string) error {
	if strings.TrimSpace(v) != v || strings.ContainsAny(v, " \t\r\n") {
		return errors.New("must not contain spaces")
	}
	return nil
}

func checkPort(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
		return errors.New("want a whole number from 1 to 65535")
	}
	return nil
}

// SMTPConfig configures an SMTPSender.
type SMTPConfig struct {
	Host               string
	Port               int
	Username, Password string         // optional; when set use SMTP AUTH PLAIN; only over TLS
	From               string         // e.g. "阳光花园物业服务中心 <service@example.com>"
	TLS                string         // "starttls" (default, mandatory STARTTLS), "tls" (implicit TLS, port 465), "none" (only for local relays)
	RootCAs            *x509.CertPool // nil = system roots
	Timeout            time.Duration  // default 15s
}

// SMTPSender sends e-mail through one SMTP server, one connection per
// message. It is safe for concurrent use.
type SMTPSender struct {
	cfg  SMTPConfig
	from *mail.Address
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender checks cfg and returns a sender for it.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, errors.New("notify: smtp: host is required")
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("notify: smtp: port %d out of range 1..65535", cfg.Port)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: smtp: from address %q: %w", cfg.From, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = tlsStartTLS
	case tlsStartTLS, tlsImplicit, tlsNone:
	default:
		return nil, fmt.Errorf("notify: smtp: TLS mode %q, want %q, %q or %q", cfg.TLS, tlsStartTLS, tlsImplicit, tlsNone)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, errors.New("notify: smtp: password given without username")
	}
	if cfg.Username != "" && cfg.TLS == tlsNone {
		// AUTH PLAIN sends the password in clear text.
		return nil, errors.New("notify: smtp: username/password need TLS mode starttls or tls")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("notify: smtp: negative timeout %v", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &SMTPSender{cfg: cfg, from: from}, nil
}

// Channel is ChannelEmail.
func (s *SMTPSender) Channel() string { return ChannelEmail }

// Send delivers m by SMTP. A recipient address that does not parse and a
// 5xx reply to MAIL, RCPT or DATA are permanent; everything else —
// connection, TLS and AUTH failures, 4xx replies, ctx expiry — is temporary.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if err := checkChannel(m, s.Channel()); err != nil {
		return err
	}
	msg, err := s.build(m)
	if err != nil {
		return err
	}

	// go-mail bounds each command by Timeout but only watches ctx while
	// dialling, and leaves the connection open when the handshake fails.
	// Owning the connection lets ctx abort any stage and lets us close it.
	var conn net.Conn
	stop := func() bool { return false }
	defer func() {
		stop()
		if conn != nil {
			_ = conn.Close()
		}
	}()
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{}
		var c net.Conn
		var err error
		if s.cfg.TLS == tlsImplicit {
			c, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig()}).DialContext(dctx, network, addr)
		} else {
			c, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		conn = c
		stop = context.AfterFunc(ctx, func() { _ = c.Close() })
		return c, nil
	}

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(s.tlsConfig()),
		gomail.WithDialContextFunc(dial),
	}
	switch s.cfg.TLS {
	case tlsStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case tlsImplicit:
		// WithSSL makes go-mail treat the session as encrypted and skip
		// STARTTLS; the handshake itself happens in dial.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case tlsNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("notify: smtp: client: %w", err)
	}

	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// Greeting, EHLO, STARTTLS and AUTH problems are about the server
		// or our configuration, not this message: every message would fail
		// the same way, so none of them is given up on.
		return s.wrap(ctx, "connect", err)
	}
	sendErr := client.SendWithSMTPClient(sc, msg)
	_ = client.CloseWithSMTPClient(sc)
	if msg.IsDelivered() {
		// The server accepted the DATA; a failing RSET or QUIT afterwards
		// does not undo that, and reporting it would cause a duplicate.
		return nil
	}
	if sendErr == nil {
		return s.wrap(ctx, "send", errors.New("server did not confirm delivery"))
	}
	var se *gomail.SendError
	if errors.As(sendErr, &se) && se.ErrorCode() >= 500 && se.ErrorCode() <= 599 {
		switch se.Reason {
		case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			return permanent(fmt.Errorf("notify: smtp: server replied %d: %w", se.ErrorCode(), sendErr))
		}
	}
	return s.wrap(ctx, "send", sendErr)
}

// wrap adds context and, when ctx ended the attempt, ctx's error so that
// errors.Is(err, context.DeadlineExceeded) holds.
func (s *SMTPSender) wrap(ctx context.Context, stage string, err error) error {
	addr := net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port))
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("notify: smtp %s %s: %w: %w", stage, addr, cerr, err)
	}
	return fmt.Errorf("notify: smtp %s %s: %w", stage, addr, err)
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

// build turns m into a go-mail message. Problems here are in the message
// itself, so they are permanent.
func (s *SMTPSender) build(m Message) (*gomail.Msg, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		// The address is personal data, so it is not repeated here
		// (net/mail's reason may still quote the unparsable part).
		return nil, permanent(fmt.Errorf("notify: smtp: invalid recipient address: %w", err))
	}
	if strings.ContainsAny(m.Ref, "<>@ \t\r\n()[]\\\",;:") {
		return nil, permanent(fmt.Errorf("notify: smtp: ref %.40q cannot form a Message-ID", m.Ref))
	}
	msg := gomail.NewMsg() // UTF-8, quoted-printable body, RFC 2047 headers
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderFrom, s.from)
	msg.ToMailAddress(&mail.Address{Address: to.Address})
	msg.Subject(strings.Join(strings.Fields(clean(m.Subject)), " "))
	msg.SetDate()
	if m.Ref != "" {
		// A stable Message-ID lets a mail system recognise the copy a retry
		// sends after the server accepted the first one.
		msg.SetMessageIDWithValue(m.Ref + "@" + messageIDDomain)
	}
	// RFC 3834: tells auto-responders not to answer a notification.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetUserAgent("Concierge")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	return msg, nil
}
