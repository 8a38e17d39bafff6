// Package testdb gives tests databases of their own on the PostgreSQL server
// named by TEST_DATABASE_URL (default: postgres@127.0.0.1:5432, trust auth),
// so that test packages do not each write the same set-up.
package testdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrUnreachable marks a server that could not be reached: the one missing
// dependency that may skip tests outside CI.
var ErrUnreachable = errors.New("no PostgreSQL server")

// ServerURL is the server on which tests may create databases.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres"
}

// Create makes an empty database whose name starts with prefix and returns
// its URL and a function that drops it. An error means the server could not
// be reached or refused to create it.
func Create(ctx context.Context, prefix string) (string, func(), error) {
	cfg, err := pgx.ParseConfig(ServerURL())
	if err != nil {
		return "", nil, fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return "", nil, fmt.Errorf("%w: connect to %s:%d: %w", ErrUnreachable, cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	// The process and the clock make the name unique among parallel test
	// binaries and among the calls of one.
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	if _, err := conn.Exec(cctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + name}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	drop := func() {
		c, err := pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

// New is Create for one test: the database is dropped when the test ends.
// Without a server the test fails under CI=true and is skipped, saying so,
// elsewhere.
func New(t testing.TB, prefix string) string {
	t.Helper()
	u, drop, err := Create(context.Background(), prefix)
	if err != nil {
		if !errors.Is(err, ErrUnreachable) || os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required (TEST_DATABASE_URL=%s): %v", ServerURL(), err)
		}
		t.Skipf("SKIPPED: no PostgreSQL at %s (%v); CI=true makes this a failure", ServerURL(), err)
	}
	t.Cleanup(drop)
	return u
}
