// Package integration drives Concierge end to end: a real PostgreSQL over
// pgx, a Temporal server started in this process, the worker and the HTTP
// API. It is the one test package that links the Temporal server (docs/DESIGN.md §9).
package integration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/concierge-pm/concierge/activities"
	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/internal/testdb"
	"github.com/concierge-pm/concierge/notify/notifytest"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/telemetry"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/worker"
	"github.com/concierge-pm/concierge/workflows"
)

const taskQueue = "concierge-it"

// cheapHash is the argon2id cost of the test accounts' passwords.
func cheapHash() auth.Params {
	return auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// testAuth is the sign-in configuration of the tests' API servers.
func testAuth() api.AuthConfig { return api.AuthConfig{Params: cheapHash()} }

// testEmailSecret signs the inbound-mail webhook in the tests.
const testEmailSecret = "integration-email-secret"

// env is the running system shared by the tests of this package.
type env struct {
	store *store.Store
	// temporal encrypts and decrypts payloads with codec, as every client
	// of Concierge does; plain is a client without it, for what an onlooker
	// of the Temporal server sees.
	temporal client.Client
	plain    client.Client
	codec    *payloadcodec.Codec
	http     *httptest.Server
	metrics  *api.Metrics
	registry *prometheus.Registry // the process's metrics (telemetry)
	loc      *time.Location
	tracking *tracking.Signer
	// Notification delivery goes to a test SMTP server and SMS gateway.
	notifier *activities.Notifier
	mailbox  *notifytest.Backend
	sms      *smsGateway

	mu     sync.Mutex
	worker sdkworker.Worker

	// sessions are the tests' sign-ins (signin_test.go).
	sessions sessions
}

// stopWorker stops the worker as a crash or deploy would.
func (e *env) stopWorker() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.worker.Stop()
	e.worker = nil
}

// startWorker starts a fresh worker process-equivalent.
func (e *env) startWorker() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	// The retention period is the configuration's default, as in dev.
	w := worker.New(e.temporal, taskQueue, e.store, e.notifier, worker.Settings{Location: e.loc, Retention: domain.DefaultRetention})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	e.worker = w
	return nil
}

var sys *env

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	gin.SetMode(gin.ReleaseMode)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	slog.SetDefault(logger)
	ctx := context.Background()

	dbURL, drop, err := testdb.Create(ctx, "concierge_it")
	if errors.Is(err, testdb.ErrUnreachable) {
		return missing("PostgreSQL", fmt.Errorf("%w\nSet TEST_DATABASE_URL to a server where the tests may create databases", err))
	} else if err != nil {
		return failed("a fresh database", err)
	}
	defer drop()

	// From here on every error is one of Concierge's own start-up or of
	// the in-process Temporal server: it fails the run, in CI or not, so a
	// bug there cannot pass as a skipped package.
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return failed("open the store", err)
	}
	defer st.Close()
	if err := startupFault("store"); err != nil {
		return failed("open the store", err)
	}
	if err := st.Migrate(ctx); err != nil {
		return failed("migrate", err)
	}
	if _, err := st.LoadDemo(ctx); err != nil {
		return failed("load the demo data", err)
	}
	// Every member of staff signs in with the one test password, hashed
	// cheaply: the encoding carries its cost, and the API below asks for no
	// more, so signing in stays fast.
	pwHash, err := auth.HashPassword(testPassword, cheapHash())
	if err != nil {
		return failed("hash the test password", err)
	}
	if _, err := st.CreateMissingAccounts(ctx, pwHash); err != nil {
		return failed("create the test accounts", err)
	}

	serverLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	ts, err := devtemporal.Start(devtemporal.Options{SearchAttributes: workflows.SearchAttributes(), Logger: serverLog})
	if err != nil {
		return failed("start the in-process Temporal server", err)
	}
	defer ts.Stop()
	key, err := payloadcodec.GenerateKey("it")
	if err != nil {
		return failed("a payload key", err)
	}
	codec, err := payloadcodec.New([]payloadcodec.Key{key})
	if err != nil {
		return failed("the payload codec", err)
	}
	// One registry, as in concierge dev: the SDK's client and worker
	// metrics, the API's request metrics and the business metrics.
	registry := telemetry.NewRegistry()
	sdkMetrics, stopSDKMetrics := telemetry.TemporalMetrics(registry, logger)
	defer stopSDKMetrics()
	registry.MustRegister(telemetry.NewCaseMetrics(st, logger))
	tc, err := client.Dial(client.Options{HostPort: ts.Address(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		DataConverter: payloadcodec.DataConverter(codec), MetricsHandler: sdkMetrics})
	if err != nil {
		return failed("connect to the in-process Temporal server", err)
	}
	defer tc.Close()
	plain, err := client.Dial(client.Options{HostPort: ts.Address(), Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return failed("connect to the in-process Temporal server", err)
	}
	defer plain.Close()

	sys = &env{store: st, temporal: tc, plain: plain, codec: codec, registry: registry}
	if sys.loc, err = time.LoadLocation("Asia/Shanghai"); err != nil {
		return missing("the Asia/Shanghai time zone", err)
	}
	trackingKey, err := st.Secret(ctx, "tracking", 32)
	if err != nil {
		return failed("the tracking-link key", err)
	}
	if sys.tracking, err = tracking.NewSigner(trackingKey); err != nil {
		return failed("the tracking-link signer", err)
	}
	stopDelivery, err := sys.startDelivery()
	if err != nil {
		return failed("start the test SMTP server and SMS gateway", err)
	}
	defer stopDelivery()
	if err := errors.Join(worker.EnsureSchedules(ctx, tc, taskQueue, sys.loc), startupFault("schedules")); err != nil {
		return failed("create the Temporal schedules", err)
	}
	if err := sys.startWorker(); err != nil {
		return failed("start the worker", err)
	}
	defer func() {
		if sys.worker != nil {
			sys.worker.Stop()
		}
	}()
	loc := sys.loc
	sys.metrics = api.NewMetrics(registry)
	sys.http = httptest.NewServer(api.New(api.Config{
		Store: st, Temporal: tc, TaskQueue: taskQueue, Location: loc, Logger: logger, Metrics: sys.metrics,
		// Short, so the test of a stopped worker does not wait the default 30 s.
		WorkflowTimeout: 5 * time.Second,
		EmailSecret:     []byte(testEmailSecret),
		Tracking:        sys.tracking, // links are relative: the test server's address is not known yet
		Auth:            testAuth(),
		Codec:           codec,
	}))
	defer sys.http.Close()
	code := m.Run()
	if dir := os.Getenv("CONCIERGE_RECORD_HISTORIES"); dir != "" && code == 0 {
		if err := recordHistories(ctx, tc, dir); err != nil {
			return failed("record histories", err)
		}
	}
	return code
}

// recordHistories writes the history of a completed workflow of each kind
// and outcome to dir, one JSON file each, for the replay test in the workflows
// package. Run it after changing the workflow on purpose:
//
//	CONCIERGE_RECORD_HISTORIES=$PWD/workflows/testdata/histories go test ./integration
func recordHistories(ctx context.Context, tc client.Client, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: "(WorkflowType IN ('Complaint', 'Repair', 'MonthlyComplaintAnalysis', 'TrainingCycle', 'MonthlyStaffEvaluation', " +
			"'PersonalDataRetention') AND ExecutionStatus = 'Completed') OR " +
			// The campaign runs until the month ends, and a training cycle
			// whose session is ahead sleeps until it: their histories so far
			// (asleep until mid-month, or the month's end, or the session)
			// replay too.
			"(WorkflowType IN ('CallbackCampaign', 'TrainingCycle') AND ExecutionStatus = 'Running')", PageSize: 1000,
	})
	if err != nil {
		return fmt.Errorf("list workflows: %w", err)
	}
	seen := map[string]bool{}
	for _, ex := range resp.GetExecutions() {
		var status string
		var breached bool
		fields := ex.GetSearchAttributes().GetIndexedFields()
		if p := fields[workflows.SACaseStatus.GetName()]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &status)
		}
		if p := fields[workflows.SASlaBreached.GetName()]; p != nil {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &breached)
		}
		if breached {
			// Missed deadlines: the history has fired timers and escalations.
			status += "_breached"
		}
		running := ex.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING
		switch ex.GetType().GetName() {
		case workflows.CampaignWorkflow:
			// A run started before mid-month sleeps until then; one started
			// later has checked and sleeps until the month's end.
			checked, err := historyHas(ctx, tc, ex.GetExecution(), workflows.CheckCampaignActivity)
			if err != nil {
				return err
			}
			status = "asleep"
			if !checked {
				status = "asleep_midmonth"
			}
		case workflows.AnalysisWorkflow, workflows.EvaluationWorkflow:
			status = "archived"
		case workflows.RetentionWorkflow:
			status = "anonymised"
		case workflows.TrainingWorkflow:
			if running {
				// Only a cycle still asleep before its session is kept; one
				// whose exam is open waits for results a test did not send.
				opened, err := historyHas(ctx, tc, ex.GetExecution(), workflows.OpenTrainingActivity)
				if err != nil {
					return err
				}
				if !opened {
					status = "asleep"
				}
				break
			}
			var out domain.TrainingOutcome
			if err := tc.GetWorkflow(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()).Get(ctx, &out); err != nil {
				return fmt.Errorf("read a training cycle's outcome: %w", err)
			}
			status = "closed"
			if out.Duplicate {
				status = "duplicate"
			}
		}
		name := strings.ToLower(ex.GetType().GetName()) + "_" + status + ".json"
		// Histories already committed stay: they are the runs of older
		// workflow code that the current code must still replay.
		if _, err := os.Stat(filepath.Join(dir, name)); status == "" || seen[name] || err == nil {
			continue
		}
		seen[name] = true
		iter := tc.GetWorkflowHistory(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var hist historypb.History
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return fmt.Errorf("read history: %w", err)
			}
			hist.Events = append(hist.Events, ev)
		}
		// Recorded histories are test data, kept decrypted so that the
		// replay test needs no key.
		if err := proxy.VisitPayloads(ctx, &hist, proxy.VisitPayloadsOptions{
			Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
				return sys.codec.Decode(p)
			},
		}); err != nil {
			return fmt.Errorf("decrypt history: %w", err)
		}
		raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&hist)
		if err != nil {
			return fmt.Errorf("encode history: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "recorded %d histories in %s\n", len(seen), dir)
	return nil
}

// historyHas says whether a run's history has scheduled an activity of the
// type.
func historyHas(ctx context.Context, tc client.Client, ex *commonpb.WorkflowExecution, activityType string) (bool, error) {
	iter := tc.GetWorkflowHistory(ctx, ex.GetWorkflowId(), ex.GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return false, fmt.Errorf("read the history of %s: %w", ex.GetWorkflowId(), err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activityType {
			return true, nil
		}
	}
	return false, nil
}

// failed reports an error of the start-up, which fails the run everywhere.
func failed(what string, err error) int {
	fmt.Fprintf(os.Stderr, "FAIL: integration start-up: %s: %v\n", what, err)
	return 1
}

// startupFault makes the named start-up step fail when CONCIERGE_IT_FAULT
// names it, as a bug there would: TestStartupErrorsFailTheRun runs the
// package with it.
func startupFault(step string) error {
	if os.Getenv("CONCIERGE_IT_FAULT") == step {
		return fmt.Errorf("injected fault in %s", step)
	}
	return nil
}

// missing reports a dependency that is not there: under CI=true that fails
// the run with the reason; elsewhere it says loudly that the package did not run.
func missing(what string, err error) int {
	fmt.Fprintf(os.Stderr, "integration tests need %s: %v\n", what, err)
	if os.Getenv("CI") == "true" {
		fmt.Fprintln(os.Stderr, "FAIL: CI=true, so a missing dependency fails the run")
		return 1
	}
	fmt.Fprintln(os.Stderr, "SKIPPING the integration package (set CI=true to make this a failure)")
	return 0
}
