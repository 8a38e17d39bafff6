package tracking

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	s, err := NewSigner([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner([]byte("another key of 20 b"))
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tok := s.Token("TS20261128-0001", now.Add(30*24*time.Hour))
	if strings.ContainsAny(tok, "/+= ") || len(tok) > 60 {
		t.Fatalf("token %q is not short and URL-safe", tok)
	}
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  string
		err   error
	}{
		{"genuine", tok, now, "TS20261128-0001", nil},
		{"last second", tok, now.Add(30*24*time.Hour - time.Second), "TS20261128-0001", nil},
		{"expired", tok, now.Add(30 * 24 * time.Hour), "", ErrExpired},
		{"other key", other.Token("TS20261128-0001", now.Add(time.Hour)), now, "", ErrInvalid},
		{"other case", strings.Replace(tok, "0001", "0002", 1), now, "", ErrInvalid},
		{"longer life", strings.Replace(tok, tok[16:strings.LastIndexByte(tok, '.')], ".zzzzzz", 1), now, "", ErrInvalid},
		{"no signature", "TS20261128-0001", now, "", ErrInvalid},
		{"empty", "", now, "", ErrInvalid},
		{"garbage", "a.b.c", now, "", ErrInvalid},
		{"too long", strings.Repeat("x", 300) + "." + tok, now, "", ErrInvalid},
	}
	for _, tt := range tests {
		got, err := s.Check(tt.token, tt.at)
		if got != tt.want || !errors.Is(err, tt.err) && !(err == nil && tt.err == nil) {
			t.Errorf("%s: Check = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	if _, err := NewSigner([]byte("short")); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}
