//go:build nodev

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// noDev is the answer of the development commands in the production build
// (-tags nodev), which leaves out the embedded Temporal server and Web UI.
func noDev(cmd string) error {
	return fmt.Errorf("%w: the production build (-tags nodev) has no embedded Temporal server; "+
		"run `go run ./cmd/concierge %s` from a checkout, or `concierge api` and `concierge worker` against a Temporal cluster", errNotInBuild, cmd)
}

func runDev(context.Context, []string, io.Writer, *slog.Logger) error { return noDev("dev") }

func runBench(context.Context, []string) error { return noDev("bench") }
