package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cheap keeps the tests fast; the encoding is the same at any cost.
func cheap() Params { return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse", cheap())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoding %q does not carry its parameters", h)
	}
	h2, _ := HashPassword("correct horse", cheap())
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not fresh")
	}
	tests := []struct {
		name, pw, hash string
		want           error
	}{
		{"right password", "correct horse", h, nil},
		{"wrong password", "correct horsE", h, ErrMismatch},
		{"empty password", "", h, ErrMismatch},
		{"not argon2id", "x", "$2a$10$abcdefghijklmnopqrstuv", ErrMalformed},
		{"argon2i", "x", strings.Replace(h, "argon2id", "argon2i", 1), ErrMalformed},
		{"bad version", "x", strings.Replace(h, "v=19", "v=16", 1), ErrMalformed},
		{"bad params", "x", strings.Replace(h, "m=64,t=1,p=1", "m=64,t=0,p=1", 1), ErrMalformed},
		{"huge memory", "x", strings.Replace(h, "m=64", "m=99999999", 1), ErrMalformed},
		{"truncated", "x", h[:len(h)-30], ErrMalformed},
		{"empty", "x", "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyPassword(tt.pw, tt.hash); !errors.Is(err, tt.want) {
				t.Fatalf("VerifyPassword = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	h, err := HashPassword("pw", cheap())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    Params
		want bool
	}{
		{"same", cheap(), false},
		{"more memory", Params{Memory: 128, Time: 1}, true},
		{"more passes", Params{Memory: 64, Time: 2}, true},
		{"fewer", Params{Memory: 8, Time: 1}, false},
	}
	for _, tt := range tests {
		if got := NeedsRehash(h, tt.p); got != tt.want {
			t.Errorf("%s: NeedsRehash = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !NeedsRehash("garbage", cheap()) {
		t.Error("a malformed hash does not need replacing")
	}
}

func TestSecrets(t *testing.T) {
	a, err := NewSecret(APITokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret(APITokenPrefix)
	if a == b || !strings.HasPrefix(a, "ct_") || len(a) != 3+43 {
		t.Fatalf("secrets %q and %q", a, b)
	}
	if string(Hash(a)) == string(Hash(b)) || len(Hash(a)) != 32 || string(Hash(a)) != string(Hash(a)) {
		t.Fatal("Hash is not a stable SHA-256")
	}
}

func TestLockout(t *testing.T) {
	l := Lockout{Free: 3, LockAfter: 6, LockFor: 10 * time.Minute, MaxDelay: 4 * time.Second}
	for _, tt := range []struct {
		failures int
		delay    time.Duration
		locks    bool
	}{
		{0, 0, false}, {1, 0, false}, {2, 0, false},
		{3, time.Second, false}, {4, 2 * time.Second, false}, {5, 4 * time.Second, false},
		{6, 4 * time.Second, true}, {20, 4 * time.Second, true},
	} {
		if got := l.Delay(tt.failures); got != tt.delay {
			t.Errorf("Delay(%d) = %s, want %s", tt.failures, got, tt.delay)
		}
		if got := l.Locks(tt.failures); got != tt.locks {
			t.Errorf("Locks(%d) = %v, want %v", tt.failures, got, tt.locks)
		}
	}

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name       string
		failures   int
		lastFailed time.Time
		locked     time.Time
		want       time.Duration
	}{
		{"free tries", 2, now, time.Time{}, 0},
		{"slowed down", 4, now.Add(-500 * time.Millisecond), time.Time{}, 1500 * time.Millisecond},
		{"waited enough", 4, now.Add(-2 * time.Second), time.Time{}, 0},
		{"locked", 6, now.Add(-time.Minute), now.Add(9 * time.Minute), 9 * time.Minute},
		{"lock ran out", 6, now.Add(-11 * time.Minute), now.Add(-time.Minute), 0},
	} {
		if got := l.Wait(now, tt.failures, tt.lastFailed, tt.locked); got != tt.want {
			t.Errorf("%s: Wait = %s, want %s", tt.name, got, tt.want)
		}
	}

	for _, tt := range []struct {
		name         string
		failures     int
		locked       time.Time
		wantFailures int
		wantLocked   time.Time
	}{
		{"first", 0, time.Time{}, 1, time.Time{}},
		{"fifth", 4, time.Time{}, 5, time.Time{}},
		{"locking", 5, time.Time{}, 6, now.Add(10 * time.Minute)},
		{"after a lock ran out", 6, now.Add(-time.Second), 1, time.Time{}},
	} {
		f, lk := l.Fail(now, tt.failures, tt.locked)
		if f != tt.wantFailures || !lk.Equal(tt.wantLocked) {
			t.Errorf("%s: Fail = %d, %v; want %d, %v", tt.name, f, lk, tt.wantFailures, tt.wantLocked)
		}
	}
}
