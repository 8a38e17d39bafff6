package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/concierge-pm/concierge/activities"
	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/config"
	"github.com/concierge-pm/concierge/devtemporal"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/worker"
	"github.com/concierge-pm/concierge/workflows"
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

// apiConfig wires the API.
func apiConfig(cfg *config.Config, st *store.Store, tc client.Client, l links, codec *payloadcodec.Codec, logger *slog.Logger) api.Config {
	return api.Config{Store: st, Temporal: tc, TaskQueue: cfg.Temporal.TaskQueue, Namespace: cfg.Temporal.Namespace,
		Location: cfg.Location, Logger: logger,
		EmailSecret: []byte(cfg.EmailSecret),
		Tracking:    l.signer, PublicURL: l.public, TrackingTTL: l.ttl,
		Codec: codec, CodecOrigins: cfg.Payload.Origins}
}

// notifier builds the delivery adapters: SMTP when CONCIERGE_SMTP_HOST is
// set, the SMS gateway when CONCIERGE_SMS_URL is. With neither,
// notifications are marked skipped.
func notifier(cfg *config.Config, l links, logger *slog.Logger) (*activities.Notifier, error) {
	n := &activities.Notifier{Tracking: l.signer, PublicURL: l.public, TrackingTTL: l.ttl, Logger: logger}
	if cfg.SMTP.Host != "" {
		email, err := notify.NewSMTPSender(notify.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port,
			Username: cfg.SMTP.Username, Password: string(cfg.SMTP.Password),
			From: cfg.SMTP.From, TLS: cfg.SMTP.TLS})
		if err != nil {
			return nil, fmt.Errorf("SMTP settings: %w", err)
		}
		n.Senders = append(n.Senders, email)
	}
	if cfg.SMS.URL != "" {
		sms, err := notify.NewSMSSender(notify.SMSConfig{URL: cfg.SMS.URL, Token: string(cfg.SMS.Token)})
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

func dialTemporal(ctx context.Context, address, namespace string, codec *payloadcodec.Codec, logger *slog.Logger) (client.Client, error) {
	// The SDK logs every poll retry at info; warnings are what an operator needs.
	quiet := slog.New(logger.Handler()).With("component", "temporal-sdk")
	c, err := client.DialContext(ctx, client.Options{
		HostPort: address, Namespace: namespace,
		Logger:        sdklog.NewStructuredLogger(slog.New(levelFilter{quiet.Handler(), slog.LevelWarn})),
		DataConverter: payloadcodec.DataConverter(codec),
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
func startWorker(ctx context.Context, address string, cfg *config.Config, st *store.Store, l links, codec *payloadcodec.Codec, logger *slog.Logger) (client.Client, func(), error) {
	tc, err := dialTemporal(ctx, address, cfg.Temporal.Namespace, codec, logger)
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
		CallbackTarget: cfg.Standard.CallbackTarget}
	w := worker.New(tc, cfg.Temporal.TaskQueue, st, n, set)
	if err := w.Start(); err != nil {
		tc.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	go worker.RunRecovery(ctx, tc, cfg.Temporal.TaskQueue, st, time.Minute)
	return tc, w.Stop, nil
}

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
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (choose another with --http-addr): %w", cfg.HTTP.Addr, err)
	}
	defer ln.Close()
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
	tc, stopWorker, err := startWorker(ctx, ts.Address(), cfg, st, l, codec, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	defer stopWorker()

	srv := &http.Server{
		Handler:           api.New(apiConfig(cfg, st, tc, l, codec, logger)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	fmt.Fprintf(out, "Concierge 物业服务中心 is running (ready in %s)\n", time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(out, "  API:             %s/api/v1   (health %s/readyz)\n", base, base)
	if ts.UIURL() != "" {
		fmt.Fprintf(out, "  Temporal Web UI: %s\n", ts.UIURL())
	}
	fmt.Fprintf(out, "  Temporal:        %s (namespace %s)\n", ts.Address(), cfg.Temporal.Namespace)
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
	tc, err := dialTemporal(ctx, cfg.Temporal.Address, cfg.Temporal.Namespace, codec, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	srv := &http.Server{
		Addr:              cfg.HTTP.Addr,
		Handler:           api.New(apiConfig(cfg, st, tc, l, codec, logger)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	logger.Info("api listening", "addr", cfg.HTTP.Addr)
	select {
	case <-ctx.Done():
		return shutdown(srv)
	case err := <-serveErr:
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
	tc, stopWorker, err := startWorker(ctx, cfg.Temporal.Address, cfg, st, l, codec, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	defer stopWorker()
	logger.Info("worker running", "task_queue", cfg.Temporal.TaskQueue, "temporal", cfg.Temporal.Address)
	<-ctx.Done()
	return nil
}
