package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/concierge-pm/concierge/activities"
	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/worker"
	"github.com/concierge-pm/concierge/workflows"
)

// common holds the settings every process shares.
type common struct {
	databaseURL string
	temporal    string
	namespace   string
	taskQueue   string
	tz          string
}

// links is how tracking links are made: the key is
// CONCIERGE_TRACKING_SECRET, else one the service generates once and keeps
// in PostgreSQL, so links outlive restarts and work on every process.
type links struct {
	signer *tracking.Signer
	public string
	ttl    time.Duration
}

func trackingLinks(ctx context.Context, st *store.Store, httpAddr string) (links, error) {
	key := []byte(os.Getenv("CONCIERGE_TRACKING_SECRET"))
	if len(key) == 0 {
		var err error
		if key, err = st.Secret(ctx, "tracking", 32); err != nil {
			return links{}, err
		}
	}
	signer, err := tracking.NewSigner(key)
	if err != nil {
		return links{}, fmt.Errorf("CONCIERGE_TRACKING_SECRET: %w", err)
	}
	ttl, err := time.ParseDuration(env("CONCIERGE_TRACKING_TTL", "720h"))
	if err != nil || ttl <= 0 {
		return links{}, fmt.Errorf("CONCIERGE_TRACKING_TTL must be a positive duration such as 720h")
	}
	public := env("CONCIERGE_PUBLIC_URL", "http://"+strings.Replace(httpAddr, "0.0.0.0", "127.0.0.1", 1))
	return links{signer: signer, public: public, ttl: ttl}, nil
}

// apiConfig wires the API. Secrets come from the environment only, never
// from flags, which other users of the machine can read in the process list.
func (c *common) apiConfig(ctx context.Context, st *store.Store, tc client.Client, loc *time.Location, logger *slog.Logger, httpAddr string) (api.Config, error) {
	l, err := trackingLinks(ctx, st, httpAddr)
	if err != nil {
		return api.Config{}, err
	}
	return api.Config{Store: st, Temporal: tc, TaskQueue: c.taskQueue, Location: loc, Logger: logger,
		EmailSecret: []byte(os.Getenv("CONCIERGE_EMAIL_SECRET")),
		Tracking:    l.signer, PublicURL: l.public, TrackingTTL: l.ttl}, nil
}

// notifier builds the delivery adapters from the environment: SMTP when
// CONCIERGE_SMTP_HOST is set, the SMS gateway when CONCIERGE_SMS_URL is.
// With neither, notifications are marked skipped.
func notifier(ctx context.Context, st *store.Store, logger *slog.Logger) (*activities.Notifier, error) {
	l, err := trackingLinks(ctx, st, env("HTTP_ADDR", "127.0.0.1:8080"))
	if err != nil {
		return nil, err
	}
	n := &activities.Notifier{Tracking: l.signer, PublicURL: l.public, TrackingTTL: l.ttl, Logger: logger}
	if host := os.Getenv("CONCIERGE_SMTP_HOST"); host != "" {
		port, err := strconv.Atoi(env("CONCIERGE_SMTP_PORT", "587"))
		if err != nil {
			return nil, fmt.Errorf("CONCIERGE_SMTP_PORT: %w", err)
		}
		email, err := notify.NewSMTPSender(notify.SMTPConfig{Host: host, Port: port,
			Username: os.Getenv("CONCIERGE_SMTP_USERNAME"), Password: os.Getenv("CONCIERGE_SMTP_PASSWORD"),
			From: env("CONCIERGE_SMTP_FROM", "物业服务中心 <service@localhost>"), TLS: env("CONCIERGE_SMTP_TLS", "starttls")})
		if err != nil {
			return nil, fmt.Errorf("SMTP settings: %w", err)
		}
		n.Senders = append(n.Senders, email)
	}
	if url := os.Getenv("CONCIERGE_SMS_URL"); url != "" {
		sms, err := notify.NewSMSSender(notify.SMSConfig{URL: url, Token: os.Getenv("CONCIERGE_SMS_TOKEN")})
		if err != nil {
			return nil, fmt.Errorf("SMS gateway settings: %w", err)
		}
		n.Senders = append(n.Senders, sms)
	}
	if len(n.Senders) == 0 {
		logger.Info("no SMTP server or SMS gateway configured: notifications are recorded and marked skipped")
	}
	return n, nil
}

func (c *common) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.databaseURL, "database-url", env("DATABASE_URL", store.DefaultURL), "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&c.temporal, "temporal-address", env("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	fs.StringVar(&c.namespace, "temporal-namespace", env("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.taskQueue, "task-queue", env("TEMPORAL_TASK_QUEUE", worker.DefaultTaskQueue), "Temporal task queue (TEMPORAL_TASK_QUEUE)")
	fs.StringVar(&c.tz, "tz", env("CONCIERGE_TZ", "Asia/Shanghai"), "time zone of the service centre (CONCIERGE_TZ)")
}

func (c *common) location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", c.tz, err)
	}
	return loc, nil
}

func dialTemporal(ctx context.Context, address, namespace string, logger *slog.Logger) (client.Client, error) {
	// The SDK logs every poll retry at info; warnings are what an operator needs.
	quiet := slog.New(logger.Handler()).With("component", "temporal-sdk")
	c, err := client.DialContext(ctx, client.Options{
		HostPort: address, Namespace: namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(levelFilter{quiet.Handler(), slog.LevelWarn})),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (set TEMPORAL_ADDRESS): %w", address, err)
	}
	return c, nil
}

// levelFilter drops records below a minimum level.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < f.min {
		return nil
	}
	return f.Handler.Handle(ctx, r)
}

// startWorker connects to Temporal, makes sure the search attributes exist,
// starts the worker and the intake recovery loop. The caller closes the
// client after stopping the worker.
func startWorker(ctx context.Context, address string, cfg common, st *store.Store, logger *slog.Logger) (client.Client, func(), error) {
	tc, err := dialTemporal(ctx, address, cfg.namespace, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.namespace); err != nil {
		tc.Close()
		return nil, nil, err
	}
	n, err := notifier(ctx, st, logger)
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	loc, err := cfg.location()
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	if err := worker.EnsureSchedules(ctx, tc, cfg.taskQueue, loc); err != nil {
		tc.Close()
		return nil, nil, err
	}
	set, err := standardSettings(loc)
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	w := worker.New(tc, cfg.taskQueue, st, n, set)
	if err := w.Start(); err != nil {
		tc.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	go worker.RunRecovery(ctx, tc, cfg.taskQueue, st, time.Minute)
	return tc, w.Stop, nil
}

// standardSettings reads the service standard's adjustable figures from
// the environment; unset ones keep the standard's defaults.
func standardSettings(loc *time.Location) (worker.Settings, error) {
	set := worker.Settings{Location: loc}
	number := func(name string, lo, hi float64) (float64, error) {
		v := os.Getenv(name)
		if v == "" {
			return 0, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < lo || f > hi {
			return 0, fmt.Errorf("%s=%q: want a number from %g to %g", name, v, lo, hi)
		}
		return f, nil
	}
	mark, err := number("CONCIERGE_TRAINING_PASS_MARK", 1, 100)
	if err != nil {
		return set, err
	}
	examDays, err := number("CONCIERGE_EXAM_DAYS", 1, 90)
	if err != nil {
		return set, err
	}
	retakeDays, err := number("CONCIERGE_RETAKE_DAYS", 1, 30)
	if err != nil {
		return set, err
	}
	target, err := number("CONCIERGE_CALLBACK_TARGET", 0.01, 1)
	if err != nil {
		return set, err
	}
	set.PassMark, set.CallbackTarget = int(mark), target
	set.ExamWindow = time.Duration(examDays * float64(24*time.Hour))
	set.RetakeWindow = time.Duration(retakeDays * float64(24*time.Hour))
	return set, nil
}

func runDev(ctx context.Context, args []string, out io.Writer, logger *slog.Logger) error {
	started := time.Now()
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	var cfg common
	cfg.flags(fs)
	httpAddr := fs.String("http-addr", env("HTTP_ADDR", "127.0.0.1:8080"), "address of the HTTP API (HTTP_ADDR)")
	temporalPort := fs.Int("temporal-port", 7233, "port of the embedded Temporal frontend")
	uiPort := fs.Int("ui-port", 8233, "port of the Temporal Web UI (0: no UI)")
	dataDir := fs.String("data-dir", env("CONCIERGE_DATA_DIR", "./.concierge"), "directory of the embedded Temporal database (CONCIERGE_DATA_DIR)")
	noDemo := fs.Bool("no-demo", false, "do not load the demo data set into an empty database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := cfg.location()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// Fail on a taken HTTP port before starting anything heavy.
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (choose another with --http-addr): %w", *httpAddr, err)
	}
	defer ln.Close()

	st, err := openStore(ctx, cfg.databaseURL, !*noDemo)
	if err != nil {
		return err
	}
	defer st.Close()

	ts, err := devtemporal.Start(devtemporal.Options{
		Port: *temporalPort, UIPort: *uiPort, Namespace: cfg.namespace,
		DatabaseFile:     filepath.Join(*dataDir, "temporal.db"),
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           logger.With("component", "temporal-server"),
	})
	if err != nil {
		return err
	}
	defer ts.Stop()

	// A data directory made by an older version may lack newer attributes,
	// so the worker's start-up check runs here too.
	tc, stopWorker, err := startWorker(ctx, ts.Address(), cfg, st, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	defer stopWorker()

	apiCfg, err := cfg.apiConfig(ctx, st, tc, loc, logger, ln.Addr().String())
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.New(apiCfg),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "Concierge 物业服务中心 is running (ready in %s)\n", time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(out, "  API:             %s/api/v1   (health %s/readyz)\n", base, base)
	if ts.UIURL() != "" {
		fmt.Fprintf(out, "  Temporal Web UI: %s\n", ts.UIURL())
	}
	fmt.Fprintf(out, "  Temporal:        %s (namespace %s)\n", ts.Address(), cfg.namespace)
	fmt.Fprintf(out, "Press Ctrl-C to stop.\n")

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	}
	fmt.Fprintln(out, "Stopping …")
	return shutdown(srv)
}

func shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("stop http server: %w", err)
	}
	return nil
}

func runAPI(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	var cfg common
	cfg.flags(fs)
	httpAddr := fs.String("http-addr", env("HTTP_ADDR", "0.0.0.0:8080"), "listen address (HTTP_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := cfg.location()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.databaseURL, false)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, err := dialTemporal(ctx, cfg.temporal, cfg.namespace, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	apiCfg, err := cfg.apiConfig(ctx, st, tc, loc, logger, *httpAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              *httpAddr,
		Handler:           api.New(apiCfg),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	logger.Info("api listening", "addr", *httpAddr)
	select {
	case <-ctx.Done():
		return shutdown(srv)
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
}

func runWorker(ctx context.Context, args []string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	var cfg common
	cfg.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.databaseURL, false)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, stopWorker, err := startWorker(ctx, cfg.temporal, cfg, st, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	defer stopWorker()
	logger.Info("worker running", "task_queue", cfg.taskQueue, "temporal", cfg.temporal)
	<-ctx.Done()
	return nil
}
