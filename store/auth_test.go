package store

import (
	"context"
	"errors"
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
	if err := st.CreateAccount(ctx, "liu_fang", "liu_fang", "$argon2id$unused"); err != nil {
		t.Fatal(err)
	}
	const idle = 2 * time.Hour
	for i, tt := range []struct {
		name     string
		lastSeen string // how long ago the session was last used
		expires  string // when it ends, from now
		ok       bool
	}{
		{"fresh", "0 seconds", "12 hours", true},
		{"used an hour ago", "1 hour", "12 hours", true},
		{"idle too long", "2 hours 1 minute", "12 hours", false},
		{"past its absolute expiry though used", "1 second", "-1 second", false},
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
		var recent bool
		if err := st.pool.QueryRow(ctx, `SELECT last_seen_at > now() - interval '1 minute' FROM sessions WHERE id_hash = $1`, id).Scan(&recent); err != nil || !recent {
			t.Errorf("%s: the use was not recorded (%v)", tt.name, err)
		}
	}
}
