package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/concierge-pm/concierge/worker"
)

// runTemporalSetup prepares a Temporal cluster for Concierge: it waits for
// the frontend, registers the namespace unless it exists and adds the
// custom search attributes (docs/DESIGN.md §5). The Docker Compose
// topology runs it once before the API and the workers; it is safe to run
// again, e.g. after an upgrade that adds a search attribute.
func runTemporalSetup(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("temporal-setup", flag.ContinueOnError)
	address := fs.String("temporal-address", env("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	namespace := fs.String("temporal-namespace", env("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (TEMPORAL_NAMESPACE)")
	retention := fs.Duration("retention", 30*24*time.Hour, "how long the namespace keeps the history of a closed workflow")
	wait := fs.Duration("wait", 3*time.Minute, "how long to wait for the frontend and the new namespace")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()

	// Until the server is up the dial fails; until the namespace cache
	// (refreshed every few seconds) holds a new namespace, the
	// namespace's calls fail. Both are retried, within --wait.
	var nc client.NamespaceClient
	if err := retry(ctx, func() (err error) {
		nc, err = client.NewNamespaceClient(client.Options{HostPort: *address})
		return err
	}); err != nil {
		return fmt.Errorf("connect to Temporal at %s (set TEMPORAL_ADDRESS): %w", *address, err)
	}
	defer nc.Close()
	err := retry(ctx, func() error {
		_, err := nc.Describe(ctx, *namespace)
		var missing *serviceerror.NamespaceNotFound
		if !errors.As(err, &missing) {
			return err
		}
		err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace: *namespace, WorkflowExecutionRetentionPeriod: durationpb.New(*retention),
			Description: "Concierge 物业服务中心",
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err == nil || errors.As(err, &exists) {
			fmt.Fprintf(out, "registered namespace %s (retention %s)\n", *namespace, *retention)
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("register namespace %s: %w", *namespace, err)
	}

	tc, err := client.DialContext(ctx, client.Options{HostPort: *address, Namespace: *namespace})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", *address, err)
	}
	defer tc.Close()
	if err := retry(ctx, func() error { return worker.EnsureSearchAttributes(ctx, tc, *namespace) }); err != nil {
		return err
	}
	fmt.Fprintf(out, "namespace %s is ready with Concierge's search attributes\n", *namespace)
	return nil
}

// retry calls fn every second until it succeeds or ctx ends, and answers
// its last error then.
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}
