// Package store holds the PostgreSQL side of Concierge: the pgx pool, the
// embedded migrations, the reference data and the read model of cases.
package store

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/concierge-pm/concierge/domain"
)

// DefaultURL makes `concierge dev` work against a local PostgreSQL with no
// settings at all.
const DefaultURL = "postgres://postgres@localhost:5432/concierge"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the application's handle on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// newestScanned is how many of the newest intakes a search reads in
	// order before it turns to the index of words (searchWords); tests
	// make it small to reach the index on a small history.
	newestScanned int
	// unitCandidateFactor times a page is how many of the newest intakes
	// of a unit's code a search reads before their cases (unitCandidates).
	unitCandidateFactor int
	// searchUnits, when set (by tests), is told whether the newest intakes
	// of a unit's code were all there are, or else held a page.
	searchUnits func(complete, enough bool)
	// wholeHistoryMatches is how many matches a word may be expected to
	// have for the index to be read without a window (searchPlan).
	wholeHistoryMatches int
	// searchWindow, when set (by tests), is told of each window of days
	// a search read the index in, and whether it filled a page.
	searchWindow func(q string, days int, full bool)
}

// Pool exposes the pgx pool for tests and tools that need raw access.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that PostgreSQL answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// ErrUnreachable wraps every failure to reach the server, so commands can
// print one clear message instead of a stack of driver errors.
var ErrUnreachable = errors.New("PostgreSQL is not reachable")

// Open connects to the database at url, creating the database if the server
// is there but the database is not.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if err := ensureDatabase(ctx, cfg.ConnConfig); err != nil {
		return nil, err
	}
	// No JIT compilation unless the URL asks for it (jit=on): Concierge's
	// queries read indexes, and compiling one took 30–60 ms whenever the
	// planner's estimate passed jit_above_cost — a search by a case number
	// on ten million cases went from 2 ms to 25, the staff evaluation from
	// 0.1 s to 0.3 s (docs/DESIGN.md §11.18). Debian's PostgreSQL has it
	// on; the compose topology's server is built without it.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, unreachable(cfg.ConnConfig, err)
	}
	return &Store{pool: pool, newestScanned: defaultNewestScanned,
		wholeHistoryMatches: defaultWholeHistoryMatches, unitCandidateFactor: 4}, nil
}

func unreachable(cfg *pgx.ConnConfig, err error) error {
	return fmt.Errorf("%w at %s (database %q): %v\n"+
		"Start PostgreSQL there, or point Concierge at one with DATABASE_URL, e.g.\n"+
		"  DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/concierge",
		ErrUnreachable, net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.Database, err)
}

// ensureDatabase creates cfg.Database if the server reports it missing.
func ensureDatabase(ctx context.Context, cfg *pgx.ConnConfig) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return unreachable(cfg, err)
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	aconn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return unreachable(admin, err)
	}
	defer aconn.Close(ctx)
	_, err = aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database: a racing start made it
		return fmt.Errorf("create database %q: %w", cfg.Database, err)
	}
	slog.Info("created database", "database", cfg.Database)
	return nil
}

// Migrate applies the embedded migrations and records the declared kinds of
// case. A session lock keeps two processes starting at once from applying
// the same migration twice.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("migrations fs: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migration provider: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		slog.Info("applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	// The records may name every kind the code declares; a new kind needs
	// no migration of its own (migration 00025).
	if _, err := s.pool.Exec(ctx, `INSERT INTO case_kinds (kind) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
		domain.KindNames()); err != nil {
		return fmt.Errorf("record the declared case kinds: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// Secret returns the named secret the service keeps for itself, creating
// it with size random bytes on first use. Every process reads the same one,
// so links signed by one API process are good on another and after restarts.
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate secret %s: %w", name, err)
	}
	var value []byte
	var err error
	// A second try covers a racing first use: the statement's snapshot may
	// not see the row the other process has just committed.
	for range 2 {
		err = s.pool.QueryRow(ctx, `
			WITH ins AS (INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
			SELECT value FROM ins UNION ALL SELECT value FROM app_secrets WHERE name = $1 LIMIT 1`, name, fresh).Scan(&value)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	return value, nil
}
