// Package tracking signs and checks the links that let a resident follow one
// case without an account: the token names the case and an expiry, and an
// HMAC over both proves the service issued it. It holds nothing else, so a
// token reveals no personal data and opens no other case.
package tracking

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// macSize is how much of the HMAC a token carries: 128 bits is beyond
// guessing and keeps links short enough for an SMS.
const macSize = 16

// MinKeySize is the shortest signing key accepted.
const MinKeySize = 16

// DefaultTTL is how long a link lasts unless configured otherwise.
const DefaultTTL = 30 * 24 * time.Hour

var (
	// ErrInvalid is a token this service did not issue (or one altered).
	ErrInvalid = errors.New("invalid tracking token")
	// ErrExpired is a genuine token past its expiry.
	ErrExpired = errors.New("tracking token expired")
)

// Signer issues and checks tokens with one key.
type Signer struct {
	key []byte
}

// NewSigner returns a signer for key.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("tracking key must be at least %d bytes, got %d", MinKeySize, len(key))
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return m.Sum(nil)[:macSize]
}

// Token returns a token for the case number valid until expires.
func (s *Signer) Token(number string, expires time.Time) string {
	payload := number + "." + strconv.FormatInt(expires.Unix(), 36)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// Check returns the case number a token names, ErrExpired for a genuine
// token past its expiry at now, or ErrInvalid.
func (s *Signer) Check(token string, now time.Time) (string, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || len(token) > 200 {
		return "", ErrInvalid
	}
	payload, sig := token[:i], token[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return "", ErrInvalid
	}
	j := strings.LastIndexByte(payload, '.')
	if j < 0 {
		return "", ErrInvalid
	}
	exp, err := strconv.ParseInt(payload[j+1:], 36, 64)
	if err != nil {
		return "", ErrInvalid
	}
	if !now.Before(time.Unix(exp, 0)) {
		return "", ErrExpired
	}
	return payload[:j], nil
}
