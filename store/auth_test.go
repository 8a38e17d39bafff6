package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/auth"
)

// A session lives until it is idle longer than the idle bound or past its
// absolute expiry, whichever comes first; each use keeps it from idling.
func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAccount(ctx, Who{Actor: "test"}, "liu_fang", "liu_fang", "$argon2id$unused"); err != nil {
		t.Fatal(err)
	}
	const idle = 2 * time.Hour
	for i, tt := range []struct {
		name     string
		lastSeen string // how long ago the session was last used
		expires  string // when it ends, from now
		ok       bool
		written  bool // the use is written: the last one is over a minute old
	}{
		{"fresh", "0 seconds", "12 hours", true, false},
		{"used 50 seconds ago", "50 seconds", "12 hours", true, false},
		{"used 70 seconds ago", "70 seconds", "12 hours", true, true},
		{"used an hour ago", "1 hour", "12 hours", true, true},
		{"idle too long", "2 hours 1 minute", "12 hours", false, false},
		{"past its absolute expiry though used", "1 second", "-1 second", false, false},
	} {
		id := auth.Hash("cs_session" + string(rune('a'+i)))
		if err := st.CreateSession(ctx, "liu_fang", id, auth.Hash("cx"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := st.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = now() - $2::interval, expires_at = now() + $3::interval
			WHERE id_hash = $1`, id, tt.lastSeen, tt.expires); err != nil {
			t.Fatal(err)
		}
		got, err := st.SessionIdentity(ctx, id, idle)
		if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, ErrNotFound)) {
			t.Errorf("%s: %v, want found %t", tt.name, err, tt.ok)
			continue
		}
		if !tt.ok {
			continue
		}
		if got.StaffCode != "liu_fang" || got.Role != "receptionist" || got.Via != "session" {
			t.Errorf("%s: identity %+v", tt.name, got)
		}
		// Written, the last use is now; not, it is what it was.
		var written bool
		if err := st.pool.QueryRow(ctx, `SELECT last_seen_at > now() - interval '5 seconds' FROM sessions WHERE id_hash = $1`, id).Scan(&written); err != nil {
			t.Fatal(err)
		}
		if tt.lastSeen != "0 seconds" && written != tt.written {
			t.Errorf("%s: the use written %t, want %t", tt.name, written, tt.written)
		}
	}
}

// Every change to an account or a token writes one audit row, in the same
// transaction, naming who made it; no row holds a password hash or a
// token's hash. A refused change writes none.
func TestAccountAndTokenChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	admin := Who{Actor: "it_admin", IP: "192.0.2.1", UserAgent: "test"}
	const hash = "$argon2id$v=19$secret-hash"
	tokenHash := auth.Hash("ct_secret")
	steps := []struct {
		name, action, objectType string
		do                       func() error
	}{
		{"create", "create", "account", func() error { return st.CreateAccount(ctx, admin, "liu_fang", "liu_fang", hash) }},
		{"set password", "set_password", "account", func() error { return st.SetPassword(ctx, admin, "liu_fang", hash+"2") }},
		{"disable", "disable", "account", func() error { return st.SetAccountDisabled(ctx, admin, "liu_fang", true) }},
		{"enable", "enable", "account", func() error { return st.SetAccountDisabled(ctx, admin, "liu_fang", false) }},
		{"token", "create", "api_token", func() error {
			_, err := st.CreateToken(ctx, admin, NewToken{Hash: tokenHash, Name: "erp", ServiceRole: "erp", Scopes: []string{"read"}, CreatedBy: "it_admin", TTL: time.Hour})
			return err
		}},
	}
	for _, s := range steps {
		before := len(auditRows(t, st))
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		rows := auditRows(t, st)
		if len(rows) != before+1 {
			t.Fatalf("%s: %d audit rows, want %d", s.name, len(rows), before+1)
		}
		last := rows[len(rows)-1]
		if last.Action != s.action || last.ObjectType != s.objectType || last.Actor != "it_admin" || last.ClientIP != "192.0.2.1" {
			t.Errorf("%s: audit row %+v", s.name, last)
		}
		for _, secret := range []string{"argon2id", "secret-hash", string(tokenHash)} {
			if strings.Contains(string(last.Before)+string(last.After), secret) {
				t.Errorf("%s: the audit row holds a secret: %s %s", s.name, last.Before, last.After)
			}
		}
	}
	toks, err := st.Tokens(ctx, "")
	if err != nil || len(toks) == 0 {
		t.Fatalf("tokens %v, %v", toks, err)
	}
	before := len(auditRows(t, st))
	if _, err := st.RevokeToken(ctx, admin, toks[0].ID); err != nil {
		t.Fatal(err)
	}
	// Refused changes: an unknown account or token, a second account.
	for _, refused := range []func() error{
		func() error { return st.SetAccountDisabled(ctx, admin, "nobody", true) },
		func() error { return st.SetPassword(ctx, admin, "nobody", hash) },
		func() error { _, err := st.RevokeToken(ctx, admin, 999999); return err },
		func() error { return st.CreateAccount(ctx, admin, "liu_fang", "liu_fang", hash) },
	} {
		if err := refused(); err == nil {
			t.Error("a refused change succeeded")
		}
	}
	rows := auditRows(t, st)
	if len(rows) != before+1 || rows[len(rows)-1].Action != "revoke" {
		t.Errorf("after a revoke and four refusals: %d rows (want %d), last %+v", len(rows), before+1, rows[len(rows)-1])
	}
}
