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
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
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
	// UICodecEndpoint is the remote codec the Web UI decodes payloads with
	// (Concierge's /codec); empty shows payloads as stored (encrypted).
	UICodecEndpoint string
	// UIWriteActions lets the Web UI terminate, cancel, signal, reset,
	// update and start workflows; without it the UI only reads.
	UIWriteActions bool
}

// Server is a running embedded Temporal server.
type Server struct {
	srv     *devserver.Server
	ui      *uiserver.Server
	address string
	uiURL   string
}

// Address is the frontend's host:port for SDK clients.
func (s *Server) Address() string { return s.address }

// UIURL is the Web UI's URL, or empty without a UI.
func (s *Server) UIURL() string { return s.uiURL }

// Stop shuts the server down.
func (s *Server) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	s.srv.Stop()
}

// UIConfig is the Web UI's configuration: as the Temporal CLI's dev server
// sets it up, plus the codec endpoint and, unless o.UIWriteActions, no
// write actions. The UI server refuses every non-GET call but queries
// itself when DisableWriteActions is on, so this is enforced, not only
// hidden; the finer switches hide the buttons as well.
func UIConfig(o Options, frontend string) *uiconfig.Config {
	readOnly := !o.UIWriteActions
	return &uiconfig.Config{
		Host:                devserver.MaybeEscapeIPv6(o.IP),
		Port:                o.UIPort,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    o.Namespace,
		// The browser sends the staff's cookies to the codec endpoint, so
		// that sign-in can gate it.
		Codec:                     uiconfig.Codec{Endpoint: o.UICodecEndpoint, IncludeCredentials: o.UICodecEndpoint != ""},
		CORS:                      uiconfig.CORS{CookieInsecure: true},
		HideLogs:                  true,
		DisableWriteActions:       readOnly,
		WorkflowTerminateDisabled: readOnly,
		WorkflowCancelDisabled:    readOnly,
		WorkflowSignalDisabled:    readOnly,
		WorkflowUpdateDisabled:    readOnly,
		WorkflowResetDisabled:     readOnly,
		BatchActionsDisabled:      readOnly,
		StartWorkflowDisabled:     readOnly,
		ActivityCommandsDisabled:  readOnly,
	}
}

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
			// An activity scheduled by a workflow task goes back to the
			// worker that completed the task, in the answer, when it has a
			// free slot, instead of through the task queue: a notification
			// delivery starts a round trip sooner (docs/DESIGN.md §11.16).
			"system.enableActivityEagerExecution": true,
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
		s.uiURL = fmt.Sprintf("http://%s", net.JoinHostPort(o.IP, strconv.Itoa(o.UIPort)))
	}
	// The dev server's own UI takes no codec credentials nor write switches,
	// so the UI server is started here, with UIConfig, instead.
	srv, err := devserver.Start(opts)
	if err != nil {
		return nil, fmt.Errorf("start embedded temporal: %w", err)
	}
	s.srv = srv
	if o.UIPort != 0 {
		s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(UIConfig(o, s.address)))
		go func() {
			// Start blocks until Stop; the port was checked free above.
			if err := s.ui.Start(); err != nil {
				o.Logger.Error("the Temporal Web UI stopped", "error", err)
			}
		}()
	}
	return s, nil
}
