// Package auth holds the pure rules of identity: argon2id password hashes
// in their self-describing encoding, random secrets for sessions, CSRF and
// API tokens with the hashes they are stored as, and the schedule by which
// failed sign-ins slow down and then lock a name. It knows no HTTP and no
// database (docs/DESIGN.md §7.2).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are written into every hash,
// so raising them later leaves older hashes verifiable.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams follow RFC 9106's second recommendation (64 MiB, 3 passes)
// with one lane per core of a small server.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// MinPasswordLen is the shortest password an account may be given.
const MinPasswordLen = 10

// ErrMismatch is a password that does not match its hash.
var ErrMismatch = errors.New("password does not match")

// ErrMalformed is a stored hash that is not an argon2id encoding.
var ErrMalformed = errors.New("malformed password hash")

// HashPassword hashes pw with argon2id and a fresh salt and encodes it as
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<hash>.
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks pw against an encoded hash with the parameters the
// hash names. It answers ErrMismatch or ErrMalformed.
func VerifyPassword(pw, encoded string) error {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash says whether an encoded hash was made with weaker parameters
// than p, so it can be replaced at the next successful sign-in.
func NeedsRehash(encoded string, p Params) bool {
	q, _, _, err := decode(encoded)
	return err != nil || q.Memory < p.Memory || q.Time < p.Time
}

func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory < 8 || p.Time < 1 || p.Threads < 1 || p.Memory > 4<<20 || p.Time > 100 {
		return Params{}, nil, nil, ErrMalformed
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return Params{}, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// Token prefixes say what a secret is when one turns up in a log or a
// paste; scanners can look for them.
const (
	SessionPrefix  = "cs_"
	CSRFPrefix     = "cx_"
	APITokenPrefix = "ct_"
)

// NewSecret is prefix followed by 32 random bytes in URL-safe base64: 256
// bits, so a plain SHA-256 is a safe way to store it.
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Hash is how a session id, CSRF token or API token is stored and looked up.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Lockout is the schedule of failed sign-ins for one name: the first Free
// failures cost nothing, each further one makes the next attempt wait
// twice as long (1 s, 2 s, 4 s … at most MaxDelay), and the LockAfter-th
// locks the name for LockFor.
type Lockout struct {
	Free      int
	LockAfter int
	LockFor   time.Duration
	MaxDelay  time.Duration
}

// DefaultLockout: 3 free tries, lock at 10 for 15 minutes.
func DefaultLockout() Lockout {
	return Lockout{Free: 3, LockAfter: 10, LockFor: 15 * time.Minute, MaxDelay: time.Minute}
}

// Delay is how long after the failures-th failure the next attempt must
// wait; 0 while the failures are free.
func (l Lockout) Delay(failures int) time.Duration {
	if failures < l.Free || failures <= 0 {
		return 0
	}
	d := time.Second
	for i := l.Free; i < failures && d < l.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.MaxDelay)
}

// Locks says whether the failures-th failure locks the name.
func (l Lockout) Locks(failures int) bool { return l.LockAfter > 0 && failures >= l.LockAfter }

// Wait is how long an attempt at now must still wait, given the name's
// failures, the time of the last and a lock (zero for none); 0 lets it try.
func (l Lockout) Wait(now time.Time, failures int, lastFailed, lockedUntil time.Time) time.Duration {
	if now.Before(lockedUntil) {
		return lockedUntil.Sub(now)
	}
	if !lockedUntil.IsZero() {
		// The lock has run out: the name starts again.
		return 0
	}
	if next := lastFailed.Add(l.Delay(failures)); now.Before(next) {
		return next.Sub(now)
	}
	return 0
}

// Fail is the name's record after a failed attempt at now: one more
// failure, and a lock from now when that one reaches LockAfter. A lock
// that has run out starts the count again.
func (l Lockout) Fail(now time.Time, failures int, lockedUntil time.Time) (int, time.Time) {
	if !lockedUntil.IsZero() && !now.Before(lockedUntil) {
		failures = 0
	}
	failures++
	if l.Locks(failures) {
		return failures, now.Add(l.LockFor)
	}
	return failures, time.Time{}
}
