// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/internal/seal"
	"github.com/rosterhq/roster/internal/telemetry"
	"github.com/rosterhq/roster/mail"
	"github.com/rosterhq/roster/postgres"
	"github.com/rosterhq/roster/service"
	"github.com/rosterhq/roster/sqlite"
	"github.com/rosterhq/roster/webhook"
)

// Config is the server's configuration. Precedence: flags, then ROSTER_*
// environment variables, then the defaults of DefaultConfig.
type Config struct {
	Addr                 string
	DataDir              string
	DatabaseURL          string
	BootstrapKey         string
	BootstrapEmail       string
	AllowPrivateWebhooks bool
	SMTPURL              string
	RequireIfMatch       bool
	JSONP                bool
	LogFormat            string
	LogLevel             string
	ShutdownTimeout      time.Duration
	// BodyReadTimeout bounds how long reading a request's body may take
	// (--body-read-timeout): a body that stops half-way is answered 408.
	BodyReadTimeout time.Duration
	DebugAddr       string
	DB              postgres.Config // PostgreSQL pool, timeouts and retries
	// Security holds the password rules, argon2id cost, token lifetimes
	// and sign-in limits (security_flags.go).
	Security service.SecurityConfig
	// MailFrom is the default sender of the mail outbox.
	MailFrom string
	// SecretKey encrypts secrets at rest (ROSTER_SECRET_KEY); when empty,
	// a key is generated once into <data-dir>/secret.key. A key that is
	// not the one the database's secrets are sealed with stops Run.
	SecretKey string
	Webhooks  WebhookConfig
	// Events is how long events stay in the feed, and so for webhooks
	// (--event-retention), and in the audit trail (--audit-retention);
	// 0 keeps them for ever.
	Events service.Retention
	// JanitorInterval is how often the janitor tidies the store.
	JanitorInterval time.Duration
	// TrustedProxies are comma-separated CIDR ranges of the reverse
	// proxies whose X-Forwarded-For is believed (--trusted-proxies);
	// empty: none, the client is the connection's peer.
	TrustedProxies string
	// OTelEndpoint is the OTLP/HTTP receiver traces go to
	// (--otel-endpoint); empty: no tracing (tracing.go).
	OTelEndpoint string
	// CacheBytes bounds the read caches, SQLite's page caches included
	// (--cache-bytes; split by cacheSplit).
	CacheBytes int64
}

// WebhookConfig tunes webhook delivery.
type WebhookConfig struct {
	Timeout      time.Duration // one attempt
	RetryFor     time.Duration // how long a delivery is retried
	RetryBase    time.Duration // the first back-off
	RetryMax     time.Duration // the longest back-off
	DisableAfter time.Duration // continuous failure before a webhook is disabled
	Concurrency  int           // requests in flight per webhook
	Retention    time.Duration // how long finished deliveries stay in the log
	// RotationOverlap is how long a rotated-out signing secret keeps signing.
	RotationOverlap time.Duration
}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./roster-data",
		BootstrapEmail:  "owner@roster.local",
		LogFormat:       "text",
		LogLevel:        "info",
		ShutdownTimeout: 15 * time.Second,
		BodyReadTimeout: httpapi.DefaultBodyReadTimeout,
		Webhooks: WebhookConfig{Timeout: 10 * time.Second, RetryFor: 72 * time.Hour, RetryBase: 4 * time.Second, RetryMax: time.Hour,
			DisableAfter: 72 * time.Hour, Concurrency: 64, Retention: 7 * 24 * time.Hour,
			RotationOverlap: service.DefaultRotationOverlap},
		Security:        service.DefaultSecurity(),
		MailFrom:        "Roster <no-reply@roster.local>",
		Events:          service.Retention{Feed: 90 * 24 * time.Hour, Audit: 400 * 24 * time.Hour},
		JanitorInterval: 10 * time.Minute,
		CacheBytes:      defaultCacheBytes,
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var problems []string
	if c.BootstrapKey != "" && len(c.BootstrapKey) < 32 {
		problems = append(problems, "ROSTER_BOOTSTRAP_KEY must be at least 32 characters")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, "--log-format must be text or json")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		problems = append(problems, err.Error())
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		problems = append(problems, "--database-url must be a postgres:// URL")
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		problems = append(problems, "ROSTER_SECRET_KEY must be at least 32 characters")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		problems = append(problems, fmt.Sprintf("--addr %q must be host:port, e.g. 127.0.0.1:8080", c.Addr))
	}
	if c.BodyReadTimeout <= 0 {
		problems = append(problems, "--body-read-timeout must be positive, e.g. 15s")
	}
	w := c.Webhooks
	if w.Timeout <= 0 || w.RetryFor <= 0 || w.RetryBase <= 0 || w.RetryMax < w.RetryBase || w.DisableAfter <= 0 || w.Retention <= 0 || w.RotationOverlap <= 0 {
		problems = append(problems, "the --webhook-* durations must be positive, and --webhook-retry-max at least --webhook-retry-base")
	}
	if e := c.Events; e.Feed < 0 || e.Audit < 0 || e.Audit != 0 && (e.Feed == 0 || e.Audit < e.Feed) {
		problems = append(problems, "--event-retention and --audit-retention must be 0 (for ever) or positive, and --audit-retention 0 or at least --event-retention: the audit trail keeps what the feed keeps")
	}
	if c.CacheBytes < minCacheBytes {
		problems = append(problems, fmt.Sprintf("--cache-bytes must be at least %s, e.g. %s", formatBytes(minCacheBytes), formatBytes(defaultCacheBytes)))
	}
	if c.JanitorInterval <= 0 {
		problems = append(problems, "--janitor-interval must be positive, e.g. 10m")
	}
	if w.Concurrency < 1 || w.Concurrency > 1024 {
		problems = append(problems, "--webhook-concurrency must be between 1 and 1024")
	}
	if _, err := httpapi.ParseTrustedProxies(c.TrustedProxies); err != nil {
		problems = append(problems, err.Error())
	}
	if c.OTelEndpoint != "" {
		if _, err := otelURL(c.OTelEndpoint); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if err := c.Security.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if err := mail.ValidFrom(c.MailFrom); err != nil {
		problems = append(problems, err.Error())
	}
	if c.SMTPURL != "" {
		if _, err := mail.NewSMTPSender(c.SMTPURL, c.MailFrom); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error")
	}
	return l, nil
}

// Main wires the server together: ParseFlags, Run, Close.
type Main struct {
	Config Config
	stdout io.Writer
	stderr io.Writer

	log      *slog.Logger
	tracing  *sdktrace.TracerProvider // nil when tracing is off
	store    roster.Store
	svc      *service.Service
	http     *http.Server
	listener net.Listener
	served   chan error

	stopJanitor chan struct{}
	// stopDeliveries ends the webhook delivery loop; deliveriesDone closes
	// when it has.
	stopDeliveries context.CancelFunc
	deliveriesDone chan struct{}
	stopMail       context.CancelFunc
	mailDone       chan struct{}
}

// janitor tidies the store every JanitorInterval (see tidy).
func (m *Main) janitor(svc *service.Service) {
	t := time.NewTicker(m.Config.JanitorInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stopJanitor:
			return
		case <-t.C:
			m.tidy(svc)
		}
	}
}

// tidy removes expired idempotency records, finished deliveries past
// their retention (and never kept longer than the events), events past
// the feed's and the audit trail's retention, and expired tokens and old
// sign-in failures. Each step writes in short transactions of its own.
func (m *Main) tidy(svc *service.Service) {
	ctx := context.Background()
	if n, err := svc.PurgeExpired(ctx); err != nil {
		m.log.Warn("purge idempotency records", "error", err)
	} else if n > 0 {
		m.log.Info("purged idempotency records", "count", n)
	}
	keep := m.Config.Webhooks.Retention
	if feed := m.Config.Events.Feed; feed > 0 {
		keep = min(keep, feed)
	}
	if n, err := svc.PurgeDeliveries(ctx, time.Now().Add(-keep)); err != nil {
		m.log.Warn("purge finished deliveries", "error", err)
	} else if n > 0 {
		m.log.Info("purged finished deliveries", "count", n)
	}
	if expired, purged, err := svc.ApplyRetention(ctx, m.Config.Events, time.Now()); err != nil {
		m.log.Warn("apply the event retention", "error", err, "expired", expired, "purged", purged)
	} else if expired > 0 || purged > 0 {
		m.log.Info("applied the event retention", "left_the_feed", expired, "deleted", purged)
	}
	if n, err := svc.PurgeCredentials(ctx); err != nil {
		m.log.Warn("purge expired tokens and sign-in failures", "error", err)
	} else if n > 0 {
		m.log.Info("purged expired tokens and sign-in failures", "count", n)
	}
	if n, err := svc.PurgeSigningKeys(ctx); err != nil {
		m.log.Warn("purge expired signing keys", "error", err)
	} else if n > 0 {
		m.log.Info("purged signing keys that left the JWKS", "count", n)
	}
}

// NewMain returns a Main with the default configuration.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{Config: DefaultConfig(), stdout: stdout, stderr: stderr}
}

// ParseFlags reads the flags, falling back to ROSTER_* variables.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	c := &m.Config
	fs := flag.NewFlagSet("roster serve", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	// A variable that does not parse is an error at start, never a silent
	// fall back to the default.
	var malformed []string
	bad := func(name, v, want string) {
		malformed = append(malformed, fmt.Sprintf("ROSTER_%s=%q is not %s", name, v, want))
	}
	env := func(name, def string) string {
		if v := getenv("ROSTER_" + name); v != "" {
			return v
		}
		return def
	}
	envBool := func(name string, def bool) bool {
		if v := getenv("ROSTER_" + name); v != "" {
			b, err := strconv.ParseBool(v)
			if err == nil {
				return b
			}
			bad(name, v, "a boolean (true or false)")
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("ADDR", c.Addr), "listen address (ROSTER_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", c.DataDir), "folder of the embedded database (ROSTER_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", c.DatabaseURL), "PostgreSQL URL; empty uses the embedded store (ROSTER_DATABASE_URL)")
	fs.StringVar(&c.BootstrapEmail, "bootstrap-email", env("BOOTSTRAP_EMAIL", c.BootstrapEmail), "email of the first owner, made on an empty database (ROSTER_BOOTSTRAP_EMAIL)")
	fs.BoolVar(&c.AllowPrivateWebhooks, "allow-private-webhooks", envBool("ALLOW_PRIVATE_WEBHOOKS", false), "allow webhook destinations on private addresses (ROSTER_ALLOW_PRIVATE_WEBHOOKS)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("SMTP_URL", c.SMTPURL), "SMTP server for mail, e.g. smtp://127.0.0.1:2525 (ROSTER_SMTP_URL)")
	fs.BoolVar(&c.RequireIfMatch, "require-if-match", envBool("REQUIRE_IF_MATCH", false), "answer 428 to PUT, PATCH and DELETE without If-Match (ROSTER_REQUIRE_IF_MATCH)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("TRUSTED_PROXIES", c.TrustedProxies), "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For gives the client address; none by default (ROSTER_TRUSTED_PROXIES)")
	fs.BoolVar(&c.JSONP, "jsonp", envBool("JSONP", false), "allow JSONP (?callback=) on GET (ROSTER_JSONP)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT", c.LogFormat), "text or json (ROSTER_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", c.LogLevel), "debug, info, warn or error (ROSTER_LOG_LEVEL)")
	envInt := func(name string, def int) int {
		v := getenv("ROSTER_" + name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad(name, v, "a whole number")
			return def
		}
		return n
	}
	envDuration := func(name string, def time.Duration) time.Duration {
		v := getenv("ROSTER_" + name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			bad(name, v, "a duration (such as 90s, 15m or 72h)")
			return def
		}
		return d
	}
	var maxConns int
	fs.IntVar(&maxConns, "db-max-conns", envInt("DB_MAX_CONNS", 0), "PostgreSQL pool size; 0: 2×CPUs+2 or the URL's pool_max_conns (ROSTER_DB_MAX_CONNS)")
	fs.DurationVar(&c.DB.StatementTimeout, "db-statement-timeout", envDuration("DB_STATEMENT_TIMEOUT", 0), "PostgreSQL statement timeout; 0: 5s or the URL's statement_timeout (ROSTER_DB_STATEMENT_TIMEOUT)")
	fs.IntVar(&c.DB.MaxRetries, "db-max-retries", envInt("DB_MAX_RETRIES", 0), "times a PostgreSQL transaction is retried after a deadlock or serialization failure; 0: 3, negative: never (ROSTER_DB_MAX_RETRIES)")
	fs.StringVar(&c.OTelEndpoint, "otel-endpoint", env("OTEL_ENDPOINT", c.OTelEndpoint), "send OpenTelemetry traces to this OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 (traces go to /v1/traces there unless the URL has a path); off when empty (ROSTER_OTEL_ENDPOINT)")
	fs.StringVar(&c.DebugAddr, "debug-addr", env("DEBUG_ADDR", c.DebugAddr), "serve Go's pprof profiles on this separate address, e.g. 127.0.0.1:6060 (ROSTER_DEBUG_ADDR)")
	wc := &c.Webhooks
	fs.DurationVar(&wc.Timeout, "webhook-timeout", envDuration("WEBHOOK_TIMEOUT", wc.Timeout), "time limit of one webhook request (ROSTER_WEBHOOK_TIMEOUT)")
	fs.DurationVar(&wc.RetryFor, "webhook-retry-for", envDuration("WEBHOOK_RETRY_FOR", wc.RetryFor), "how long a failing delivery is retried (ROSTER_WEBHOOK_RETRY_FOR)")
	fs.DurationVar(&wc.RetryBase, "webhook-retry-base", envDuration("WEBHOOK_RETRY_BASE", wc.RetryBase), "the first back-off after a failed delivery; it doubles each time (ROSTER_WEBHOOK_RETRY_BASE)")
	fs.DurationVar(&wc.RetryMax, "webhook-retry-max", envDuration("WEBHOOK_RETRY_MAX", wc.RetryMax), "the longest back-off (ROSTER_WEBHOOK_RETRY_MAX)")
	fs.DurationVar(&wc.DisableAfter, "webhook-disable-after", envDuration("WEBHOOK_DISABLE_AFTER", wc.DisableAfter), "disable a webhook whose deliveries all failed for this long (ROSTER_WEBHOOK_DISABLE_AFTER)")
	fs.IntVar(&wc.Concurrency, "webhook-concurrency", envInt("WEBHOOK_CONCURRENCY", wc.Concurrency), "requests in flight per webhook (ROSTER_WEBHOOK_CONCURRENCY)")
	fs.DurationVar(&wc.RotationOverlap, "webhook-rotation-overlap", envDuration("WEBHOOK_ROTATION_OVERLAP", wc.RotationOverlap), "how long a rotated-out signing secret keeps signing (ROSTER_WEBHOOK_ROTATION_OVERLAP)")
	fs.DurationVar(&wc.Retention, "delivery-retention", envDuration("DELIVERY_RETENTION", wc.Retention), "how long finished deliveries stay in the log (ROSTER_DELIVERY_RETENTION)")
	fs.DurationVar(&c.Events.Feed, "event-retention", envDuration("EVENT_RETENTION", c.Events.Feed), "how long events stay in the feed and for webhooks (an event a webhook has not sent stays); 0: for ever (ROSTER_EVENT_RETENTION)")
	fs.DurationVar(&c.Events.Audit, "audit-retention", envDuration("AUDIT_RETENTION", c.Events.Audit), "how long events stay in the audit trail, at least --event-retention; 0: for ever (ROSTER_AUDIT_RETENTION)")
	fs.DurationVar(&c.JanitorInterval, "janitor-interval", envDuration("JANITOR_INTERVAL", c.JanitorInterval), "how often expired records, old deliveries and old events are removed (ROSTER_JANITOR_INTERVAL)")
	if v := getenv("ROSTER_CACHE_BYTES"); v != "" {
		if n, err := parseBytes(v); err == nil {
			c.CacheBytes = n
		} else {
			bad("CACHE_BYTES", v, "a size such as 128MiB, 512MB or 1GiB")
		}
	}
	var cacheBytes string
	fs.StringVar(&cacheBytes, "cache-bytes", "", "memory for the read caches, SQLite's page caches included: 1/2 decoded users and keys, 3/8 SQLite pages, 1/8 users' JSON; a size such as 96MiB (ROSTER_CACHE_BYTES; default 96MiB)")
	fs.DurationVar(&c.BodyReadTimeout, "body-read-timeout", envDuration("BODY_READ_TIMEOUT", c.BodyReadTimeout), "how long a request's body may take to arrive before the answer is 408 (ROSTER_BODY_READ_TIMEOUT)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long to wait for requests in flight at shutdown")
	securityFlags(fs, &c.Security, env, envInt, envDuration)
	fs.StringVar(&c.MailFrom, "mail-from", env("MAIL_FROM", c.MailFrom), "sender of mails when the organisation has no white-label address (ROSTER_MAIL_FROM)")
	c.BootstrapKey = getenv("ROSTER_BOOTSTRAP_KEY") // never a flag: flags show up in ps
	c.SecretKey = getenv("ROSTER_SECRET_KEY")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if flagSet(fs, "cache-bytes") {
		n, err := parseBytes(cacheBytes)
		if err != nil {
			return fmt.Errorf("--cache-bytes=%q %w", cacheBytes, err)
		}
		c.CacheBytes = n
	}
	if len(malformed) > 0 {
		return errors.New(strings.Join(malformed, "; "))
	}
	c.DB.MaxConns = int32(maxConns)
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c.Validate()
}

// Run opens the store, bootstraps it when empty and starts serving. It
// returns once the server listens.
func (m *Main) Run(ctx context.Context) error {
	c := m.Config
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler = slog.NewTextHandler(m.stderr, opts)
	if c.LogFormat == "json" {
		handler = slog.NewJSONHandler(m.stderr, opts)
	}
	m.log = slog.New(telemetry.LogHandler(handler)) // a request's lines carry its trace_id
	m.log.Info("starting", "version", version, "addr", c.Addr, "data_dir", c.DataDir, "database", redactURL(c.DatabaseURL),
		"smtp", redactURL(c.SMTPURL), "require_if_match", c.RequireIfMatch, "jsonp", c.JSONP, "allow_private_webhooks", c.AllowPrivateWebhooks, "trusted_proxies", c.TrustedProxies,
		"otel_endpoint", c.OTelEndpoint, "cache_bytes", c.CacheBytes)
	if err := m.privateDataDir(); err != nil {
		return err
	}
	tp, err := startTracing(ctx, c, m.log)
	if err != nil {
		return err
	}
	m.tracing = tp
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store, err := openStore(ctx, c, reg, false)
	if err != nil {
		return err
	}
	m.store = store
	svc := service.New(store, m.log)
	if err := svc.SetSecurity(c.Security); err != nil {
		return err
	}
	if err := m.setSecretKey(ctx, svc); err != nil {
		return err
	}
	m.svc = svc
	if err := svc.EnsureSigningKeys(ctx); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	generated, err := svc.Bootstrap(ctx, c.BootstrapKey, c.BootstrapEmail)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if generated != "" {
		fmt.Fprintf(m.stdout, "Roster created its root organisation and owner (%s).\nThe owner's API key, shown only this once:\n\n    %s\n\n", c.BootstrapEmail, generated)
	}
	if err := m.startDeliveries(ctx, svc); err != nil {
		return err
	}
	proxies, err := httpapi.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return err
	}
	h, err := httpapi.NewServer(httpapi.Config{Service: svc, Log: m.log, Version: version, RequireIfMatch: c.RequireIfMatch, JSONP: c.JSONP, Registry: reg, EncodedCacheBytes: encodedCacheBytes(c.CacheBytes),
		TrustedProxies: proxies, BodyReadTimeout: c.BodyReadTimeout, Tracing: m.tracerProvider()})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	// net/http's own plain-text errors (a bad %-escape, 431) become
	// problem documents.
	m.listener = httpapi.WrapListener(l)
	svc.PublicURLDefault(m.listener.Addr().String())
	m.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: httpapi.MaxHeaderBytes}
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(m.listener) }()
	m.stopJanitor = make(chan struct{})
	go m.janitor(svc)
	if err := m.startMail(store, svc); err != nil {
		return err
	}
	m.log.Info("listening", "addr", m.listener.Addr().String())
	if c.DebugAddr != "" {
		go func() {
			m.log.Warn("pprof listening", "addr", c.DebugAddr, "error", http.ListenAndServe(c.DebugAddr, pprofMux()))
		}()
	}
	return nil
}

// privateDataDir creates the data folder readable by its owner only
// (0700) when the server will use it (the embedded store, or a
// generated secret key), and takes the group's and others' access away
// from the folder and its secret.key when an earlier version, or the
// operator, left them open: they hold the database and the key that
// seals its secrets. A folder the server may not change is left as it
// is, with a warning.
func (m *Main) privateDataDir() error {
	c := m.Config
	if c.DatabaseURL != "" && c.SecretKey != "" {
		return nil // nothing is kept in the data folder
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create the data folder: %w", err)
	}
	for _, p := range []string{c.DataDir, filepath.Join(c.DataDir, "secret.key")} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				m.log.Warn("the data folder is readable by others and cannot be made private", "path", p, "mode", fmt.Sprintf("%04o", perm), "error", err)
				continue
			}
			m.log.Info("made readable by its owner only", "path", p, "was", fmt.Sprintf("%04o", perm))
		}
	}
	return nil
}

// setSecretKey sets the key that seals secrets at rest, and refuses to
// start when it is not the key the database's secrets are sealed with.
func (m *Main) setSecretKey(ctx context.Context, svc *service.Service) error {
	c := m.Config
	key, err := secretKey(c)
	if err != nil {
		return err
	}
	box, err := seal.New(key)
	if err != nil {
		return err
	}
	svc.SetSecretBox(box)
	err = svc.CheckSecretKey(ctx)
	if !errors.Is(err, service.ErrWrongSecretKey) {
		return err
	}
	from := "ROSTER_SECRET_KEY"
	if c.SecretKey == "" {
		from = "the key in " + filepath.Join(c.DataDir, "secret.key") + " (ROSTER_SECRET_KEY is unset)"
	}
	if c.DatabaseURL != "" {
		return fmt.Errorf("%w. This node uses %s; the first node on this PostgreSQL database used another one: set the same ROSTER_SECRET_KEY on every node (a key that a node generated is in its data folder's secret.key)", err, from)
	}
	return fmt.Errorf("%w. This server uses %s, not the key this data folder was used with: set ROSTER_SECRET_KEY to that key, or unset it and put back the data folder's secret.key", err, from)
}

// startDeliveries configures webhooks and starts delivering.
func (m *Main) startDeliveries(ctx context.Context, svc *service.Service) error {
	c := m.Config
	host, _ := os.Hostname()
	w := c.Webhooks
	svc.SetWebhooks(service.WebhookConfig{Sender: webhook.New(webhook.Config{AllowPrivate: c.AllowPrivateWebhooks, Timeout: w.Timeout, Tracing: m.tracerProvider()}),
		Timeout: w.Timeout, RetryFor: w.RetryFor, RetryBase: w.RetryBase, RetryMax: w.RetryMax, DisableAfter: w.DisableAfter,
		Concurrency: w.Concurrency, RotationOverlap: w.RotationOverlap, Owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), roster.NewID("node"))})
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopDeliveries, m.deliveriesDone = cancel, make(chan struct{})
	go func() {
		defer close(m.deliveriesDone)
		svc.RunDeliveries(dctx)
	}()
	return nil
}

// secretKey returns the key that seals secrets (webhook credentials,
// TOTP secrets, recorded idempotent answers): ROSTER_SECRET_KEY,
// or one generated once into the data folder. Several nodes on one
// PostgreSQL database must share ROSTER_SECRET_KEY (setSecretKey checks
// it).
func secretKey(c Config) (string, error) {
	if c.SecretKey != "" {
		return c.SecretKey, nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read the secret key: %w", err)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create the data folder: %w", err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return secretKey(c) // another process made it first
	} else if err != nil {
		return "", fmt.Errorf("write the secret key: %w", err)
	}
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write the secret key: %w", err)
	}
	return key, nil
}

// openStore opens the PostgreSQL store when a database URL is set (its
// pool size and statement timeout may be set in the URL:
// pool_max_conns, statement_timeout), else the embedded store in the
// data folder, and registers its metrics in reg; beside a server that
// may be serving it (a command such as roster keys rotate), the embedded
// store must exist and keeps the server's leases (sqlite.OpenBeside).
func openStore(ctx context.Context, c Config, reg prometheus.Registerer, beside bool) (roster.Store, error) {
	if c.DatabaseURL != "" {
		db, err := postgres.Open(ctx, c.DatabaseURL, c.DB)
		if err != nil {
			return nil, fmt.Errorf("open the PostgreSQL store: %w", err)
		}
		db.SetMetrics(newStoreMetrics(reg, "postgres"))
		return db, nil
	}
	opts, _ := cacheSplit(c.CacheBytes)
	path, open := filepath.Join(c.DataDir, "roster.db"), func(ctx context.Context, path string) (*sqlite.DB, error) {
		return sqlite.OpenWith(ctx, path, opts)
	}
	if beside {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no database in %s: give the data folder of the server (--data-dir) or its --database-url", c.DataDir)
		}
		open = sqlite.OpenBeside
	}
	db, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open the embedded store: %w", err)
	}
	db.SetMetrics(newStoreMetrics(reg, "sqlite"))
	reg.MustRegister(cacheCollector{db})
	return db, nil
}

// tracerProvider is the provider of the server's spans, or nil when
// tracing is off (a nil *TracerProvider would be a non-nil interface).
func (m *Main) tracerProvider() trace.TracerProvider {
	if m.tracing == nil {
		return nil
	}
	return m.tracing
}

// Addr returns the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Close stops accepting requests, waits for those in flight (up to the
// shutdown timeout) and closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.stopJanitor != nil {
		close(m.stopJanitor)
	}
	if m.stopMail != nil {
		m.stopMail()
		<-m.mailDone
	}
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		if err := m.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if m.stopDeliveries != nil {
		m.stopDeliveries()
		<-m.deliveriesDone
	}
	if m.tracing != nil {
		// The spans still batched go out now, within the shutdown timeout.
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		if err := m.tracing.Shutdown(ctx); err != nil {
			m.log.Warn("sending the last traces", "error", err)
		}
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	if m.log != nil {
		m.log.Info("stopped")
	}
	return errors.Join(errs...)
}

// redactURL hides the password of a URL for logging.
func redactURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.LastIndex(s, "@"); at > i {
			if colon := strings.Index(s[i+3:at], ":"); colon >= 0 {
				return s[:i+3+colon] + ":****" + s[at:]
			}
		}
	}
	return s
}

// pprofMux serves the runtime profiles, on their own listener so that
// they are never reachable through the API's address.
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func printDocument(w io.Writer) error {
	doc, err := httpapi.Document(version)
	if err != nil {
		return err
	}
	_, err = w.Write(doc)
	return err
}

// flagSet reports whether the command line named the flag, even with an
// empty value, which is then refused rather than taken for "not given".
func flagSet(fs *flag.FlagSet, name string) (set bool) {
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
