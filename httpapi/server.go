// SPDX-License-Identifier: Apache-2.0

// Package httpapi is Roster's HTTP transport: routing, authentication,
// content negotiation (JSON, XML, JSONP), problem+json errors,
// preconditions and idempotency, over the service package.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/telemetry"
	"github.com/rosterhq/roster/scim"
	"github.com/rosterhq/roster/service"
)

// MaxBodyBytes is the largest request body accepted (1 MiB).
const MaxBodyBytes = 1 << 20

// DefaultBodyReadTimeout is Config.BodyReadTimeout when it is not set.
const DefaultBodyReadTimeout = 15 * time.Second

// Config holds what the HTTP layer needs.
type Config struct {
	Service        *service.Service
	Log            *slog.Logger
	Version        string
	RequireIfMatch bool // answer 428 to a PUT, PATCH or DELETE without If-Match
	// BodyReadTimeout bounds the time a request's body may take to arrive
	// (DefaultBodyReadTimeout when 0): a body that stops half-way is
	// answered 408 then, rather than holding its connection.
	BodyReadTimeout time.Duration
	JSONP           bool // allow ?callback= on GET
	Registry        *prometheus.Registry
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (--trusted-proxies); none by default (clientip.go).
	TrustedProxies []netip.Prefix
	// Tracing, when set (--otel-endpoint), gives every request a span
	// (tracing.go); nil: no tracing at all.
	Tracing trace.TracerProvider
	// EncodedCacheBytes bounds the cache of users' JSON (encoded.go);
	// DefaultEncodedCacheBytes when 0.
	EncodedCacheBytes int64
}

type server struct {
	Config
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	doc     []byte // the OpenAPI document
	encoded *encodedCache
	scim    http.Handler // /scim/v2, which answers in its own form
}

// NewServer returns the http.Handler that serves the whole API.
func NewServer(cfg Config) (http.Handler, error) {
	s := &server{Config: cfg, mux: http.NewServeMux(), encoded: newEncodedCache(cfg.EncodedCacheBytes)}
	if s.BodyReadTimeout <= 0 {
		s.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	s.scim = scim.NewHandler(cfg.Service, s.Log)
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.op.Method+" "+rt.op.Path, s.wrap(rt))
	}
	doc, err := buildDocument(s.Version, s.routes)
	if err != nil {
		return nil, err
	}
	s.doc = doc
	s.metrics = newMetrics(cfg.Registry, cfg.Service, s.encoded)
	return s.traced(), nil
}

type ctxKey int

const (
	keyRequest ctxKey = iota
)

// reqState is what the middleware learns about a request and the
// handlers need: its id, the response format and the caller.
type reqState struct {
	id       string
	format   string // "json" or "xml"
	callback string // JSONP callback, when allowed and asked for
	caller   *roster.Caller
	start    time.Time
	// clientGone is set when the request failed because the client
	// closed its connection (its context was canceled): that is no
	// server error, and the access log shows status 499.
	clientGone bool
}

func state(r *http.Request) *reqState {
	st, _ := r.Context().Value(keyRequest).(*reqState)
	if st == nil {
		st = &reqState{format: "json"}
	}
	return st
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// ServeHTTP gives every request an id, recovers from panics, negotiates
// the format and routes the request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := &reqState{id: r.Header.Get("X-Request-Id"), format: "json", start: time.Now()}
	if !requestIDRE.MatchString(st.id) {
		st.id = newRequestID()
	}
	w.Header().Set("X-Request-Id", st.id)
	if r.ContentLength != 0 {
		// The body must arrive within BodyReadTimeout of the headers
		// (readAll answers 408 otherwise); the server's ReadTimeout would
		// hold a stalled connection far longer.
		_ = http.NewResponseController(w).SetReadDeadline(st.start.Add(s.BodyReadTimeout))
	}
	tagRequestSpan(r.Context(), st.id)
	ip := clientIP(r, s.TrustedProxies)
	ctx := roster.WithRequestInfo(context.WithValue(r.Context(), keyRequest, st), roster.RequestInfo{ID: st.id, ClientIP: ip})
	r = r.WithContext(ctx)
	rec := &recorder{ResponseWriter: w, status: 200}
	pattern := ""
	s.metrics.inFlight.Inc()
	defer s.metrics.inFlight.Dec()
	defer func() {
		aborted := false
		if v := recover(); v == http.ErrAbortHandler {
			// A streamed answer that failed half-way (the export): the
			// connection is cut so that the client sees a truncated
			// body, never a complete-looking one.
			aborted = true
		} else if v != nil {
			s.Log.ErrorContext(r.Context(), "panic", "request_id", st.id, "panic", v)
			if !rec.wrote {
				s.writeError(rec, r, errPanicked)
			}
		}
		if aborted {
			defer panic(http.ErrAbortHandler)
		}
		status := rec.status
		if st.clientGone {
			status = StatusClientClosedRequest
		}
		s.metrics.observe(r.Method, pattern, status, time.Since(st.start))
		if !s.Log.Enabled(r.Context(), slog.LevelInfo) {
			// Building the line's attributes for a level that is off
			// (ROSTER_LOG_LEVEL=warn) was five allocations per request.
			return
		}
		attrs := []any{"request_id", st.id, "method", r.Method, "path", r.URL.Path, "route", pattern,
			"status", status, "bytes", rec.bytes, "duration_ms", float64(time.Since(st.start).Microseconds()) / 1000}
		if st.clientGone {
			attrs = append(attrs, "outcome", "client closed request")
		} else if aborted {
			attrs = append(attrs, "outcome", "answer cut half-way")
		}
		s.Log.InfoContext(r.Context(), "request", attrs...)
	}()
	// A bad %-escape in the query would otherwise be dropped silently
	// with its parameter (one in the path never gets here: net/http
	// refuses it, and WrapListener makes that answer a problem too).
	query, err := url.ParseQuery(r.URL.RawQuery) // keeps the good pairs on an error
	if err != nil {
		var ee url.EscapeError
		if errors.As(err, &ee) {
			s.writeError(rec, r, roster.Errorf(roster.CodeMalformed, "the query string has a bad %%-escape %q: a %% must start an escape such as %%2F (send a literal %% as %%25)", string(ee)))
			return
		}
	}
	// No id holds a control character, and no query parameter may: a
	// NUL would otherwise reach the database (PostgreSQL refuses it in
	// text, which was a 500).
	if hasControl(r.URL.Path) {
		s.writeError(rec, r, roster.Errorf(roster.CodeNotFound, "no such resource: the path holds a control character or bytes that are not UTF-8"))
		return
	}
	if err := controlInQuery(query); err != nil {
		s.writeError(rec, r, err)
		return
	}
	// SCIM (RFC 7644) has its own media type, error documents and
	// routes outside /v1: it answers whatever Accept says.
	if r.URL.Path == scim.Base || strings.HasPrefix(r.URL.Path, scim.Base+"/") {
		pattern = scim.Base
		nameRequestSpan(r.Context(), pattern)
		s.scim.ServeHTTP(rec, r)
		return
	}
	// Browser apps' cross-origin calls to the OpenID endpoints, their
	// preflights answered here (cors.go).
	if s.cors(rec, r) {
		pattern = "OPTIONS " + r.URL.Path
		return
	}
	if err := s.negotiate(r, st); err != nil {
		s.writeError(rec, r, err)
		return
	}
	// The ServeMux would redirect a path with empty, "." or ".." segments
	// to its clean form (a 301 or 307, for a PUT as for a GET): no such
	// path names a resource here.
	if !cleanPath(r.URL.Path) {
		s.writeError(rec, r, roster.Errorf(roster.CodeNotFound, "no such resource: %q has empty, \".\" or \"..\" segments", r.URL.Path))
		return
	}
	_, p := s.mux.Handler(r)
	if p == "" || strings.HasSuffix(p, " /") {
		s.writeError(rec, r, s.unrouted(r))
		return
	}
	pattern = p
	nameRequestSpan(r.Context(), p)
	s.mux.ServeHTTP(rec, r) // the mux, not the Handler found above, sets path values
}

// hasControl reports whether s holds a C0 control character or DEL, or
// is not valid UTF-8 (which no stored text is, and PostgreSQL refuses).
func hasControl(s string) bool {
	return !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7F })
}

// controlInQuery refuses query parameters that hold control characters.
func controlInQuery(q url.Values) error {
	var fe []roster.FieldError
	for k, vs := range q {
		keyControl := hasControl(k)
		for _, v := range vs {
			if keyControl || hasControl(v) {
				loc := "query." + k
				if keyControl {
					loc = "query." + strconv.QuoteToASCII(k)
				}
				fe = append(fe, roster.FieldError{Location: loc, Message: "holds a control character or bytes that are not UTF-8: query parameters are UTF-8 text without control characters", Value: strconv.QuoteToASCII(v)})
				break
			}
		}
	}
	if fe == nil {
		return nil
	}
	return &roster.Error{Code: roster.CodeMalformed, Message: "the query has invalid parameters", Fields: fe}
}

// cleanPath reports whether p is already in the form ServeMux cleans
// paths to.
func cleanPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// StatusClientClosedRequest is the status the access log and the metrics
// give a request whose client hung up before the answer (nginx's 499):
// nothing is sent, and it is not a server error.
const StatusClientClosedRequest = 499

// errPanicked answers a request whose handler panicked.
var errPanicked = roster.Errorf(roster.CodeInternal, "internal error")

// clientClosed reports whether err is how a request ended when its client
// closed the connection: the request's context is canceled, and the error
// is that cancellation or a failure it caused (a read cut short).
func clientClosed(r *http.Request, err error) bool {
	if err == errPanicked || !errors.Is(r.Context().Err(), context.Canceled) { // a panic is a bug whoever hung up
		return false
	}
	return errors.Is(err, context.Canceled) || roster.ErrorCode(err) == roster.CodeInternal
}

// unrouted explains a request no route takes: 405 with Allow when the
// path exists for other methods, else 404.
func (s *server) unrouted(r *http.Request) error {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		c := r.Clone(r.Context())
		c.Method = m
		if _, p := s.mux.Handler(c); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		return &methodError{allow: strings.Join(allow, ", ")}
	}
	return roster.Errorf(roster.CodeNotFound, "no such resource: %s", r.URL.Path)
}

type methodError struct{ allow string }

func (e *methodError) Error() string { return "method not allowed: use " + e.allow }

// queryCredentials are query parameters that look like credentials: they
// are refused so that no secret ends up in logs and browser histories.
var queryCredentials = []string{"access_token", "api_key", "apikey", "key", "token", "bearer", "auth"}

// route is one entry of the route table: its description (which is also
// the OpenAPI operation) and its handler.
type route struct {
	op      Operation
	handler http.HandlerFunc
}

// wrap adds what every route needs around its handler: authentication
// for non-public routes, the If-Match requirement and idempotency.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, k := range queryCredentials {
			if q.Has(k) {
				s.writeError(w, r, roster.Errorf(roster.CodeMalformed, "credentials are accepted only in the Authorization header (Bearer), never in the query string: remove %q", k))
				return
			}
		}
		if !rt.op.Public {
			caller, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			state(r).caller = caller
		}
		if s.RequireIfMatch && (r.Method == "PUT" || r.Method == "PATCH" || r.Method == "DELETE") && r.Header.Get("If-Match") == "" {
			s.writeError(w, r, roster.Errorf(roster.CodePreconditionRequired, "this server requires If-Match on %s: send the ETag of the version you are changing", r.Method))
			return
		}
		// The operation's own span (named by its id, e.g. patchUser), under
		// the request's: decoding, the service call and the answer.
		ctx, span := telemetry.Start(r.Context(), rt.op.ID)
		defer span.End()
		if span.IsRecording() {
			r = r.WithContext(ctx)
		}
		// Idempotency is scoped to the calling key, so public routes (the
		// token endpoint, whose answers are secrets) have none.
		// An import streams a body of any size and is safe to run again
		// as it is (import.go): it records no key.
		if r.Method == "POST" && !rt.op.Public && r.Header.Get("Idempotency-Key") != "" && rt.op.ID != "importUsers" {
			s.idempotent(w, r, rt.handler)
			return
		}
		rt.handler(w, r)
	})
}

func (s *server) authenticate(r *http.Request) (*roster.Caller, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, roster.Errorf(roster.CodeUnauthorized, "authentication required: send Authorization: Bearer <API key or access token>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, roster.Errorf(roster.CodeUnauthorized, "the Authorization header must be \"Bearer <token>\"")
	}
	ctx, span := telemetry.Start(r.Context(), "authenticate")
	c, err := s.Service.Authenticate(ctx, strings.TrimSpace(token))
	telemetry.End(span, err)
	return c, err
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
