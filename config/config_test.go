package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/concierge-pm/concierge/api"
	"github.com/concierge-pm/concierge/domain"
	"github.com/concierge-pm/concierge/notify"
	"github.com/concierge-pm/concierge/store"
	"github.com/concierge-pm/concierge/tracking"
	"github.com/concierge-pm/concierge/worker"
)

// testPayloadKeys is a valid CONCIERGE_PAYLOAD_KEYS, which the api and
// worker processes require.
const testPayloadKeys = "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// envOf is a lookup over a fixed environment, so tests never touch the
// process's own.
func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		proc Process
		args []string
		env  map[string]string
		got  func(*Config) any
		want any
	}{
		{"default database", API, nil, nil,
			func(c *Config) any { return c.DatabaseURL }, store.DefaultURL},
		{"environment over default", API, nil, map[string]string{"DATABASE_URL": "postgres://db.example/cc"},
			func(c *Config) any { return c.DatabaseURL }, "postgres://db.example/cc"},
		{"flag over environment", API, []string{"--database-url", "postgres://flag.example/cc"},
			map[string]string{"DATABASE_URL": "postgres://db.example/cc"},
			func(c *Config) any { return c.DatabaseURL }, "postgres://flag.example/cc"},
		{"an empty variable is unset", Worker, nil, map[string]string{"TEMPORAL_NAMESPACE": ""},
			func(c *Config) any { return c.Temporal.Namespace }, "default"},
		{"dev listens on loopback", Dev, nil, nil,
			func(c *Config) any { return c.HTTP.Addr }, "127.0.0.1:8080"},
		{"api listens on all interfaces", API, nil, nil,
			func(c *Config) any { return c.HTTP.Addr }, "0.0.0.0:8080"},
		{"task queue default is the worker's", Worker, nil, nil,
			func(c *Config) any { return c.Temporal.TaskQueue }, worker.DefaultTaskQueue},
		{"task queue flag", Worker, []string{"-task-queue=other"}, map[string]string{"TEMPORAL_TASK_QUEUE": "env"},
			func(c *Config) any { return c.Temporal.TaskQueue }, "other"},
		{"time zone loaded", API, nil, map[string]string{"CONCIERGE_TZ": "Europe/Berlin"},
			func(c *Config) any { return c.Location.String() }, "Europe/Berlin"},
		{"tracking lifetime default", API, nil, nil,
			func(c *Config) any { return c.Tracking.TTL }, tracking.DefaultTTL},
		{"tracking lifetime from environment", Worker, nil, map[string]string{"CONCIERGE_TRACKING_TTL": "48h"},
			func(c *Config) any { return c.Tracking.TTL }, 48 * time.Hour},
		{"public URL derived from the listen address", API, []string{"--http-addr", "0.0.0.0:9090"}, nil,
			func(c *Config) any { return c.Tracking.PublicURL }, "http://127.0.0.1:9090"},
		{"public URL given", API, []string{"--http-addr", "0.0.0.0:9090"},
			map[string]string{"CONCIERGE_PUBLIC_URL": "https://wuye.example.cn"},
			func(c *Config) any { return c.Tracking.PublicURL }, "https://wuye.example.cn"},
		{"dev loads the demo", Dev, nil, nil,
			func(c *Config) any { return c.LoadDemo }, true},
		{"dev --no-demo", Dev, []string{"--no-demo"}, nil,
			func(c *Config) any { return c.LoadDemo }, false},
		{"migrate loads no demo", Migrate, nil, nil,
			func(c *Config) any { return c.LoadDemo }, false},
		{"migrate --demo", Migrate, []string{"--demo"}, nil,
			func(c *Config) any { return c.LoadDemo }, true},
		{"dev ports", Dev, []string{"--temporal-port", "0", "--ui-port", "0"}, nil,
			func(c *Config) any { return [2]int{c.Dev.TemporalPort, c.Dev.UIPort} }, [2]int{0, 0}},
		{"dev data dir from environment", Dev, nil, map[string]string{"CONCIERGE_DATA_DIR": "/var/lib/cc"},
			func(c *Config) any { return c.Dev.DataDir }, "/var/lib/cc"},
		{"standard defaults are the domain's", Worker, nil, nil,
			func(c *Config) any { return c.Standard }, Standard{PassMark: domain.DefaultPassMark,
				ExamWindow: domain.DefaultExamWindow, RetakeWindow: domain.DefaultRetakeWindow,
				CallbackTarget: domain.DefaultCallbackTarget, Retention: domain.DefaultRetention}},
		{"standard from environment and flags", Worker, []string{"--exam-days", "10"},
			map[string]string{"CONCIERGE_TRAINING_PASS_MARK": "75", "CONCIERGE_EXAM_DAYS": "20",
				"CONCIERGE_RETAKE_DAYS": "1.5", "CONCIERGE_CALLBACK_TARGET": "0.5"},
			func(c *Config) any { return c.Standard }, Standard{PassMark: 75, ExamWindow: 10 * 24 * time.Hour,
				RetakeWindow: 36 * time.Hour, CallbackTarget: 0.5, Retention: domain.DefaultRetention}},
		{"retention in days", Worker, []string{"--retention-days", "730"}, nil,
			func(c *Config) any { return c.Standard.Retention }, 730 * 24 * time.Hour},
		{"retention off", Dev, nil, map[string]string{"CONCIERGE_RETENTION_DAYS": "off"},
			func(c *Config) any { return c.Standard.Retention }, time.Duration(0)},
		{"SMTP defaults", Worker, nil, map[string]string{"CONCIERGE_SMTP_HOST": "smtp.example.cn"},
			func(c *Config) any { return fmt.Sprint(c.Channel(notify.ChannelEmail).Values) },
			fmt.Sprint(map[string]string{"host": "smtp.example.cn", "port": "587", "username": "", "password": "",
				"from": "物业服务中心 <service@localhost>", "tls": "starttls"})},
		{"SMTP from flags over environment", Worker, []string{"--smtp-port", "465", "--smtp-tls", "tls"},
			map[string]string{"CONCIERGE_SMTP_HOST": "smtp.example.cn", "CONCIERGE_SMTP_PORT": "25",
				"CONCIERGE_SMTP_USERNAME": "desk", "CONCIERGE_SMTP_PASSWORD": "pw"},
			func(c *Config) any { return fmt.Sprint(c.Channel(notify.ChannelEmail).Values) },
			fmt.Sprint(map[string]string{"host": "smtp.example.cn", "port": "465", "username": "desk", "password": "pw",
				"from": "物业服务中心 <service@localhost>", "tls": "tls"})},
		{"SMS gateway", Dev, nil, map[string]string{"CONCIERGE_SMS_URL": "https://sms.example.cn/send", "CONCIERGE_SMS_TOKEN": "tok"},
			func(c *Config) any { return fmt.Sprint(c.Channel(notify.ChannelSMS).Values) },
			fmt.Sprint(map[string]string{"url": "https://sms.example.cn/send", "token": "tok"})},
		{"secrets from the environment", Dev, nil,
			map[string]string{"CONCIERGE_EMAIL_SECRET": "mail-key", "CONCIERGE_TRACKING_SECRET": "0123456789abcdef"},
			func(c *Config) any { return [2]string{string(c.EmailSecret), string(c.Tracking.Secret)} },
			[2]string{"mail-key", "0123456789abcdef"}},
		{"HTTP limits default to the API's", API, nil, nil,
			func(c *Config) any { return c.HTTP.Limits }, api.DefaultLimits()},
		{"HTTP limits from environment and flags", Dev, []string{"--http-idle-timeout", "5s", "--http-max-conns", "0"},
			map[string]string{"CONCIERGE_HTTP_READ_TIMEOUT": "5m", "CONCIERGE_HTTP_IDLE_TIMEOUT": "1h",
				"CONCIERGE_HTTP_MAX_HEADER_BYTES": "8192"},
			func(c *Config) any { return c.HTTP.Limits }, api.Limits{ReadHeaderTimeout: api.DefaultReadHeaderTimeout,
				ReadTimeout: 5 * time.Minute, WriteTimeout: api.DefaultWriteTimeout, IdleTimeout: 5 * time.Second,
				MaxHeaderBytes: 8192, MaxConns: 0}},
		{"rate limits default", API, nil, nil,
			func(c *Config) any { return [2]api.RateLimit{c.HTTP.TrackingRate, c.HTTP.EmailRate} },
			[2]api.RateLimit{api.DefaultTrackingRate(), api.DefaultEmailRate()}},
		{"rate limits set and off", API, []string{"--rate-email", "off"}, map[string]string{"CONCIERGE_RATE_TRACKING": "5/10s"},
			func(c *Config) any { return [2]api.RateLimit{c.HTTP.TrackingRate, c.HTTP.EmailRate} },
			[2]api.RateLimit{{Burst: 5, Per: 10 * time.Second}, {}}},
		{"trusted proxies", API, nil, map[string]string{"CONCIERGE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.10,2001:db8::/32"},
			func(c *Config) any { return formatPrefixes(c.HTTP.TrustedProxies) }, "10.0.0.0/8,192.168.1.10/32,2001:db8::/32"},
		{"metrics on loopback", API, nil, nil,
			func(c *Config) any { return c.HTTP.MetricsAddr }, "127.0.0.1:9090"},
		{"metrics off", Dev, []string{"--metrics-addr", "off"}, nil,
			func(c *Config) any { return c.HTTP.MetricsAddr }, ""},
		{"dev may go without payload keys", Dev, nil, map[string]string{"CONCIERGE_PAYLOAD_KEYS": ""},
			func(c *Config) any { return c.Payload.Keys }, Secret("")},
		{"payload keys from the environment", Worker, nil, nil,
			func(c *Config) any { return string(c.Payload.Keys) }, testPayloadKeys},
		{"codec origins are origins", API, []string{"--codec-origins", "https://ui.example.cn/, http://127.0.0.1:8233"}, nil,
			func(c *Config) any { return strings.Join(c.Payload.Origins, " ") }, "https://ui.example.cn http://127.0.0.1:8233"},
		{"the dev Web UI only reads", Dev, nil, nil,
			func(c *Config) any { return c.Dev.UIWriteActions }, false},
		{"the dev Web UI writes when told to", Dev, []string{"--ui-write-actions"}, nil,
			func(c *Config) any { return c.Dev.UIWriteActions }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CONCIERGE_PAYLOAD_KEYS": testPayloadKeys}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := Load(tt.proc, tt.args, envOf(env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.got(c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListeningMovesDerivedPublicURLOnly(t *testing.T) {
	c, err := Load(Dev, []string{"--http-addr", "127.0.0.1:0"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c.Listening("127.0.0.1:41234")
	if c.HTTP.Addr != "127.0.0.1:41234" || c.Tracking.PublicURL != "http://127.0.0.1:41234" {
		t.Errorf("after Listening: addr %s, public URL %s", c.HTTP.Addr, c.Tracking.PublicURL)
	}
	c, err = Load(Dev, []string{"--http-addr", "127.0.0.1:0", "--public-url", "https://wuye.example.cn"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c.Listening("127.0.0.1:41234")
	if c.Tracking.PublicURL != "https://wuye.example.cn" {
		t.Errorf("a given public URL moved to %s", c.Tracking.PublicURL)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		proc Process
		args []string
		env  map[string]string
		want []string // each a line of the error
	}{
		{"bad duration", API, nil, map[string]string{"CONCIERGE_TRACKING_TTL": "30d"},
			[]string{`CONCIERGE_TRACKING_TTL="30d": want a positive duration such as 720h`}},
		{"negative duration", API, nil, map[string]string{"CONCIERGE_TRACKING_TTL": "-1h"},
			[]string{`CONCIERGE_TRACKING_TTL="-1h": want a positive duration`}},
		{"flag named when the flag is wrong", API, []string{"--tracking-ttl", "soon"}, map[string]string{"CONCIERGE_TRACKING_TTL": "1h"},
			[]string{`--tracking-ttl="soon": want a positive duration`}},
		{"unknown zone", Worker, []string{"--tz", "Mars/Olympus"}, nil,
			[]string{`--tz="Mars/Olympus": want a time zone such as Asia/Shanghai`}},
		{"pass mark out of range", Worker, nil, map[string]string{"CONCIERGE_TRAINING_PASS_MARK": "101"},
			[]string{`CONCIERGE_TRAINING_PASS_MARK="101": want a whole number from 1 to 100`}},
		{"pass mark not whole", Worker, nil, map[string]string{"CONCIERGE_TRAINING_PASS_MARK": "80.5"},
			[]string{`CONCIERGE_TRAINING_PASS_MARK="80.5": want a whole number from 1 to 100`}},
		{"exam days", Worker, nil, map[string]string{"CONCIERGE_EXAM_DAYS": "0"},
			[]string{`CONCIERGE_EXAM_DAYS="0": want a number of days from 1 to 90`}},
		{"retake days", Dev, nil, map[string]string{"CONCIERGE_RETAKE_DAYS": "31"},
			[]string{`CONCIERGE_RETAKE_DAYS="31": want a number of days from 1 to 30`}},
		{"callback target", Worker, nil, map[string]string{"CONCIERGE_CALLBACK_TARGET": "20%"},
			[]string{`CONCIERGE_CALLBACK_TARGET="20%": want a number from 0.01 to 1`}},
		{"retention too short", Worker, nil, map[string]string{"CONCIERGE_RETENTION_DAYS": "7"},
			[]string{`CONCIERGE_RETENTION_DAYS="7": want a number of days from 30 to 36500, or off`}},
		{"http address", API, []string{"--http-addr", "8080"}, nil,
			[]string{`--http-addr="8080": want host:port`}},
		{"temporal address without host", Worker, nil, map[string]string{"TEMPORAL_ADDRESS": ":7233"},
			[]string{`TEMPORAL_ADDRESS=":7233": want host:port with a host`}},
		{"database URL scheme", Migrate, nil, map[string]string{"DATABASE_URL": "mysql://x/y"},
			[]string{`DATABASE_URL="mysql://x/y": want a URL such as postgres://`}},
		{"SMTP port and TLS mode", Worker, nil, map[string]string{"CONCIERGE_SMTP_PORT": "smtp", "CONCIERGE_SMTP_TLS": "ssl"},
			[]string{`CONCIERGE_SMTP_PORT="smtp": want a whole number from 1 to 65535`,
				`CONCIERGE_SMTP_TLS="ssl": want starttls, tls or none`}},
		{"SMTP sender", Worker, nil, map[string]string{"CONCIERGE_SMTP_FROM": "nobody"},
			[]string{`CONCIERGE_SMTP_FROM="nobody": want an address`}},
		{"SMTP password in clear text", Worker, nil, map[string]string{"CONCIERGE_SMTP_HOST": "smtp.example.cn",
			"CONCIERGE_SMTP_USERNAME": "desk", "CONCIERGE_SMTP_TLS": "none"},
			[]string{"CONCIERGE_SMTP_USERNAME needs CONCIERGE_SMTP_TLS starttls or tls, not none"}},
		{"SMTP password without user", Worker, nil, map[string]string{"CONCIERGE_SMTP_HOST": "smtp.example.cn",
			"CONCIERGE_SMTP_PASSWORD": "pw"},
			[]string{"CONCIERGE_SMTP_PASSWORD is set without CONCIERGE_SMTP_USERNAME"}},
		{"SMS URL", Worker, nil, map[string]string{"CONCIERGE_SMS_URL": "sms.example.cn/send"},
			[]string{`CONCIERGE_SMS_URL="sms.example.cn/send": want an absolute http or https URL`}},
		{"public URL", API, []string{"--public-url", "ftp://x"}, nil,
			[]string{`--public-url="ftp://x": want an absolute http or https URL`}},
		{"short tracking secret, value not shown", API, nil, map[string]string{"CONCIERGE_TRACKING_SECRET": "tiny-key"},
			[]string{"CONCIERGE_TRACKING_SECRET: want at least 16 bytes, got 8"}},
		{"ports", Dev, []string{"--temporal-port", "70000", "--ui-port", "web"}, nil,
			[]string{`--temporal-port="70000": want a whole number from 0 to 65535`,
				`--ui-port="web": want a whole number from 0 to 65535`}},
		{"empty task queue and data dir", Dev, []string{"--task-queue=", "--data-dir="}, nil,
			[]string{`--task-queue="": must not be empty`, `--data-dir="": want a directory`}},
		{"namespace with a space", API, nil, map[string]string{"TEMPORAL_NAMESPACE": "my ns"},
			[]string{`TEMPORAL_NAMESPACE="my ns": must not contain spaces`}},
		{"stray argument", Worker, []string{"now"}, nil,
			[]string{`unexpected argument "now"`}},
		{"HTTP limits out of range", API, []string{"--http-write-timeout", "10s", "--http-max-header-bytes", "100"},
			map[string]string{"CONCIERGE_HTTP_READ_TIMEOUT": "soon"},
			[]string{`--http-write-timeout="10s": want a duration from 31s to 1h`,
				`--http-max-header-bytes="100": want a whole number from 4096 to 1048576`,
				`CONCIERGE_HTTP_READ_TIMEOUT="soon": want a duration from 100ms to 1h`}},
		{"bad rate limits", Dev, []string{"--rate-tracking", "30"}, map[string]string{"CONCIERGE_RATE_EMAIL": "10/1ms"},
			[]string{`--rate-tracking="30": want <requests>/<duration> such as 30/1m, or off`,
				`CONCIERGE_RATE_EMAIL="10/1ms": want <requests>/<duration> with a duration from 1s to 24h`}},
		{"bad proxies and metrics address", API, []string{"--metrics-addr", "9090"}, map[string]string{"CONCIERGE_TRUSTED_PROXIES": "proxy.local"},
			[]string{`--metrics-addr="9090": want host:port or off`,
				`CONCIERGE_TRUSTED_PROXIES="proxy.local": want IP addresses or CIDRs`}},
		{"no payload key for the API", API, nil, map[string]string{"CONCIERGE_PAYLOAD_KEYS": ""},
			[]string{"CONCIERGE_PAYLOAD_KEYS is required"}},
		{"no payload key for the worker", Worker, nil, map[string]string{"CONCIERGE_PAYLOAD_KEYS": ""},
			[]string{"CONCIERGE_PAYLOAD_KEYS is required"}},
		{"payload key too short, value not shown", Dev, nil, map[string]string{"CONCIERGE_PAYLOAD_KEYS": "k1:dGlueS1rZXk="},
			[]string{"CONCIERGE_PAYLOAD_KEYS: key \"k1\": want 32 bytes"}},
		{"payload key list", API, nil, map[string]string{"CONCIERGE_PAYLOAD_KEYS": "dGlueS1rZXk="},
			[]string{"CONCIERGE_PAYLOAD_KEYS: entry 1: want ID:base64-key"}},
		{"codec origin with a path", API, []string{"--codec-origins", "http://ui.example/x"}, nil,
			[]string{`--codec-origins="http://ui.example/x": want origins such as`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CONCIERGE_PAYLOAD_KEYS": testPayloadKeys}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := Load(tt.proc, tt.args, envOf(env), io.Discard)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want an ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if lines := strings.Count(err.Error(), "\n"); lines != len(tt.want) {
				t.Errorf("error has %d problems, want %d: %v", lines, len(tt.want), err)
			}
			if strings.Contains(err.Error(), "tiny-key") || strings.Contains(err.Error(), "dGlueS1rZXk") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

// Each process takes only its own flags; secrets are never flags.
func TestLoadRejectsOtherProcessesFlags(t *testing.T) {
	tests := []struct {
		proc Process
		args []string
	}{
		{API, []string{"--smtp-host", "x"}},
		{API, []string{"--data-dir", "x"}},
		{Worker, []string{"--no-demo"}},
		{Migrate, []string{"--http-addr", "x:1"}},
		{Dev, []string{"--email-secret", "x"}},
		{Worker, []string{"--smtp-password", "x"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.proc, tt.args), func(t *testing.T) {
			_, err := Load(tt.proc, tt.args, envOf(nil), io.Discard)
			if err == nil || !strings.Contains(err.Error(), "flag provided but not defined") {
				t.Errorf("got %v, want an undefined flag", err)
			}
		})
	}
	if _, err := Load(API, []string{"-h"}, envOf(nil), io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: got %v, want flag.ErrHelp", err)
	}
}

func TestLogValueMasksSecrets(t *testing.T) {
	secrets := map[string]string{
		"CONCIERGE_EMAIL_SECRET":    "email-secret-value",
		"CONCIERGE_SMTP_PASSWORD":   "smtp-password-value",
		"CONCIERGE_SMS_TOKEN":       "sms-token-value",
		"CONCIERGE_TRACKING_SECRET": "tracking-secret-value",
		// 32 bytes, in base64: "payload-key-material-32-bytes!!!".
		"CONCIERGE_PAYLOAD_KEYS": "k1:cGF5bG9hZC1rZXktbWF0ZXJpYWwtMzItYnl0ZXMhISE=",
	}
	env := map[string]string{
		"DATABASE_URL":            "postgres://cc:db-password-value@db.example:5432/concierge",
		"CONCIERGE_SMS_URL":       "https://sms.example.cn/send?apikey=sms-query-key-value",
		"CONCIERGE_SMTP_HOST":     "smtp.example.cn",
		"CONCIERGE_SMTP_USERNAME": "desk",
	}
	for k, v := range secrets {
		env[k] = v
	}
	c, err := Load(Dev, []string{"--http-addr", "127.0.0.1:9999"}, envOf(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", "config", c)
	// Printing the whole struct, as a careless log line might, masks too.
	fmt.Fprintf(&buf, "\n%v\n%+v\n%#v\n", *c, *c, *c)
	out := buf.String()
	for _, leaked := range []string{"email-secret-value", "smtp-password-value", "sms-token-value",
		"tracking-secret-value", "db-password-value", "sms-query-key-value",
		"cGF5bG9hZC1rZXktbWF0ZXJpYWwtMzItYnl0ZXMhISE", "payload-key-material"} {
		if strings.Contains(out, leaked) {
			t.Errorf("the printed configuration shows %q:\n%s", leaked, out)
		}
	}
	for _, want := range []string{
		"config.CONCIERGE_EMAIL_SECRET=(set)",
		"config.CONCIERGE_SMTP_PASSWORD=(set)",
		"config.CONCIERGE_SMS_TOKEN=(set)",
		"config.CONCIERGE_TRACKING_SECRET=(set)",
		"config.CONCIERGE_PAYLOAD_KEYS=(set)",
		"config.DATABASE_URL=postgres://cc:xxxxx@db.example:5432/concierge",
		"config.CONCIERGE_SMS_URL=\"https://sms.example.cn/send?apikey=xxxxx\"",
		"config.HTTP_ADDR=127.0.0.1:9999",
		"config.CONCIERGE_PUBLIC_URL=http://127.0.0.1:9999",
		"config.CONCIERGE_SMTP_USERNAME=desk",
		"config.CONCIERGE_TRAINING_PASS_MARK=80",
		"config.--no-demo=false",
		"config.from_flags=HTTP_ADDR",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the printed configuration lacks %s:\n%s", want, out)
		}
	}
	// The API process shows only its own settings.
	c, err = Load(API, nil, envOf(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", "config", c)
	if strings.Contains(buf.String(), "SMTP") || !strings.Contains(buf.String(), "config.CONCIERGE_EMAIL_SECRET=(set)") {
		t.Errorf("the API's configuration is not its own settings:\n%s", buf.String())
	}
}

// testWeChatChannel is a channel declared only here, as a new channel's file
// would declare it; the test adds it with one line, as notify.Channels would.
func testWeChatChannel() notify.Channel {
	return notify.Channel{Name: "wechat", Prefix: "wechat", Residents: 10, On: "app_id",
		Settings: []notify.Setting{
			{Key: "app_id", Usage: "WeChat official account"},
			{Key: "app_secret", Secret: true, Usage: "its secret"},
			{Key: "api_url", URL: true, Default: "https://api.weixin.qq.com", Usage: "WeChat API"},
			{Key: "template", Default: "TPL-1", Usage: "subscription message template",
				Check: func(v string) error {
					if v == "" {
						return errors.New("want a template id")
					}
					return nil
				}},
		},
		Check: func(s notify.Settings) error {
			if s.Get("app_secret") == "" {
				return fmt.Errorf("%s needs %s", s.Channel.Env("app_id"), s.Channel.Env("app_secret"))
			}
			return nil
		}}
}

// A channel's settings are derived from its declaration: variable and flag
// by its prefix, defaults, checks, secrets environment only and masked, and
// only for the delivering processes.
func TestChannelSettingsFromTheirDeclaration(t *testing.T) {
	chs := append(notify.Channels(), testWeChatChannel())
	env := map[string]string{"CONCIERGE_WECHAT_APP_ID": "wx-app", "CONCIERGE_WECHAT_APP_SECRET": "wechat-secret-value",
		"CONCIERGE_WECHAT_API_URL": "https://wx.example.cn/?key=wechat-key-value", "CONCIERGE_PAYLOAD_KEYS": testPayloadKeys}
	c, err := load(Worker, []string{"--wechat-template", "TPL-9"}, envOf(env), io.Discard, chs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"app_id": "wx-app", "app_secret": "wechat-secret-value",
		"api_url": "https://wx.example.cn/?key=wechat-key-value", "template": "TPL-9"}
	if got := c.Channel("wechat"); !maps.Equal(got.Values, want) || !got.IsOn() {
		t.Errorf("wechat settings %v (on %v), want %v", got.Values, got.IsOn(), want)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", "config", c)
	fmt.Fprintf(&buf, "\n%v %+v %#v", *c, *c, *c)
	for _, leaked := range []string{"wechat-secret-value", "wechat-key-value"} {
		if strings.Contains(buf.String(), leaked) {
			t.Errorf("the printed configuration shows %q:\n%s", leaked, buf.String())
		}
	}
	for _, shown := range []string{"config.CONCIERGE_WECHAT_APP_SECRET=(set)", "config.CONCIERGE_WECHAT_TEMPLATE=TPL-9",
		"config.from_flags=CONCIERGE_WECHAT_TEMPLATE", "CONCIERGE_WECHAT_APP_ID,CONCIERGE_WECHAT_APP_SECRET,CONCIERGE_WECHAT_API_URL"} {
		if !strings.Contains(buf.String(), shown) {
			t.Errorf("the printed configuration lacks %s:\n%s", shown, buf.String())
		}
	}

	// The defaults, and off without its switch.
	c, err = load(Dev, nil, envOf(nil), io.Discard, chs)
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Channel("wechat"); s.IsOn() || s.Get("api_url") != "https://api.weixin.qq.com" || s.Get("template") != "TPL-1" {
		t.Errorf("wechat defaults: %v", s)
	}

	// Its checks, and its rule relating two settings, name the variable or flag.
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want []string
	}{
		{[]string{"--wechat-api-url", "wx.example.cn"}, nil, []string{`--wechat-api-url="wx.example.cn": want an absolute http or https URL`}},
		{[]string{"--wechat-template="}, nil, []string{`--wechat-template="": want a template id`}},
		{nil, map[string]string{"CONCIERGE_WECHAT_APP_ID": "wx-app"}, []string{"CONCIERGE_WECHAT_APP_ID needs CONCIERGE_WECHAT_APP_SECRET"}},
		{nil, map[string]string{"CONCIERGE_WECHAT_APP_ID": "wx-app", "CONCIERGE_SMTP_HOST": "smtp.example.cn", "CONCIERGE_SMTP_PASSWORD": "pw"},
			[]string{"CONCIERGE_SMTP_PASSWORD is set without CONCIERGE_SMTP_USERNAME", "CONCIERGE_WECHAT_APP_ID needs CONCIERGE_WECHAT_APP_SECRET"}},
	} {
		env := map[string]string{"CONCIERGE_PAYLOAD_KEYS": testPayloadKeys}
		maps.Copy(env, tc.env)
		_, err := load(Worker, tc.args, envOf(env), io.Discard, chs)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("%v %v: got %v, want an ErrInvalid", tc.args, tc.env, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
		if lines := strings.Count(err.Error(), "\n"); lines != len(tc.want) {
			t.Errorf("error has %d problems, want %d: %v", lines, len(tc.want), err)
		}
	}

	// Secrets are never flags; the API takes none of the channel's settings.
	for _, tc := range []struct {
		proc Process
		args []string
	}{
		{Worker, []string{"--wechat-app-secret", "x"}},
		{API, []string{"--wechat-app-id", "x"}},
	} {
		if _, err := load(tc.proc, tc.args, envOf(nil), io.Discard, chs); err == nil || !strings.Contains(err.Error(), "flag provided but not defined") {
			t.Errorf("%s %v: got %v, want an undefined flag", tc.proc, tc.args, err)
		}
	}
}
