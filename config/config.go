// Package config is Concierge's one typed configuration: every setting of
// every process is declared once below (its variable, its flag, its default
// and its check), loaded once at start — flags over environment over
// defaults — and validated before anything starts, so a bad value stops the
// process with a message that names the variable or flag.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/auth"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/payloadcodec"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/worker"
)

// ErrInvalid is a configuration with at least one bad value; the error
// that wraps it lists each, one a line.
var ErrInvalid = errors.New("invalid configuration")

// Process is a command of the concierge binary; each reads the settings it
// needs and rejects the others' flags.
type Process string

// The processes that take configuration.
const (
	Dev     Process = "dev"
	API     Process = "api"
	Worker  Process = "worker"
	Migrate Process = "migrate"
)

// DefaultTimeZone is the centre's zone unless CONCIERGE_TZ names another.
const DefaultTimeZone = "Asia/Shanghai"

// Secret is a setting that must not be shown: printing it with any verb or
// logging it gives a mask. Convert it ([]byte(s), string(s)) to use it.
type Secret string

// String masks the secret.
func (s Secret) String() string {
	if s == "" {
		return "(unset)"
	}
	return "(set)"
}

// GoString masks the secret under %#v too.
func (s Secret) GoString() string { return s.String() }

// LogValue masks the secret in slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Config is the effective configuration of one process.
type Config struct {
	Process Process
	// DatabaseURL is the PostgreSQL URL (or key=value string).
	DatabaseURL string
	// LoadDemo loads the demo data set into an empty database (dev unless
	// --no-demo, migrate with --demo).
	LoadDemo bool
	Temporal Temporal
	HTTP     HTTP
	// TimeZone is the centre's zone as named; Location is it loaded.
	TimeZone string
	Location *time.Location
	// Dev holds the settings of the embedded servers of `concierge dev`.
	Dev DevServer
	// EmailSecret signs the inbound-mail webhook; email intake is off
	// without one.
	EmailSecret Secret
	// Channels are the settings of the notification channels, one per
	// notify.Channels entry and in its order; see Channel.
	Channels []notify.Settings
	Tracking Tracking
	Standard Standard
	Auth     Auth
	Payload  Payload

	// publicURLGiven says CONCIERGE_PUBLIC_URL was set, so a listener on
	// another port than asked for (port 0) does not change it.
	publicURLGiven bool
	// from records where each setting came from: "environment" or "flag".
	from map[string]string
}

// Temporal is where the workflows run.
type Temporal struct {
	Address   string
	Namespace string
	TaskQueue string
	// WorkflowCache is how many workflows the worker keeps in memory
	// between their tasks (the SDK's sticky cache); one that was let go is
	// rebuilt from its history at its next task.
	WorkflowCache int
}

// HTTP is where the API listens and what it allows a client.
type HTTP struct {
	Addr string
	// Limits are the server's timeouts, header size and connection count.
	Limits api.Limits
	// TrackingRate and EmailRate limit each client of the tracking pages
	// and of the email webhook.
	TrackingRate, EmailRate, LoginRate api.RateLimit
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// MetricsAddr is where /metrics is served; "" for nowhere.
	MetricsAddr string
}

// DevServer is the embedded Temporal server of `concierge dev`.
type DevServer struct {
	DataDir      string
	TemporalPort int
	// UIPort is the Web UI's port; 0 for none.
	UIPort int
	// UIWriteActions lets the Web UI terminate, cancel, signal, reset…;
	// off, it only reads.
	UIWriteActions bool
}

// Payload is the encryption of workflow payloads (payloadcodec).
type Payload struct {
	// Keys is CONCIERGE_PAYLOAD_KEYS, ID:base64[,…], the first encrypting;
	// read it with payloadcodec.ParseKeys. Empty in dev means the key kept
	// in the data directory.
	Keys Secret
	// Origins are the Web UI origins the codec endpoint answers in CORS.
	Origins []string
}

// Tracking is how residents' tracking links are made.
type Tracking struct {
	// Secret is the signing key; empty means the one kept in PostgreSQL.
	Secret Secret
	TTL    time.Duration
	// PublicURL is the links' base, as residents reach the API.
	PublicURL string
}

// Auth is how staff sign in (docs/DESIGN.md §7.2).
type Auth struct {
	// SessionIdle ends a session unused for that long; SessionMax ends
	// every session that long after sign-in.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests (behind a proxy that ends TLS); it always is over TLS.
	SecureCookies bool
	// LockAfter failed sign-ins of a name lock it for LockFor.
	LockAfter int
	LockFor   time.Duration
	// DemoPassword is the password of the demo accounts of `concierge
	// dev`; empty means one generated once and kept in PostgreSQL.
	DemoPassword Secret
}

// Standard holds the adjustable figures of the service standard.
type Standard struct {
	PassMark       int
	ExamWindow     time.Duration
	RetakeWindow   time.Duration
	CallbackTarget float64
	// Retention is how long after a case closes (a visit, an email, a
	// campaign call) residents' personal data is kept before the nightly
	// schedule anonymises it; 0 is off.
	Retention time.Duration
}

// setting is one configurable value. Every check, default and name of a
// setting is here and nowhere else.
type setting struct {
	env  string // the environment variable; "" for flag-only settings
	flag string // the flag without dashes; "" for secrets, which never are flags
	// procs are the processes that read the setting.
	procs []Process
	// def is the default; byProc overrides it for some processes.
	def    string
	byProc map[Process]string
	// defDoc describes a default that is derived from other settings.
	defDoc  string
	secret  bool
	boolean bool
	usage   string
	// apply checks v and stores it; its error says what is wrong with the
	// value without repeating the value or the name.
	apply func(c *Config, v string) error
	// show is the value as printed at start, secrets and URL passwords masked.
	show func(c *Config) string
}

func (s setting) key() string {
	if s.env != "" {
		return s.env
	}
	return "--" + s.flag
}

func (s setting) defaultFor(p Process) string {
	if v, ok := s.byProc[p]; ok {
		return v
	}
	return s.def
}

var (
	serving  = []Process{Dev, API, Worker}
	apiProcs = []Process{Dev, API}
	database = []Process{Dev, API, Worker, Migrate}
	delivery = []Process{Dev, Worker}
	signIn   = []Process{Dev, API}
)

// settings declares every setting, with those of the notification
// channels chs (see channelSettings) after the email secret. It is a
// function, not a package variable, so that nothing can change it at run
// time.
func settings(chs []notify.Channel) []setting {
	all := []setting{
		{env: "DATABASE_URL", flag: "database-url", procs: database, def: store.DefaultURL,
			usage: "PostgreSQL URL; the database is created if missing",
			apply: func(c *Config, v string) error { c.DatabaseURL = v; return checkDatabaseURL(v) },
			show:  func(c *Config) string { return redactURL(c.DatabaseURL) }},
		{env: "TEMPORAL_ADDRESS", flag: "temporal-address", procs: serving, def: "127.0.0.1:7233",
			usage: "Temporal frontend host:port (api, worker; dev runs its own)",
			apply: func(c *Config, v string) error { c.Temporal.Address = v; return checkHostPort(v, true) },
			show:  func(c *Config) string { return c.Temporal.Address }},
		{env: "TEMPORAL_NAMESPACE", flag: "temporal-namespace", procs: serving, def: "default",
			usage: "Temporal namespace",
			apply: func(c *Config, v string) error { c.Temporal.Namespace = v; return checkName(v) },
			show:  func(c *Config) string { return c.Temporal.Namespace }},
		{env: "TEMPORAL_TASK_QUEUE", flag: "task-queue", procs: serving, def: worker.DefaultTaskQueue,
			usage: "Temporal task queue of the workflows",
			apply: func(c *Config, v string) error { c.Temporal.TaskQueue = v; return checkName(v) },
			show:  func(c *Config) string { return c.Temporal.TaskQueue }},
		{env: "CONCIERGE_WORKFLOW_CACHE", flag: "workflow-cache", procs: delivery, def: strconv.Itoa(worker.DefaultWorkflowCache),
			usage: "workflows the worker keeps in memory between their tasks; one let go is replayed from its history at its next task",
			apply: func(c *Config, v string) (err error) {
				c.Temporal.WorkflowCache, err = intIn(v, 1, 1_000_000)
				return err
			},
			show: func(c *Config) string { return strconv.Itoa(c.Temporal.WorkflowCache) }},
		{env: "HTTP_ADDR", flag: "http-addr", procs: serving, def: "0.0.0.0:8080",
			byProc: map[Process]string{Dev: "127.0.0.1:8080"},
			usage:  "where the API listens (the worker makes tracking links for it)",
			apply:  func(c *Config, v string) error { c.HTTP.Addr = v; return checkHostPort(v, false) },
			show:   func(c *Config) string { return c.HTTP.Addr }},
		{env: "CONCIERGE_HTTP_READ_HEADER_TIMEOUT", flag: "http-read-header-timeout", procs: apiProcs,
			def:   domain.FormatDuration(api.DefaultReadHeaderTimeout),
			usage: "time a client has to send a request's headers",
			apply: func(c *Config, v string) (err error) {
				c.HTTP.Limits.ReadHeaderTimeout, err = durationIn(v, 100*time.Millisecond, time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.HTTP.Limits.ReadHeaderTimeout) }},
		{env: "CONCIERGE_HTTP_READ_TIMEOUT", flag: "http-read-timeout", procs: apiProcs,
			def:   domain.FormatDuration(api.DefaultReadTimeout),
			usage: "time a client has to send a whole request, body included",
			apply: func(c *Config, v string) (err error) {
				c.HTTP.Limits.ReadTimeout, err = durationIn(v, 100*time.Millisecond, time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.HTTP.Limits.ReadTimeout) }},
		{env: "CONCIERGE_HTTP_WRITE_TIMEOUT", flag: "http-write-timeout", procs: apiProcs,
			def:   domain.FormatDuration(api.DefaultWriteTimeout),
			usage: "time from a request's headers to the end of its answer",
			apply: func(c *Config, v string) (err error) {
				// A request may wait 30 s for the worker; a shorter write
				// timeout would cut those answers off.
				c.HTTP.Limits.WriteTimeout, err = durationIn(v, 31*time.Second, time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.HTTP.Limits.WriteTimeout) }},
		{env: "CONCIERGE_HTTP_IDLE_TIMEOUT", flag: "http-idle-timeout", procs: apiProcs,
			def:   domain.FormatDuration(api.DefaultIdleTimeout),
			usage: "how long a kept-alive connection may wait for its next request",
			apply: func(c *Config, v string) (err error) {
				c.HTTP.Limits.IdleTimeout, err = durationIn(v, 100*time.Millisecond, time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.HTTP.Limits.IdleTimeout) }},
		{env: "CONCIERGE_HTTP_MAX_HEADER_BYTES", flag: "http-max-header-bytes", procs: apiProcs,
			def:   strconv.Itoa(api.DefaultMaxHeaderBytes),
			usage: "largest request headers, in bytes",
			apply: func(c *Config, v string) (err error) {
				c.HTTP.Limits.MaxHeaderBytes, err = intIn(v, 4096, 1<<20)
				return err
			},
			show: func(c *Config) string { return strconv.Itoa(c.HTTP.Limits.MaxHeaderBytes) }},
		{env: "CONCIERGE_HTTP_MAX_CONNS", flag: "http-max-conns", procs: apiProcs,
			def:   strconv.Itoa(api.DefaultMaxConns),
			usage: "most connections served at once; more wait (0: no limit)",
			apply: func(c *Config, v string) (err error) {
				c.HTTP.Limits.MaxConns, err = intIn(v, 0, 1_000_000)
				return err
			},
			show: func(c *Config) string { return strconv.Itoa(c.HTTP.Limits.MaxConns) }},
		{env: "CONCIERGE_RATE_TRACKING", flag: "rate-tracking", procs: apiProcs,
			def:   api.DefaultTrackingRate().String(),
			usage: "requests per client to the tracking links: <burst>/<period>, or off",
			apply: func(c *Config, v string) (err error) { c.HTTP.TrackingRate, err = api.ParseRateLimit(v); return err },
			show:  func(c *Config) string { return c.HTTP.TrackingRate.String() }},
		{env: "CONCIERGE_RATE_EMAIL", flag: "rate-email", procs: apiProcs,
			def:   api.DefaultEmailRate().String(),
			usage: "requests per client to the email webhook: <burst>/<period>, or off",
			apply: func(c *Config, v string) (err error) { c.HTTP.EmailRate, err = api.ParseRateLimit(v); return err },
			show:  func(c *Config) string { return c.HTTP.EmailRate.String() }},
		{env: "CONCIERGE_RATE_LOGIN", flag: "rate-login", procs: apiProcs,
			def:   api.DefaultLoginRate().String(),
			usage: "sign-in attempts per client, whatever names they try: <burst>/<period>, or off",
			apply: func(c *Config, v string) (err error) { c.HTTP.LoginRate, err = api.ParseRateLimit(v); return err },
			show:  func(c *Config) string { return c.HTTP.LoginRate.String() }},
		{env: "CONCIERGE_TRUSTED_PROXIES", flag: "trusted-proxies", procs: apiProcs,
			usage: "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For names the client",
			apply: func(c *Config, v string) (err error) { c.HTTP.TrustedProxies, err = parsePrefixes(v); return err },
			show:  func(c *Config) string { return formatPrefixes(c.HTTP.TrustedProxies) }},
		{env: "CONCIERGE_METRICS_ADDR", flag: "metrics-addr", procs: serving, def: "127.0.0.1:9090",
			byProc: map[Process]string{Worker: "127.0.0.1:9091"},
			usage:  "where /metrics is served, apart from the API (off: nowhere)",
			apply: func(c *Config, v string) error {
				if v == "off" {
					c.HTTP.MetricsAddr = ""
					return nil
				}
				c.HTTP.MetricsAddr = v
				if err := checkHostPort(v, false); err != nil {
					return errors.New("want host:port or off")
				}
				return nil
			},
			show: func(c *Config) string {
				if c.HTTP.MetricsAddr == "" {
					return "off"
				}
				return c.HTTP.MetricsAddr
			}},
		{env: "CONCIERGE_EMAIL_SECRET", procs: []Process{Dev, API}, secret: true,
			usage: "shared secret of the inbound-mail webhook's HMAC signature",
			apply: func(c *Config, v string) error { c.EmailSecret = Secret(v); return nil },
			show:  func(c *Config) string { return c.EmailSecret.String() }},
	}
	all = append(all, channelSettings(chs)...)
	return append(all, []setting{
		{env: "CONCIERGE_TRACKING_SECRET", procs: serving, secret: true,
			defDoc: "generated once and kept in PostgreSQL",
			usage:  "key of the residents' tracking links",
			apply: func(c *Config, v string) error {
				c.Tracking.Secret = Secret(v)
				if v != "" && len(v) < tracking.MinKeySize {
					return fmt.Errorf("want at least %d bytes, got %d", tracking.MinKeySize, len(v))
				}
				return nil
			},
			show: func(c *Config) string { return c.Tracking.Secret.String() }},
		{env: payloadcodec.EnvKeys, procs: serving, secret: true,
			defDoc: "`dev`: generated once and kept in the data directory; `api`, `worker`: required",
			usage:  "keys of the workflow payload encryption, ID:base64[,ID:base64…], the first encrypting",
			apply: func(c *Config, v string) error {
				c.Payload.Keys = Secret(v)
				if v == "" {
					return nil
				}
				_, err := payloadcodec.ParseKeys(v)
				return err
			},
			show: func(c *Config) string { return c.Payload.Keys.String() }},
		{env: "CONCIERGE_CODEC_ORIGINS", flag: "codec-origins", procs: []Process{Dev, API}, defDoc: "`dev`: its own Web UI",
			usage: "origins of Temporal Web UIs that may call the codec endpoint, comma-separated",
			apply: func(c *Config, v string) error {
				c.Payload.Origins = nil
				for o := range strings.SplitSeq(v, ",") {
					if o = strings.TrimSpace(o); o == "" {
						continue
					}
					u, err := url.Parse(o)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
						return errors.New("want origins such as https://temporal-ui.example.com, comma-separated")
					}
					c.Payload.Origins = append(c.Payload.Origins, u.Scheme+"://"+u.Host)
				}
				return nil
			},
			show: func(c *Config) string { return strings.Join(c.Payload.Origins, ",") }},
		{env: "CONCIERGE_TRACKING_TTL", flag: "tracking-ttl", procs: serving, def: domain.FormatDuration(tracking.DefaultTTL),
			usage: "how long a tracking link lasts",
			apply: func(c *Config, v string) error {
				d, err := time.ParseDuration(v)
				if err != nil || d <= 0 {
					return errors.New("want a positive duration such as 720h")
				}
				c.Tracking.TTL = d
				return nil
			},
			show: func(c *Config) string { return domain.FormatDuration(c.Tracking.TTL) }},
		{env: "CONCIERGE_PUBLIC_URL", flag: "public-url", procs: serving, defDoc: "`http://<http-addr>`",
			usage: "base of tracking links, as residents reach the API",
			apply: func(c *Config, v string) error {
				c.Tracking.PublicURL, c.publicURLGiven = v, v != ""
				return checkHTTPURL(v)
			},
			show: func(c *Config) string { return redactURL(c.Tracking.PublicURL) }},
		{env: "CONCIERGE_SESSION_IDLE", flag: "session-idle", procs: signIn, def: "2h",
			usage: "a session unused this long ends",
			apply: func(c *Config, v string) (err error) {
				c.Auth.SessionIdle, err = durationIn(v, time.Minute, 30*24*time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.Auth.SessionIdle) }},
		{env: "CONCIERGE_SESSION_MAX", flag: "session-max", procs: signIn, def: "12h",
			usage: "every session ends this long after sign-in",
			apply: func(c *Config, v string) (err error) {
				c.Auth.SessionMax, err = durationIn(v, time.Minute, 90*24*time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.Auth.SessionMax) }},
		{env: "CONCIERGE_SECURE_COOKIES", flag: "secure-cookies", procs: signIn, def: "false", boolean: true,
			usage: "mark the session cookie Secure on plain HTTP too (behind a TLS proxy)",
			apply: func(c *Config, v string) (err error) {
				c.Auth.SecureCookies, err = strconv.ParseBool(v)
				return boolError(err)
			},
			show: func(c *Config) string { return strconv.FormatBool(c.Auth.SecureCookies) }},
		{env: "CONCIERGE_LOGIN_LOCK_AFTER", flag: "login-lock-after", procs: signIn, def: "10",
			usage: "failed sign-ins of a name that lock it",
			apply: func(c *Config, v string) (err error) { c.Auth.LockAfter, err = intIn(v, 3, 1000); return err },
			show:  func(c *Config) string { return strconv.Itoa(c.Auth.LockAfter) }},
		{env: "CONCIERGE_LOGIN_LOCK_FOR", flag: "login-lock-for", procs: signIn, def: "15m",
			usage: "how long a locked name stays locked",
			apply: func(c *Config, v string) (err error) {
				c.Auth.LockFor, err = durationIn(v, time.Second, 7*24*time.Hour)
				return err
			},
			show: func(c *Config) string { return domain.FormatDuration(c.Auth.LockFor) }},
		{env: "CONCIERGE_DEMO_PASSWORD", procs: []Process{Dev}, secret: true,
			defDoc: "generated once, kept in PostgreSQL and printed at start",
			usage:  "password of the demo accounts",
			apply: func(c *Config, v string) error {
				c.Auth.DemoPassword = Secret(v)
				if v != "" && len(v) < auth.MinPasswordLen {
					return fmt.Errorf("want at least %d characters", auth.MinPasswordLen)
				}
				return nil
			},
			show: func(c *Config) string { return c.Auth.DemoPassword.String() }},
		{env: "CONCIERGE_TZ", flag: "tz", procs: serving, def: DefaultTimeZone,
			usage: "time zone of the service centre",
			apply: func(c *Config, v string) error {
				loc, err := time.LoadLocation(v)
				if err != nil {
					return errors.New("want a time zone such as Asia/Shanghai")
				}
				c.TimeZone, c.Location = v, loc
				return nil
			},
			show: func(c *Config) string { return c.TimeZone }},
		{env: "CONCIERGE_DATA_DIR", flag: "data-dir", procs: []Process{Dev}, def: "./.concierge",
			usage: "directory of the embedded Temporal database",
			apply: func(c *Config, v string) error {
				c.Dev.DataDir = v
				if v == "" {
					return errors.New("want a directory")
				}
				return nil
			},
			show: func(c *Config) string { return c.Dev.DataDir }},
		{flag: "temporal-port", procs: []Process{Dev}, def: "7233",
			usage: "port of the embedded Temporal frontend (0: any free port)",
			apply: func(c *Config, v string) (err error) { c.Dev.TemporalPort, err = intIn(v, 0, 65535); return err },
			show:  func(c *Config) string { return strconv.Itoa(c.Dev.TemporalPort) }},
		{flag: "ui-port", procs: []Process{Dev}, def: "8233",
			usage: "port of the Temporal Web UI (0: no UI)",
			apply: func(c *Config, v string) (err error) { c.Dev.UIPort, err = intIn(v, 0, 65535); return err },
			show:  func(c *Config) string { return strconv.Itoa(c.Dev.UIPort) }},
		{env: "CONCIERGE_UI_WRITE_ACTIONS", flag: "ui-write-actions", procs: []Process{Dev}, def: "false", boolean: true,
			usage: "let the embedded Web UI terminate, cancel, signal, reset… workflows",
			apply: func(c *Config, v string) (err error) {
				c.Dev.UIWriteActions, err = strconv.ParseBool(v)
				return boolError(err)
			},
			show: func(c *Config) string { return strconv.FormatBool(c.Dev.UIWriteActions) }},
		{flag: "no-demo", procs: []Process{Dev}, def: "false", boolean: true,
			usage: "do not load the demo data set into an empty database",
			apply: func(c *Config, v string) error {
				no, err := strconv.ParseBool(v)
				c.LoadDemo = !no
				return boolError(err)
			},
			show: func(c *Config) string { return strconv.FormatBool(!c.LoadDemo) }},
		{flag: "demo", procs: []Process{Migrate}, def: "false", boolean: true,
			usage: "also load the demo data set into an empty database",
			apply: func(c *Config, v string) (err error) { c.LoadDemo, err = strconv.ParseBool(v); return boolError(err) },
			show:  func(c *Config) string { return strconv.FormatBool(c.LoadDemo) }},
		{env: "CONCIERGE_TRAINING_PASS_MARK", flag: "training-pass-mark", procs: delivery,
			def:   strconv.Itoa(domain.DefaultPassMark),
			usage: "pass mark of the quarterly exam, out of 100",
			apply: func(c *Config, v string) (err error) { c.Standard.PassMark, err = intIn(v, 1, 100); return err },
			show:  func(c *Config) string { return strconv.Itoa(c.Standard.PassMark) }},
		{env: "CONCIERGE_EXAM_DAYS", flag: "exam-days", procs: delivery, def: formatDays(domain.DefaultExamWindow),
			usage: "days the quarterly exam is open",
			apply: func(c *Config, v string) (err error) { c.Standard.ExamWindow, err = daysIn(v, 1, 90); return err },
			show:  func(c *Config) string { return formatDays(c.Standard.ExamWindow) }},
		{env: "CONCIERGE_RETAKE_DAYS", flag: "retake-days", procs: delivery, def: formatDays(domain.DefaultRetakeWindow),
			usage: "days after a failed first sitting that its retake is due",
			apply: func(c *Config, v string) (err error) { c.Standard.RetakeWindow, err = daysIn(v, 1, 30); return err },
			show:  func(c *Config) string { return formatDays(c.Standard.RetakeWindow) }},
		{env: "CONCIERGE_CALLBACK_TARGET", flag: "callback-target", procs: delivery,
			def:   strconv.FormatFloat(domain.DefaultCallbackTarget, 'f', -1, 64),
			usage: "share of active households the monthly callback campaign calls",
			apply: func(c *Config, v string) (err error) {
				c.Standard.CallbackTarget, err = numberIn(v, 0.01, 1)
				return err
			},
			show: func(c *Config) string { return strconv.FormatFloat(c.Standard.CallbackTarget, 'f', -1, 64) }},
		{env: "CONCIERGE_RETENTION_DAYS", flag: "retention-days", procs: delivery, def: formatDays(domain.DefaultRetention),
			usage: "days after a case closes that residents' personal data is anonymised, or off",
			apply: func(c *Config, v string) (err error) {
				if v == "off" {
					c.Standard.Retention = 0
					return nil
				}
				// At least a month: a case reopened or a callback owed
				// shortly after closing still needs its resident.
				c.Standard.Retention, err = daysIn(v, 30, 36500)
				if err != nil {
					return fmt.Errorf("%w, or off", err)
				}
				return nil
			},
			show: func(c *Config) string {
				if c.Standard.Retention == 0 {
					return "off"
				}
				return formatDays(c.Standard.Retention)
			}},
	}...)
}

// channelSettings are the settings each notification channel declares
// (notify.Channel.Settings), read by the processes that deliver. Their
// values go to Config.Channels[i], where i is the channel's place in chs.
func channelSettings(chs []notify.Channel) []setting {
	var out []setting
	for i, ch := range chs {
		for _, cs := range ch.Settings {
			s := setting{env: ch.Env(cs.Key), procs: delivery, def: cs.Default, secret: cs.Secret, usage: cs.Usage,
				apply: func(c *Config, v string) error {
					c.Channels[i].Values[cs.Key] = v
					if cs.URL {
						if err := checkHTTPURL(v); err != nil {
							return err
						}
					}
					if cs.Check != nil {
						return cs.Check(v)
					}
					return nil
				},
				show: func(c *Config) string {
					v := c.Channels[i].Get(cs.Key)
					switch {
					case cs.Secret:
						return Secret(v).String()
					case cs.URL:
						return redactURL(v)
					}
					return v
				}}
			if !cs.Secret {
				s.flag = ch.Flag(cs.Key)
			}
			out = append(out, s)
		}
	}
	return out
}

// flagValue holds a flag's text until all flags are parsed, so that every
// bad value is reported at once, under its flag's name.
type flagValue struct {
	text    string
	set     bool
	boolean bool
}

func (f *flagValue) String() string {
	if f == nil {
		return ""
	}
	return f.text
}

func (f *flagValue) Set(v string) error { f.text, f.set = v, true; return nil }

func (f *flagValue) IsBoolFlag() bool { return f.boolean }

// Load builds the configuration of process p from its command-line args and
// the environment, read through lookup (os.LookupEnv in production): a
// flag beats its variable, a variable beats the default, and an empty
// variable counts as unset. Every value is checked; the error lists each
// bad one by its flag or variable. Help output goes to usage; a -h answers
// flag.ErrHelp.
func Load(p Process, args []string, lookup func(string) (string, bool), usage io.Writer) (*Config, error) {
	return load(p, args, lookup, usage, notify.Channels())
}

// load is Load with the notification channels chs, so that a test can add
// one of its own.
func load(p Process, args []string, lookup func(string) (string, bool), usage io.Writer, chs []notify.Channel) (*Config, error) {
	c := &Config{Process: p, from: map[string]string{}}
	for _, ch := range chs {
		c.Channels = append(c.Channels, notify.Settings{Channel: ch, Values: map[string]string{}})
	}
	fs := flag.NewFlagSet(string(p), flag.ContinueOnError)
	fs.SetOutput(usage)
	type pending struct {
		setting
		text, source string
		fv           *flagValue
	}
	var all []*pending
	for _, s := range settings(chs) {
		if !slices.Contains(s.procs, p) {
			continue
		}
		pd := &pending{setting: s, text: s.defaultFor(p)}
		if s.env != "" {
			if v, ok := lookup(s.env); ok && v != "" {
				pd.text, pd.source = v, "environment"
			}
		}
		if s.flag != "" {
			pd.fv = &flagValue{text: pd.text, boolean: s.boolean}
			help := s.usage
			if s.env != "" {
				help += " (" + s.env + ")"
			}
			fs.Var(pd.fv, s.flag, help)
			if s.defDoc != "" && pd.text == "" {
				fs.Lookup(s.flag).DefValue = strings.Trim(s.defDoc, "`")
			}
		}
		all = append(all, pd)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q (settings are flags such as --http-addr=…)", fs.Arg(0)))
	}
	for _, pd := range all {
		name := pd.key()
		if pd.fv != nil && pd.fv.set {
			pd.text, pd.source, name = pd.fv.text, "flag", "--"+pd.flag
		}
		if pd.source != "" {
			c.from[pd.key()] = pd.source
		}
		if err := pd.apply(c, pd.text); err != nil {
			if pd.secret {
				errs = append(errs, fmt.Errorf("%s: %s", name, err))
			} else {
				errs = append(errs, fmt.Errorf("%s=%q: %s", name, pd.text, err))
			}
		}
	}
	errs = append(errs, c.check()...)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("%w:\n  %s", ErrInvalid, strings.Join(msgs, "\n  "))
	}
	if !c.publicURLGiven && c.HTTP.Addr != "" {
		c.Tracking.PublicURL = publicURL(c.HTTP.Addr)
	}
	return c, nil
}

// check holds the rules that relate two settings: the payload keys of the
// processes that must bring their own, and those of a notification channel
// that is on, which the channel declares.
func (c *Config) check() []error {
	var errs []error
	if (c.Process == API || c.Process == Worker) && c.Payload.Keys == "" {
		// Running unencrypted would put residents' cases into the Temporal
		// database in clear text without anyone noticing; dev generates a
		// key, production must choose one (README: Encryption of workflow
		// payloads).
		errs = append(errs, errors.New(payloadcodec.EnvKeys+" is required: workflow payloads are encrypted; "+
			"make a key with: echo \"k1:$(head -c 32 /dev/urandom | base64)\" and give api and worker the same keys"))
	}
	for _, s := range c.Channels {
		if !s.IsOn() || s.Channel.Check == nil {
			continue
		}
		if err := s.Channel.Check(s); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Channel is the settings of the notification channel named name (e.g.
// notify.ChannelEmail); with none of that name, empty settings.
func (c *Config) Channel(name string) notify.Settings {
	for _, s := range c.Channels {
		if s.Channel.Name == name {
			return s
		}
	}
	return notify.Settings{}
}

// channels are the notification channels c was loaded with.
func (c *Config) channels() []notify.Channel {
	chs := make([]notify.Channel, len(c.Channels))
	for i, s := range c.Channels {
		chs[i] = s.Channel
	}
	return chs
}

// Listening records the address the API really listens on (another port
// than asked for when that was 0); tracking links follow it unless
// CONCIERGE_PUBLIC_URL says where residents reach the API.
func (c *Config) Listening(addr string) {
	c.HTTP.Addr = addr
	if !c.publicURLGiven {
		c.Tracking.PublicURL = publicURL(addr)
	}
}

// LogValue is the effective configuration with secrets and URL passwords
// masked, keyed by variable (or flag), and which came from where; log it
// at start with slog.Info("configuration", "config", cfg).
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	var fromEnv, fromFlags []string
	for _, s := range settings(c.channels()) {
		if !slices.Contains(s.procs, c.Process) {
			continue
		}
		attrs = append(attrs, slog.String(s.key(), s.show(&c)))
		switch c.from[s.key()] {
		case "environment":
			fromEnv = append(fromEnv, s.key())
		case "flag":
			fromFlags = append(fromFlags, s.key())
		}
	}
	attrs = append(attrs, slog.String("from_environment", strings.Join(fromEnv, ",")),
		slog.String("from_flags", strings.Join(fromFlags, ",")))
	return slog.GroupValue(attrs...)
}

// String is the effective configuration, masked as LogValue masks it, so
// that printing a Config with any verb shows no secret.
func (c Config) String() string {
	var parts []string
	for _, a := range c.LogValue().Group() {
		parts = append(parts, a.Key+"="+a.Value.String())
	}
	return strings.Join(parts, " ")
}

// GoString masks as String does.
func (c Config) GoString() string { return c.String() }

// Doc is one setting as the README's Configuration table lists it.
type Doc struct {
	Env, Flag string // "" when there is none
	// Default is as the table shows it, e.g. `127.0.0.1:8080` (`dev`), `0.0.0.0:8080` (`api`, `worker`).
	Default string
	Secret  bool
}

// Docs lists every setting for the README.
func Docs() []Doc {
	var docs []Doc
	for _, s := range settings(notify.Channels()) {
		d := Doc{Env: s.env, Secret: s.secret}
		if s.flag != "" {
			d.Flag = "--" + s.flag
		}
		d.Default = defaultDoc(s)
		docs = append(docs, d)
	}
	return docs
}

func defaultDoc(s setting) string {
	if s.defDoc != "" {
		return s.defDoc
	}
	if len(s.byProc) == 0 {
		if s.def == "" {
			return ""
		}
		return "`" + s.def + "`"
	}
	// One part per distinct value, with the processes that have it.
	var values []string
	procs := map[string][]string{}
	for _, p := range s.procs {
		v := s.defaultFor(p)
		if _, ok := procs[v]; !ok {
			values = append(values, v)
		}
		procs[v] = append(procs[v], "`"+string(p)+"`")
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "`" + v + "` (" + strings.Join(procs[v], ", ") + ")"
	}
	return strings.Join(parts, ", ")
}

func checkDatabaseURL(v string) error {
	if !strings.Contains(v, "://") {
		if !strings.Contains(v, "=") {
			return errors.New("want a URL such as postgres://USER:PASSWORD@HOST:5432/concierge")
		}
		return nil // a key=value connection string; pgx reads it
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("want a URL such as postgres://USER:PASSWORD@HOST:5432/concierge")
	}
	return nil
}

func checkHostPort(v string, needHost bool) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return errors.New("want host:port")
	}
	if needHost && host == "" {
		return errors.New("want host:port with a host")
	}
	if _, err := intIn(port, 0, 65535); err != nil {
		return errors.New("want host:port with a port from 0 to 65535")
	}
	return nil
}

// checkName is checkWord for a value that must be there.
func checkName(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	return checkWord(v)
}

func checkWord(v string) error {
	if strings.TrimSpace(v) != v || strings.ContainsAny(v, " \t\r\n") {
		return errors.New("must not contain spaces")
	}
	return nil
}

func checkHTTPURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an absolute http or https URL")
	}
	return nil
}

func intIn(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

func numberIn(v string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < lo || f > hi {
		return 0, fmt.Errorf("want a number from %g to %g", lo, hi)
	}
	return f, nil
}

// durationIn parses a Go duration between lo and hi.
func durationIn(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("want a duration from %s to %s, such as 30s or 2h", domain.FormatDuration(lo), domain.FormatDuration(hi))
	}
	return d, nil
}

// parsePrefixes reads a comma-separated list of IP addresses and CIDRs.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, errors.New("want IP addresses or CIDRs separated by commas, such as 10.0.0.0/8,192.168.1.10")
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func formatPrefixes(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func daysIn(v string, lo, hi float64) (time.Duration, error) {
	f, err := numberIn(v, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("want a number of days from %g to %g", lo, hi)
	}
	return time.Duration(f * float64(24*time.Hour)), nil
}

func boolError(err error) error {
	if err != nil {
		return errors.New("want true or false")
	}
	return nil
}

func formatDays(d time.Duration) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// publicURL is where residents reach an API listening on addr when no
// CONCIERGE_PUBLIC_URL says otherwise: on this machine.
func publicURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// redactURL masks a URL's password and query values, which may hold keys.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		if v == "" {
			return ""
		}
		if strings.Contains(v, "password=") {
			return "(a connection string with a password)"
		}
		return v
	}
	if q := u.Query(); len(q) > 0 {
		for k := range q {
			q.Set(k, "xxxxx")
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
