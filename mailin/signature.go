package mailin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

const sigPrefix = "sha256="

// Sign returns the header value "sha256=<hex>" for body.
func Sign(secret, body []byte) string {
	return sigPrefix + hex.EncodeToString(mac(secret, body))
}

func mac(secret, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks header "sha256=<lower or upper hex HMAC-SHA256 of
// body keyed by secret>" in constant time. It returns nil when valid and an
// *Error otherwise: Code "no_secret" means the server is misconfigured,
// "bad_signature" that the request must be refused.
//
// An empty secret always fails: HMAC with an empty key is computable by
// anyone, so accepting it would let a missing configuration value open the
// webhook to the world.
func VerifySignature(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return fail("no_secret", "No webhook secret is configured, so no signature can be valid.")
	}
	h := strings.TrimSpace(header)
	if !strings.HasPrefix(h, sigPrefix) {
		return fail("bad_signature", `The signature header does not start with "sha256=".`)
	}
	got, err := hex.DecodeString(h[len(sigPrefix):])
	if err != nil || len(got) != sha256.Size {
		return fail("bad_signature", "The signature is not 64 hexadecimal digits.")
	}
	if !hmac.Equal(got, mac(secret, body)) {
		return fail("bad_signature", "The signature does not match the body.")
	}
	return nil
}

// Phones returns the mainland-China mobile numbers (11 digits,
// 1[3-9]xxxxxxxxx, not part of a longer digit run) found in s, in order,
// deduplicated, or nil if there are none.
//
// Only ASCII digits count, and "+8613812345678" (one 13-digit run) is not
// matched, exactly as specified; "+86 138..." and "86-138..." are.
func Phones(s string) []string {
	var out []string
	// Scanning bytes is safe: ASCII digits never occur inside a multi-byte
	// UTF-8 sequence.
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		run := s[i:j]
		i = j
		if len(run) == 11 && run[0] == '1' && run[1] >= '3' && !slices.Contains(out, run) {
			out = append(out, run)
		}
	}
	return out
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
