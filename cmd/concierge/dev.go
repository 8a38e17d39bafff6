//go:build !nodev

// The development commands: `concierge dev` with its embedded Temporal
// server and Web UI, and `concierge bench`, which runs one too. The
// production build (-tags nodev, see Dockerfile) leaves them out, and with
// them the Temporal server and the Web UI's assets.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/bench"
	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/telemetry"
	"github.com/concierge-pm/concierge/workflows"
)

func runDev(ctx context.Context, args []string, out io.Writer, logger *slog.Logger) error {
	started := time.Now()
	cfg, err := config.Load(config.Dev, args, os.LookupEnv, os.Stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Dev.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// Fail on a taken HTTP port before starting anything heavy.
	ln, mln, err := listen(cfg)
	if err != nil {
		return err
	}
	defer closeListeners(ln, mln)
	cfg.Listening(ln.Addr().String())
	logger.Info("configuration", "config", cfg)

	st, err := openStore(ctx, cfg.DatabaseURL, cfg.LoadDemo)
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := trackingLinks(ctx, st, cfg.Tracking)
	if err != nil {
		return err
	}
	var demoPassword string
	if cfg.LoadDemo {
		if demoPassword, err = demoAccounts(ctx, st, cfg.Auth.DemoPassword); err != nil {
			return err
		}
	}

	codec, err := payloadCodec(cfg, logger)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	ts, err := devtemporal.Start(devtemporal.Options{
		Port: cfg.Dev.TemporalPort, UIPort: cfg.Dev.UIPort, Namespace: cfg.Temporal.Namespace,
		DatabaseFile:     filepath.Join(cfg.Dev.DataDir, "temporal.db"),
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           logger.With("component", "temporal-server"),
		// The Web UI shows payloads decoded by Concierge's codec endpoint,
		// for callers the API identifies, and only reads unless told otherwise.
		UICodecEndpoint: base + api.CodecPath,
		UIWriteActions:  cfg.Dev.UIWriteActions,
	})
	if err != nil {
		return err
	}
	defer ts.Stop()
	if ts.UIURL() != "" {
		cfg.Payload.Origins = append(cfg.Payload.Origins, ts.UIURL())
	}

	// A data directory made by an older version may lack newer attributes,
	// so the worker's start-up check runs here too.
	reg := telemetry.NewRegistry()
	tc, stopWorker, err := startWorker(ctx, ts.Address(), reg, cfg, st, l, codec, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	defer stopWorker()

	srv := serve(ln, mln, reg, cfg, st, tc, l, codec, logger)

	fmt.Fprintf(out, "Concierge 物业服务中心 is running (ready in %s)\n", time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(out, "  API:             %s/api/v1   (health %s/readyz)\n", base, base)
	fmt.Fprintf(out, "  Staff console:   %s/console/\n", base)
	if u := srv.metricsURL(); u != "" {
		fmt.Fprintf(out, "  Metrics:         %s\n", u)
	}
	if ts.UIURL() != "" {
		fmt.Fprintf(out, "  Temporal Web UI: %s\n", ts.UIURL())
	}
	fmt.Fprintf(out, "  Temporal:        %s (namespace %s)\n", ts.Address(), cfg.Temporal.Namespace)
	if cfg.LoadDemo {
		shown := "$CONCIERGE_DEMO_PASSWORD"
		if cfg.Auth.DemoPassword == "" {
			shown = demoPassword
		}
		fmt.Fprintf(out, "  Sign in:         any demo staff code (liu_fang, chen_jing, admin, auditor …) with password %s\n", shown)
	}
	fmt.Fprintf(out, "Press Ctrl-C to stop.\n")

	select {
	case <-ctx.Done():
	case err := <-srv.errs:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = srv.shutdown()
			return fmt.Errorf("http server: %w", err)
		}
	}
	fmt.Fprintln(out, "Stopping …")
	return srv.shutdown()
}

func runBench(ctx context.Context, args []string) error {
	o, err := bench.Flags(args, env("BENCH_DATABASE_URL", "postgres://postgres@localhost:5432/concierge_bench"))
	if err != nil {
		return err
	}
	res, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	res.Report(os.Stdout)
	return nil
}
