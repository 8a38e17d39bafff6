package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/notify"
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

// The worker builds a sender for each channel that is configured, and
// none (every notification skipped) without any.
func TestNotifierBuildsTheConfiguredChannels(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"none", nil, nil},
		{"SMTP", map[string]string{"CONCIERGE_SMTP_HOST": "smtp.example.cn"}, []string{notify.ChannelEmail}},
		{"SMS", map[string]string{"CONCIERGE_SMS_URL": "https://sms.example.cn/send"}, []string{notify.ChannelSMS}},
		{"both", map[string]string{"CONCIERGE_SMTP_HOST": "smtp.example.cn", "CONCIERGE_SMS_URL": "https://sms.example.cn/send",
			"CONCIERGE_SMS_TOKEN": "tok"}, []string{notify.ChannelEmail, notify.ChannelSMS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A worker needs payload keys whatever its channels.
			lookup := func(k string) (string, bool) {
				if k == "CONCIERGE_PAYLOAD_KEYS" {
					return "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", true
				}
				v, ok := tc.env[k]
				return v, ok
			}
			cfg, err := config.Load(config.Worker, nil, lookup, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			n, err := notifier(cfg, links{}, logger)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range n.Senders {
				got = append(got, s.Channel())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("senders %v, want %v", got, tc.want)
			}
		})
	}
}
