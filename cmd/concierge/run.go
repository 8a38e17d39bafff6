package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/concierge-pm/concierge/activities"
	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/console"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/telemetry"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/worker"
)

// links is how tracking links are made: the key is
// CONCIERGE_TRACKING_SECRET, else one the service generates once and keeps
// in PostgreSQL, so links outlive restarts and work on every process.
type links struct {
	signer *tracking.Signer
	public string
	ttl    time.Duration
}

func trackingLinks(ctx context.Context, st *store.Store, cfg config.Tracking) (links, error) {
	key := []byte(cfg.Secret)
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
	return links{signer: signer, public: cfg.PublicURL, ttl: cfg.TTL}, nil
}

// demoAccounts gives every member of staff without an account one (their
// staff code as username) with the demo password: CONCIERGE_DEMO_PASSWORD,
// else one generated once and kept in PostgreSQL, so it stays the same
// across restarts. It answers the password, for the start-up banner.
// Accounts made earlier keep the password they were made with.
func demoAccounts(ctx context.Context, st *store.Store, given config.Secret) (string, error) {
	pw := string(given)
	if pw == "" {
		key, err := st.Secret(ctx, "demo-password", 12)
		if err != nil {
			return "", err
		}
		pw = base64.RawURLEncoding.EncodeToString(key)
	}
	// One hash for all: they share the password anyway, and argon2id at
	// full cost per account would slow the first start.
	h, err := auth.HashPassword(pw, auth.DefaultParams())
	if err != nil {
		return "", err
	}
	n, err := st.CreateMissingAccounts(ctx, h)
	if err != nil {
		return "", err
	}
	if n > 0 {
		slog.Info("created demo accounts", "accounts", n)
	}
	return pw, nil
}

// apiConfig wires the API.
func apiConfig(cfg *config.Config, st *store.Store, tc client.Client, l links, codec *payloadcodec.Codec, logger *slog.Logger, m *api.Metrics) api.Config {
	lockout := auth.DefaultLockout()
	lockout.LockAfter, lockout.LockFor = cfg.Auth.LockAfter, cfg.Auth.LockFor
	return api.Config{Store: st, Temporal: tc, TaskQueue: cfg.Temporal.TaskQueue, Location: cfg.Location, Logger: logger,
		EmailSecret: []byte(cfg.EmailSecret),
		Tracking:    l.signer, PublicURL: l.public, TrackingTTL: l.ttl,
		TrackingRate: cfg.HTTP.TrackingRate, EmailRate: cfg.HTTP.EmailRate, LoginRate: cfg.HTTP.LoginRate,
		TrustedProxies: cfg.HTTP.TrustedProxies, Metrics: m,
		Namespace: cfg.Temporal.Namespace, Codec: codec, CodecOrigins: cfg.Payload.Origins,
		Auth: api.AuthConfig{SessionIdle: cfg.Auth.SessionIdle, SessionMax: cfg.Auth.SessionMax,
			SecureCookies: cfg.Auth.SecureCookies, Lockout: lockout},
		Mount: console.Mount(console.Config{NotFound: api.NoRoute, Location: cfg.Location, TemporalUI: temporalUI(cfg.Payload.Origins),
			Namespace: cfg.Temporal.Namespace, Logger: logger})}
}

// temporalUI is the Web UI the console links cases to: the last of the
// Web UI origins the codec endpoint answers (concierge dev adds its own
// last), or none.
func temporalUI(origins []string) string {
	if len(origins) == 0 {
		return ""
	}
	return origins[len(origins)-1]
}

// servers are the API's HTTP server and, unless CONCIERGE_METRICS_ADDR is
// off, the metrics server on its own listener.
type servers struct {
	api, metrics *http.Server
	metricsLn    net.Listener
	errs         chan error
}

// listen opens the API's listener and the metrics listener (none when
// CONCIERGE_METRICS_ADDR is off); callers open them before starting
// anything heavy, so a taken port fails at once.
func listen(cfg *config.Config) (ln, mln net.Listener, err error) {
	ln, err = net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s (choose another with --http-addr): %w", cfg.HTTP.Addr, err)
	}
	if mln, err = listenMetrics(cfg); err != nil {
		ln.Close()
		return nil, nil, err
	}
	return ln, mln, nil
}

// closeListeners closes what listen opened.
func closeListeners(ln, mln net.Listener) {
	ln.Close()
	if mln != nil {
		mln.Close()
	}
}

// listenMetrics opens the metrics listener, or none when
// CONCIERGE_METRICS_ADDR is off; callers open it before starting anything
// heavy, as they do the API's.
func listenMetrics(cfg *config.Config) (net.Listener, error) {
	if cfg.HTTP.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.HTTP.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for /metrics (choose another with --metrics-addr, or off): %w", cfg.HTTP.MetricsAddr, err)
	}
	return ln, nil
}

// serve starts the API on ln with the configured limits, and the
// process's metrics on mln unless it is nil. The API adds its request
// metrics and the business metrics (telemetry.CaseMetrics) to reg.
func serve(ln, mln net.Listener, reg *prometheus.Registry, cfg *config.Config, st *store.Store, tc client.Client, l links, codec *payloadcodec.Codec, logger *slog.Logger) *servers {
	m := api.NewMetrics(reg)
	reg.MustRegister(telemetry.NewCaseMetrics(st, logger))
	s := serveMetrics(mln, reg, cfg)
	s.api = api.NewHTTPServer(api.New(apiConfig(cfg, st, tc, l, codec, logger, m)), cfg.HTTP.Limits)
	go func() { s.errs <- s.api.Serve(cfg.HTTP.Limits.Listen(ln)) }()
	return s
}

// serveMetrics serves reg on mln unless it is nil (the API server, if
// any, is the caller's to add).
func serveMetrics(mln net.Listener, reg *prometheus.Registry, cfg *config.Config) *servers {
	s := &servers{errs: make(chan error, 2)}
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", telemetry.Handler(reg))
		s.metrics, s.metricsLn = api.NewHTTPServer(mux, cfg.HTTP.Limits), mln
		go func() { s.errs <- s.metrics.Serve(mln) }()
	}
	return s
}

// metricsURL is where /metrics is served, or "" for nowhere.
func (s *servers) metricsURL() string {
	if s.metricsLn == nil {
		return ""
	}
	return "http://" + s.metricsLn.Addr().String() + "/metrics"
}

// shutdown stops both servers, letting requests in flight finish.
func (s *servers) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if s.metrics != nil {
		errs = append(errs, s.metrics.Shutdown(ctx))
	}
	if s.api == nil {
		return errors.Join(errs...)
	}
	if err := s.api.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop http server: %w", err))
	}
	return errors.Join(errs...)
}

// notifier builds the sender of every notification channel that is
// configured (notify.Channels: SMTP when CONCIERGE_SMTP_HOST is set, the SMS
// gateway when CONCIERGE_SMS_URL is). With none, notifications are marked
// skipped.
func notifier(cfg *config.Config, l links, logger *slog.Logger) (*activities.Notifier, error) {
	senders, err := notify.NewSenders(cfg.Channels)
	if err != nil {
		return nil, err
	}
	if len(senders) == 0 {
		var switches []string
		for _, s := range cfg.Channels {
			switches = append(switches, s.Channel.Env(s.Channel.On))
		}
		logger.Info("no notification channel configured: notifications are recorded and marked skipped",
			"set_one_of", strings.Join(switches, ","))
	}
	return &activities.Notifier{Senders: senders, Tracking: l.signer, PublicURL: l.public, TrackingTTL: l.ttl, Logger: logger}, nil
}

// payloadCodec builds the payload encryption from CONCIERGE_PAYLOAD_KEYS.
// `concierge dev` also reads (and on its first start makes) the key kept in
// its data directory, so that a restart reads the histories it wrote, and
// that key keeps decrypting after an operator configures keys of their own.
// api and worker cannot get here without keys: config refuses to start them.
func payloadCodec(cfg *config.Config, logger *slog.Logger) (*payloadcodec.Codec, error) {
	var keys []payloadcodec.Key
	if cfg.Payload.Keys != "" {
		var err error
		if keys, err = payloadcodec.ParseKeys(string(cfg.Payload.Keys)); err != nil {
			return nil, fmt.Errorf("%s: %w", payloadcodec.EnvKeys, err)
		}
	}
	if cfg.Process == config.Dev {
		path := filepath.Join(cfg.Dev.DataDir, payloadcodec.DevKeyFile)
		kept, created, err := payloadcodec.LoadOrCreateKeyFile(path, time.Now())
		if err != nil {
			return nil, err
		}
		if created {
			logger.Info("generated the workflow payload key; keep it with the data directory", "file", path, "key_id", kept[0].ID)
		}
		for _, k := range kept {
			if !slices.ContainsFunc(keys, func(c payloadcodec.Key) bool { return c.ID == k.ID }) {
				keys = append(keys, k)
			}
		}
	}
	c, err := payloadcodec.New(keys)
	if err != nil {
		return nil, err
	}
	logger.Info("workflow payloads are encrypted", "key_id", c.KeyID(), "keys", len(keys))
	return c, nil
}

// dialTemporal connects to Temporal; the SDK's client (and worker) metrics
// go to reg.
func dialTemporal(ctx context.Context, address, namespace string, codec *payloadcodec.Codec, reg *prometheus.Registry, logger *slog.Logger) (client.Client, error) {
	// The SDK logs every poll retry at info; warnings are what an operator needs.
	quiet := slog.New(logger.Handler()).With("component", "temporal-sdk")
	metrics, stopMetrics := telemetry.TemporalMetrics(reg, logger)
	c, err := client.DialContext(ctx, client.Options{
		HostPort: address, Namespace: namespace,
		Logger:         sdklog.NewStructuredLogger(slog.New(levelFilter{quiet.Handler(), slog.LevelWarn})),
		DataConverter:  payloadcodec.DataConverter(codec),
		MetricsHandler: metrics,
	})
	if err != nil {
		stopMetrics()
	}
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
func startWorker(ctx context.Context, address string, reg *prometheus.Registry, cfg *config.Config, st *store.Store, l links, codec *payloadcodec.Codec, logger *slog.Logger) (client.Client, func(), error) {
	tc, err := dialTemporal(ctx, address, cfg.Temporal.Namespace, codec, reg, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.Temporal.Namespace); err != nil {
		tc.Close()
		return nil, nil, err
	}
	n, err := notifier(cfg, l, logger)
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	if err := worker.EnsureSchedules(ctx, tc, cfg.Temporal.TaskQueue, cfg.Location); err != nil {
		tc.Close()
		return nil, nil, err
	}
	set := worker.Settings{Location: cfg.Location, PassMark: cfg.Standard.PassMark,
		ExamWindow: cfg.Standard.ExamWindow, RetakeWindow: cfg.Standard.RetakeWindow,
		CallbackTarget: cfg.Standard.CallbackTarget, Retention: cfg.Standard.Retention}
	// Process-wide in the SDK, and read when the first worker starts.
	sdkworker.SetStickyWorkflowCacheSize(cfg.Temporal.WorkflowCache)
	w := worker.New(tc, cfg.Temporal.TaskQueue, st, n, set)
	if err := w.Start(); err != nil {
		tc.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	go worker.RunRecovery(ctx, tc, cfg.Temporal.TaskQueue, st, time.Minute)
	return tc, w.Stop, nil
}

func runAPI(ctx context.Context, args []string, logger *slog.Logger) error {
	cfg, err := config.Load(config.API, args, os.LookupEnv, os.Stderr)
	if err != nil {
		return err
	}
	logger.Info("configuration", "config", cfg)
	st, err := openStore(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := trackingLinks(ctx, st, cfg.Tracking)
	if err != nil {
		return err
	}
	codec, err := payloadCodec(cfg, logger)
	if err != nil {
		return err
	}
	reg := telemetry.NewRegistry()
	tc, err := dialTemporal(ctx, cfg.Temporal.Address, cfg.Temporal.Namespace, codec, reg, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	ln, mln, err := listen(cfg)
	if err != nil {
		return err
	}
	defer closeListeners(ln, mln)
	srv := serve(ln, mln, reg, cfg, st, tc, l, codec, logger)
	logger.Info("api listening", "addr", ln.Addr().String(), "metrics", srv.metricsURL())
	select {
	case <-ctx.Done():
		return srv.shutdown()
	case err := <-srv.errs:
		_ = srv.shutdown()
		return fmt.Errorf("http server: %w", err)
	}
}

func runWorker(ctx context.Context, args []string, logger *slog.Logger) error {
	cfg, err := config.Load(config.Worker, args, os.LookupEnv, os.Stderr)
	if err != nil {
		return err
	}
	logger.Info("configuration", "config", cfg)
	st, err := openStore(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := trackingLinks(ctx, st, cfg.Tracking)
	if err != nil {
		return err
	}
	codec, err := payloadCodec(cfg, logger)
	if err != nil {
		return err
	}
	// Fail on a taken metrics port before starting anything heavy.
	mln, err := listenMetrics(cfg)
	if err != nil {
		return err
	}
	if mln != nil {
		defer mln.Close()
	}
	reg := telemetry.NewRegistry()
	tc, stopWorker, err := startWorker(ctx, cfg.Temporal.Address, reg, cfg, st, l, codec, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	defer stopWorker()
	srv := serveMetrics(mln, reg, cfg)
	logger.Info("worker running", "task_queue", cfg.Temporal.TaskQueue, "temporal", cfg.Temporal.Address, "metrics", srv.metricsURL())
	select {
	case <-ctx.Done():
		return srv.shutdown()
	case err := <-srv.errs:
		_ = srv.shutdown()
		return fmt.Errorf("metrics server: %w", err)
	}
}
