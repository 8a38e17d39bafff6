// Command composetest drives a running Concierge deployment through every
// API replica it is given (package composetest) and fails unless every
// complaint and repair it records ends closed, the same on every replica.
// .ci/compose-test runs it against the Docker Compose topology:
//
//	COMPOSE_TEST_PASSWORD=… go run ./cmd/composetest -api http://127.0.0.1:18080,http://127.0.0.1:18081
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/concierge-pm/concierge/internal/composetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "composetest:", err)
		os.Exit(1)
	}
}

func run() error {
	apis := flag.String("api", "http://127.0.0.1:8080", "comma-separated base URLs, one per API replica")
	username := flag.String("username", "chen_jing", "account to sign in with; its password is $COMPOSE_TEST_PASSWORD")
	per := flag.Int("per-replica", 5, "complaints and repairs to record on each replica")
	conc := flag.Int("concurrency", 4, "cases in flight at once")
	wait := flag.Duration("wait", 3*time.Minute, "how long to wait for every replica to answer ready")
	fault := flag.String("fault", "", "instead of the flows, a fault scenario: api-kill, worker-kill, postgres-kill, temporal-restart")
	intakes := flag.Int("intakes", 500, "complaints a fault scenario records")
	intakeConc := flag.Int("intake-concurrency", 50, "complaints a fault scenario records at once")
	project := flag.String("project", "concierge-ci", "the compose project (fault scenarios)")
	composeFile := flag.String("compose-file", "docker-compose.yml", "the compose file (fault scenarios)")
	envFile := flag.String("env-file", "", "the compose project's settings (fault scenarios)")
	temporal := flag.String("temporal", "", "the Temporal frontend, host:port (fault scenarios)")
	flag.Parse()
	password := os.Getenv("COMPOSE_TEST_PASSWORD")
	if password == "" {
		return errors.New("set COMPOSE_TEST_PASSWORD to the password of -username")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	hc := &http.Client{Timeout: time.Minute}

	var clients []*composetest.Client
	for _, base := range strings.Split(*apis, ",") {
		if err := waitReady(ctx, hc, base, *wait); err != nil {
			return err
		}
		c, err := composetest.SignIn(ctx, hc, base, *username, password)
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	if *fault != "" {
		tc, err := client.Dial(client.Options{HostPort: *temporal, Logger: quietSDK()})
		if err != nil {
			return fmt.Errorf("connect to Temporal at %s: %w", *temporal, err)
		}
		defer tc.Close()
		d := deployment{project: *project, file: *composeFile, env: *envFile}
		switch *fault {
		case "api-kill":
			return faultAPIKill(ctx, d, hc, clients, tc, *intakes, *intakeConc)
		case "worker-kill":
			return faultWorkerKill(ctx, d, clients, tc, *intakes, *intakeConc)
		case "postgres-kill":
			return faultPostgresKill(ctx, d, clients, tc, *intakes, *intakeConc)
		case "temporal-restart":
			return faultTemporalRestart(ctx, d, clients, *intakes, *intakeConc)
		default:
			return fmt.Errorf("unknown fault scenario %q", *fault)
		}
	}
	runID := time.Now().UTC().Format("20060102T150405")
	res, err := composetest.Run(ctx, clients, composetest.Options{PerReplica: *per, Concurrency: *conc, RunID: runID})
	fmt.Printf("composetest: %d replicas; recorded %d complaints and %d repairs; %d closed in %s\n",
		len(clients), res.Recorded["complaint"], res.Recorded["repair"], res.Closed, res.Elapsed.Round(time.Millisecond))
	if err != nil {
		return err
	}
	if err := composetest.Verify(ctx, clients, res.Cases); err != nil {
		return err
	}
	fmt.Printf("composetest: every replica reads all %d cases closed\n", len(res.Cases))
	return nil
}

// waitReady polls the replica's /readyz until it answers 200.
func waitReady(ctx context.Context, hc *http.Client, base string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not ready after %s: %w", base, wait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
