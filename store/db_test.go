package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concierge-pm/concierge/domain"
)

// testServerURL is the PostgreSQL server the store tests may create
// databases on.
func testServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres"
}

// needPostgres fails under CI=true and skips loudly elsewhere when no
// server answers.
func needPostgres(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testServerURL())
	if err == nil {
		_ = conn.Close(ctx)
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required (TEST_DATABASE_URL=%s): %v", testServerURL(), err)
	}
	t.Skipf("SKIPPED: no PostgreSQL at %s (%v); CI=true makes this a failure", testServerURL(), err)
}

func TestOpenUnreachableSaysHowToFixIt(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/concierge?connect_timeout=2")
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("error %v is not ErrUnreachable", err)
	}
	for _, want := range []string{"127.0.0.1:1", "DATABASE_URL="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

// scratchStore opens a new database, dropped when the test ends.
func scratchStore(t *testing.T) *Store {
	t.Helper()
	needPostgres(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(testServerURL())
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("concierge_store_%d", time.Now().UnixNano()%1_000_000_000)
	url := fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, name)
	t.Cleanup(func() {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	})
	st, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

func TestOpenCreatesMissingDatabaseAndMigratesTwice(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	for i := range 2 {
		if err := st.Migrate(ctx); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
	}
	for i, want := range []bool{true, false} {
		loaded, err := st.LoadDemo(ctx)
		if err != nil || loaded != want {
			t.Fatalf("demo load %d: loaded %t, %v; want %t", i+1, loaded, err, want)
		}
	}
	cats, err := st.Categories(ctx, "complaint")
	if err != nil || len(cats) != 9 {
		t.Fatalf("categories %d, %v", len(cats), err)
	}
	// The records may name exactly the declared kinds of case.
	var kinds []string
	if err := st.pool.QueryRow(ctx, `SELECT array_agg(kind ORDER BY kind) FROM case_kinds`).Scan(&kinds); err != nil {
		t.Fatal(err)
	}
	if want := slices.Sorted(slices.Values(domain.KindNames())); !slices.Equal(kinds, want) {
		t.Errorf("case_kinds holds %v, want the declared %v", kinds, want)
	}
	if _, err := st.pool.Exec(ctx, `UPDATE handbook_categories SET kind = 'praise' WHERE code = 'noise'`); err == nil {
		t.Error("a category of an undeclared kind was accepted")
	}
}

// The generated history has the shape the generator promises; the ranges
// allow for chance, which the fixed seed removes anyway.
func TestGenerateHistory(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.GenerateHistory(ctx, HistoryOptions{Complaints: 4000, Communities: 3, Households: 200, From: from, To: from.AddDate(0, 6, 0), Seed: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	var complaints, households, ratings int64
	var dispatched, fedBack, resolved, satisfied float64
	err = st.Pool().QueryRow(ctx, `SELECT count(*),
			avg((routed_at <= recorded_at + interval '24 hours')::int), avg((first_feedback_at <= recorded_at + interval '24 hours')::int),
			avg((resolved_at IS NOT NULL)::int)
		FROM cases WHERE community LIKE 'G%' AND recorded_at >= $1 AND recorded_at < $2 AND unit_id IS NOT NULL`, from, from.AddDate(0, 6, 0)).
		Scan(&complaints, &dispatched, &fedBack, &resolved)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM households h JOIN units u ON u.id = h.unit_id WHERE u.community LIKE 'G%'`).Scan(&households); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT count(*), avg((score >= 4)::int) FROM ratings WHERE community LIKE 'G%'`).Scan(&ratings, &satisfied); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"complaints", float64(complaints), 4000, 4000},
		{"households", float64(households), 600, 600},
		{"dispatched within 24 h", dispatched, 0.87, 0.93},
		{"fed back within 24 h", fedBack, 0.91, 0.97},
		{"resolved", resolved, 0.82, 0.88},
		{"callback ratings per resolved complaint", float64(ratings) / (resolved * 4000), 0.66, 0.74},
		{"satisfied ratings", satisfied, 0.81, 0.89},
	} {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s = %.3f, want %.2f–%.2f", c.name, c.got, c.min, c.max)
		}
	}
}

// TestOpenTurnsJITOff: the pool's connections compile no query unless the
// URL asks for it (Open), whatever the server's own setting.
func TestOpenTurnsJITOff(t *testing.T) {
	ctx := context.Background()
	st := scratchStore(t)
	for _, tc := range []struct {
		query, want string
	}{
		{"", "off"},
		{"?jit=on", "on"},
		{"?jit=off", "off"},
	} {
		s := st
		if tc.query != "" {
			cfg := st.pool.Config().ConnConfig
			var err error
			s, err = Open(ctx, fmt.Sprintf("postgres://%s@%s:%d/%s%s", cfg.User, cfg.Host, cfg.Port, cfg.Database, tc.query))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
		}
		var got string
		if err := s.pool.QueryRow(ctx, "SHOW jit").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%q: jit = %s, want %s", tc.query, got, tc.want)
		}
	}
}
