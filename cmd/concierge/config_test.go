package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/concierge-pm/concierge/config"
)

// A bad setting stops each process before it connects to anything: the
// database URL points nowhere reachable, so getting past the configuration
// would fail differently (or hang on the dial).
func TestProcessesRefuseBadConfiguration(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	nowhere := "postgres://postgres@127.0.0.1:1/nowhere"
	tests := []struct {
		name string
		run  func(context.Context) error
	}{
		{"dev", func(ctx context.Context) error {
			return runDev(ctx, []string{"--database-url", nowhere, "--data-dir", t.TempDir(), "--temporal-port", "x"}, io.Discard, logger)
		}},
		{"api", func(ctx context.Context) error {
			return runAPI(ctx, []string{"--database-url", nowhere, "--tracking-ttl", "soon"}, logger)
		}},
		{"worker", func(ctx context.Context) error {
			return runWorker(ctx, []string{"--database-url", nowhere, "--callback-target", "2"}, logger)
		}},
		{"migrate", func(ctx context.Context) error {
			return runMigrate(ctx, []string{"--database-url", "mysql://x/y"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(t.Context()); !errors.Is(err, config.ErrInvalid) {
				t.Errorf("got %v, want config.ErrInvalid", err)
			}
		})
	}
}
