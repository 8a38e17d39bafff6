// Package notifytest holds test doubles of the outside services that
// notifications go to: an SMTP server with TLS (go-smtp) that records what
// it accepts, and a self-signed certificate for it.
package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// NewCert returns a self-signed certificate for 127.0.0.1 and localhost
// and a pool that trusts it.
func NewCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "concierge test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Backend records what it accepts and can be told to fail.
type Backend struct {
	User, Pass string          // when set, MAIL requires AUTH PLAIN with these
	RcptErr    *smtp.SMTPError // returned from RCPT
	DataErr    *smtp.SMTPError // returned after DATA

	mu       sync.Mutex
	sessions int
	msgs     []Received
}

func (b *Backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	return &session{b: b}, nil
}

// Snapshot returns the number of sessions and the messages accepted so far.
func (b *Backend) Snapshot() (int, []Received) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions, append([]Received(nil), b.msgs...)
}

type session struct {
	b      *Backend
	authed bool
	cur    Received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.b.User || pass != s.b.Pass || s.b.User == "" {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.User != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = Received{From: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.b.RcptErr != nil {
		return s.b.RcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.DataErr != nil {
		return s.b.DataErr
	}
	s.cur.Data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = Received{} }
func (s *session) Logout() error { return nil }

// Server is a running SMTP server.
type Server struct {
	Port  int
	Roots *x509.CertPool // trusts the server's certificate
	srv   *smtp.Server
}

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Serve runs a go-smtp server for be on 127.0.0.1:0. mode is "starttls",
// "tls" (implicit) or "plain" (no TLS offered at all).
func Serve(be *Backend, mode string) (*Server, error) {
	cert, roots, err := NewCert()
	if err != nil {
		return nil, err
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener
	switch mode {
	case "starttls":
		srv.TLSConfig = tlsCfg
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case "tls":
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	case "plain":
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	default:
		return nil, fmt.Errorf("bad mode %q", mode)
	}
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	go func() { _ = srv.Serve(ln) }()
	return &Server{Port: ln.Addr().(*net.TCPAddr).Port, Roots: roots, srv: srv}, nil
}

// StartSMTP is Serve for a test: it fails the test on error and stops the
// server when the test ends.
func StartSMTP(t testing.TB, be *Backend, mode string) (port int, roots *x509.CertPool) {
	t.Helper()
	s, err := Serve(be, mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.Port, s.Roots
}
