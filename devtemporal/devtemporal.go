// Package devtemporal runs a Temporal server inside the process, for
// `concierge dev` and the integration tests. It wraps the Temporal CLI's dev
// server package (docs/DESIGN.md §4, §5).
package devtemporal

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/google/uuid"
	"github.com/temporalio/cli/temporalcli/devserver"
	"go.temporal.io/api/enums/v1"
)

// Options configure the embedded server.
type Options struct {
	IP        string
	Port      int // frontend gRPC port; 0 picks a free one
	UIPort    int // Web UI port; 0 means no UI
	Namespace string
	// DatabaseFile is the SQLite file that keeps workflows across restarts;
	// empty keeps everything in memory.
	DatabaseFile     string
	SearchAttributes map[string]enums.IndexedValueType
	Logger           *slog.Logger
}

// Server is a running embedded Temporal server.
type Server struct {
	srv     *devserver.Server
	address string
	uiURL   string
}

// Address is the frontend's host:port for SDK clients.
func (s *Server) Address() string { return s.address }

// UIURL is the Web UI's URL, or empty without a UI.
func (s *Server) UIURL() string { return s.uiURL }

// Stop shuts the server down.
func (s *Server) Stop() { s.srv.Stop() }

// Start starts the server and returns once its frontend accepts calls.
func Start(o Options) (*Server, error) {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Port == 0 {
		o.Port = devserver.MustGetFreePort(o.IP)
	} else if err := devserver.CheckPortFree(o.IP, o.Port); err != nil {
		return nil, fmt.Errorf("temporal port %d: %w", o.Port, err)
	}
	opts := devserver.StartOptions{
		FrontendIP:             o.IP,
		FrontendPort:           o.Port,
		Namespaces:             []string{o.Namespace},
		ClusterID:              uuid.NewString(),
		MasterClusterName:      "active",
		CurrentClusterName:     "active",
		InitialFailoverVersion: 1,
		Logger:                 o.Logger,
		LogLevel:               slog.LevelWarn,
		DatabaseFile:           o.DatabaseFile,
		SearchAttributes:       o.SearchAttributes,
		DynamicConfigValues: map[string]any{
			// As the Temporal CLI does: new search attributes are visible at
			// once, with persistence limits raised to match.
			"system.forceSearchAttributesCacheRefreshOnRead": true,
			"frontend.persistenceMaxQPS":                     10000,
			"history.persistenceMaxQPS":                      45000,
			// One host, one worker: a single task-queue partition hands each
			// task straight to a waiting poller instead of forwarding it
			// between partitions, which cost seconds under load.
			"matching.numTaskqueueReadPartitions":  1,
			"matching.numTaskqueueWritePartitions": 1,
		},
	}
	if o.DatabaseFile != "" {
		// WAL with synchronous=normal measured about 3x the default file mode
		// (docs/DESIGN.md §5) and still survives a process crash.
		opts.SqlitePragmas = map[string]string{"journal_mode": "wal", "synchronous": "normal"}
	}
	s := &Server{address: net.JoinHostPort(o.IP, strconv.Itoa(o.Port))}
	if o.UIPort != 0 {
		if err := devserver.CheckPortFree(o.IP, o.UIPort); err != nil {
			return nil, fmt.Errorf("web UI port %d: %w", o.UIPort, err)
		}
		opts.UIIP, opts.UIPort = o.IP, o.UIPort
		s.uiURL = fmt.Sprintf("http://%s", net.JoinHostPort(o.IP, strconv.Itoa(o.UIPort)))
	}
	srv, err := devserver.Start(opts)
	if err != nil {
		return nil, fmt.Errorf("start embedded temporal: %w", err)
	}
	s.srv = srv
	return s, nil
}
