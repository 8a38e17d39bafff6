// Command concierge runs the Concierge service desk: `dev` runs everything in
// one process; `api`, `worker` and `migrate` are the production processes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/telemetry"
)

const usage = `concierge — 物业服务中心前台系统 / property-management service desk

Usage:
  concierge dev      run everything in one process with an embedded Temporal server
  concierge api      run the HTTP API (production)
  concierge worker   run the Temporal worker (production)
  concierge migrate  apply the database migrations and exit
  concierge users    manage staff accounts and API tokens (create, set-password, disable, token)
  concierge bench    measure Concierge beside Temporal's own floor (latency, rates, throughput, memory)
  concierge generate load a large synthetic history into a scratch database and time the KPI and report queries
  concierge temporal-setup  register the Temporal namespace and the search attributes on a cluster, then exit
  concierge healthcheck     exit 0 if the API answers ready (for container health checks)

Run "concierge <command> -h" for the flags of a command.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A record logged inside an activity names its workflow (and so its case).
	logger := slog.New(telemetry.WorkflowLogs(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	slog.SetDefault(logger)
	gin.SetMode(gin.ReleaseMode)

	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "dev":
		err = runDev(ctx, args, os.Stdout, logger)
	case "api":
		err = runAPI(ctx, args, logger)
	case "worker":
		err = runWorker(ctx, args, logger)
	case "migrate":
		err = runMigrate(ctx, args)
	case "users":
		err = runUsers(ctx, args, os.Stdin, os.Stdout)
	case "bench":
		err = runBench(ctx, args)
	case "generate":
		err = runGenerate(ctx, args, os.Stdout)
	case "temporal-setup":
		err = runTemporalSetup(ctx, args, os.Stdout)
	case "healthcheck":
		err = runHealthcheck(ctx, args)
	case "-h", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		if errors.Is(err, store.ErrUnreachable) || errors.Is(err, config.ErrInvalid) || errors.Is(err, errNotInBuild) {
			// One clear message, no log noise: the error says how to fix it.
			fmt.Fprintf(os.Stderr, "concierge %s: %v\n", cmd, err)
		} else {
			logger.Error("concierge stopped", "command", cmd, "error", err)
		}
		os.Exit(1)
	}
}

// errNotInBuild is a command that this build of the binary leaves out
// (the production build has no `dev`: nodev.go).
var errNotInBuild = errors.New("not in this build")

// env returns the environment variable or a default, for the tools (bench,
// generate); the service's processes read theirs through package config.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func runMigrate(ctx context.Context, args []string) error {
	cfg, err := config.Load(config.Migrate, args, os.LookupEnv, os.Stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.DatabaseURL, cfg.LoadDemo)
	if err != nil {
		return err
	}
	st.Close()
	return nil
}

// openStore connects, migrates and optionally loads the demo data.
func openStore(ctx context.Context, url string, demo bool) (*store.Store, error) {
	st, err := store.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if demo {
		loaded, err := st.LoadDemo(ctx)
		if err != nil {
			st.Close()
			return nil, err
		}
		if loaded {
			slog.Info("loaded the demo data set (community A 阳光花园, 5 departments, handbook)")
		}
	}
	return st, nil
}
