package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

func TestOpenCreatesMissingDatabaseAndMigratesTwice(t *testing.T) {
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
	defer st.Close()
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
}
