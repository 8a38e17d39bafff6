package mailin_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/concierge-pm/concierge/mailin"
)

var knownCodes = map[string]bool{
	"too_large": true, "malformed": true, "no_sender": true,
	"unsupported_charset": true, "no_text": true, "bad_encoding": true,
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases(f) {
		// Large seeds only slow the mutator down; the size check is cheap
		// and covered by TestParse.
		if len(tc.raw) <= 16<<10 {
			f.Add([]byte(tc.raw))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mailin.Parse(raw)
		if err != nil {
			var e *mailin.Error
			if !errors.As(err, &e) || !knownCodes[e.Code] || e.Message == "" {
				t.Fatalf("Parse error %#v (%T) is not an *Error with a known code and a message", err, err)
			}
			return
		}
		if m.From == "" || !strings.Contains(m.From, "@") || m.From != strings.ToLower(m.From) {
			t.Fatalf("From = %q", m.From)
		}
		if m.Text == "" && m.Subject == "" {
			t.Fatal("success with neither Text nor Subject")
		}
		if len(m.Text) > 64<<10 {
			t.Fatalf("Text is %d bytes", len(m.Text))
		}
		for name, s := range map[string]string{"Text": m.Text, "Subject": m.Subject, "FromName": m.FromName, "MessageID": m.MessageID} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
				t.Fatalf("%s has control characters: %q", name, s)
			}
		}
		if m.Text != strings.TrimSpace(m.Text) || strings.Contains(m.Text, "\r") {
			t.Fatalf("Text is not normalised: %q", m.Text)
		}
	})
}
