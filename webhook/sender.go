// SPDX-License-Identifier: Apache-2.0

// Package webhook sends events to webhook receivers over HTTP: it renders
// the payload (with the projection), signs it the Standard Webhooks way,
// authenticates (basic or OAuth 2.0 with cached tokens) and refuses
// private destinations at creation and at connection time.
package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/theory/jsonpath"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/lru"
)

// Config configures a Sender.
type Config struct {
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses (--allow-private-webhooks).
	AllowPrivate bool
	// Timeout bounds each request, from connecting to the end of the
	// answer's excerpt.
	Timeout time.Duration
	// Tracing, when set (--otel-endpoint), gives every send a span
	// (tracing.go); nil: none.
	Tracing trace.TracerProvider
}

// Sender delivers events to webhooks. It is safe for concurrent use.
type Sender struct {
	cfg Config
	// client sends deliveries: fasthttp's client makes a request on the
	// caller's goroutine with few allocations, where net/http's hands it to
	// two goroutines of the connection (about 40 % less CPU a delivery,
	// measured). tokens asks token endpoints (golang.org/x/oauth2 wants a
	// net/http client). Both dial through the same guard.
	client *fasthttp.Client
	tokens *http.Client
	tracer trace.Tracer

	mu      sync.Mutex
	sources map[string]cachedSource // by webhook id
	// rotated holds the newest token of a webhook whose token endpoint
	// rotated its refresh token, until the webhook is stored with it: a
	// new version's token source starts from it rather than spending the
	// stored refresh token again (each use would rotate it once more).
	rotated map[string]*oauth2.Token
}

type cachedSource struct {
	version int64
	src     oauth2.TokenSource
}

// ExcerptSize bounds the excerpt of a receiver's answer kept in the log.
const ExcerptSize = 1024

// New returns a Sender.
func New(cfg Config) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = control
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would connect on our behalf, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	// A redirect is an answer (3xx, a failure), never followed: it could
	// lead anywhere.
	noRedirects := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client := &fasthttp.Client{
		// A new connection per dial: the guard sees every address the
		// name resolves to now. No proxy, no redirects (Do follows none).
		DialTimeout: func(addr string, timeout time.Duration) (net.Conn, error) {
			d := *dialer
			d.Timeout = min(timeout, cfg.Timeout)
			return d.Dial("tcp", addr)
		},
		MaxConnsPerHost:          1024, // --webhook-concurrency at most
		MaxConnWaitTimeout:       cfg.Timeout,
		MaxIdleConnDuration:      90 * time.Second,
		NoDefaultUserAgentHeader: true,
		DisablePathNormalizing:   true, // the URL goes as the webhook has it
		// The answer is read as a stream: an excerpt is kept and a little
		// more read so that the connection can be reused.
		StreamResponseBody: true,
		// A keep-alive connection the receiver closed meanwhile fails
		// before the request reached it: send again on a new one, for any
		// method (deliveries are at least once anyway).
		RetryIfErr: func(_ *fasthttp.Request, attempts int, err error) (bool, bool) {
			return false, attempts < 2 && errors.Is(err, fasthttp.ErrConnectionClosed)
		},
	}
	return &Sender{cfg: cfg, client: client, tracer: tracer(cfg.Tracing),
		tokens: &http.Client{Transport: tr, Timeout: cfg.Timeout, CheckRedirect: noRedirects}, sources: map[string]cachedSource{}, rotated: map[string]*oauth2.Token{}}
}

// CheckURL refuses a destination that webhooks may not reach.
func (s *Sender) CheckURL(ctx context.Context, raw string) error {
	if s.cfg.AllowPrivate {
		return nil
	}
	return CheckURL(ctx, raw)
}

// payloadHead is the start of a delivery's body, the event's fields as
// the feed has them: the resource after the change ("data"), before it
// ("previous", when the webhook asks for it) and the patch follow, copied
// as the event holds them (compact JSON, see roster.Event) instead of
// encoded again.
type payloadHead struct {
	ID             string             `json:"id"`
	Type           string             `json:"type"`
	OccurredAt     time.Time          `json:"occurred_at"`
	Actor          roster.Actor       `json:"actor"`
	RequestID      string             `json:"request_id,omitempty"`
	Resource       roster.ResourceRef `json:"resource"`
	OrganizationID string             `json:"organization_id,omitempty"`
	Reason         string             `json:"reason,omitempty"`
}

// Render returns the body a webhook is sent for an event: the event, with
// the resource before the change only when the webhook asks for it; with
// a projection, data (and previous) are the projected objects.
func Render(w *roster.Webhook, e *roster.Event) ([]byte, error) {
	head, err := json.Marshal(payloadHead{ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt, Resource: e.Resource, OrganizationID: e.OrgID,
		Actor: e.Actor, RequestID: e.RequestID, Reason: e.Reason})
	if err != nil {
		return nil, err
	}
	data, prev := e.Data, e.Previous
	if !w.IncludePrevious {
		prev = nil
	}
	if len(w.Projection) > 0 {
		if data, err = project(w.Projection, data); err != nil {
			return nil, err
		}
		if prev, err = project(w.Projection, prev); err != nil {
			return nil, err
		}
	}
	// A deletion has no data: the field is absent, as in the feed.
	body := make([]byte, 0, len(head)+len(data)+len(prev)+len(e.Patch)+32)
	body = append(body, head[:len(head)-1]...)
	if len(data) > 0 {
		body = append(append(body, `,"data":`...), data...)
	}
	if len(prev) > 0 {
		body = append(append(body, `,"previous":`...), prev...)
	}
	if len(e.Patch) > 0 {
		body = append(append(body, `,"patch":`...), e.Patch...)
	}
	return append(body, '}'), nil
}

// project evaluates the projection's expressions against a resource and
// returns the object of their results; an absent resource stays absent.
func project(projection map[string]string, resource json.RawMessage) (json.RawMessage, error) {
	if len(resource) == 0 || string(resource) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(resource))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(projection))
	for name, expr := range projection {
		path, err := parsePath(expr)
		if err != nil {
			return nil, fmt.Errorf("projection %s: %w", name, err)
		}
		switch nodes := path.Select(doc); len(nodes) {
		case 0:
			out[name] = nil
		case 1:
			out[name] = nodes[0]
		default:
			out[name] = []any(nodes)
		}
	}
	return json.Marshal(out)
}

// maxCachedPaths bounds the parsed projection expressions kept.
const maxCachedPaths = 1024

// paths caches parsed projection expressions, so that a delivery does
// not parse them again (the expressions were validated at creation): the
// most recently used maxCachedPaths of them, since every expression any
// webhook ever had would otherwise stay for the life of the process.
var paths = &lru.Cache[string, *jsonpath.Path]{Max: maxCachedPaths}

func parsePath(expr string) (*jsonpath.Path, error) {
	if p, ok := paths.Get(expr); ok {
		return p, nil
	}
	p, err := jsonpath.Parse(expr)
	if err != nil {
		return nil, err
	}
	paths.Add(expr, p)
	return p, nil
}

// Sign returns the webhook-signature header of a message: one "v1,…"
// signature per secret, separated by spaces.
func Sign(secrets []string, msgID string, at time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return "", err
		}
		sig, err := wh.Sign(msgID, at, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Send makes one attempt to deliver an event and reports how it went,
// within the sender's timeout.
func (s *Sender) Send(ctx context.Context, w *roster.Webhook, sec *roster.WebhookSecrets, e *roster.Event) (a roster.Attempt) {
	ctx, span := s.startSpan(ctx, w, e)
	defer func() { endSpan(span, a) }()
	start := time.Now()
	deadline := start.Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	a = roster.Attempt{At: start.UTC().Truncate(time.Microsecond)}
	fail := func(format string, args ...any) roster.Attempt {
		a.Error = fmt.Sprintf(format, args...)
		a.LatencyMS = ms(time.Since(start))
		return a
	}
	body, err := Render(w, e)
	if err != nil {
		return fail("render the payload: %v", err)
	}
	if w.Method == http.MethodDelete {
		body = nil
	}
	var sig string
	if !w.SigningDisabled {
		if sig, err = Sign(sec.Active(start), e.ID, start, body); err != nil {
			return fail("sign: %v", err)
		}
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(w.URL)
	req.Header.SetMethod(w.Method)
	for k, v := range sec.Headers { // the values are secrets: not in w
		req.Header.Set(k, v)
	}
	// Set after the custom headers, which they override.
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	req.Header.SetUserAgent("Roster-Webhooks/1")
	req.Header.Set("Webhook-Id", e.ID)
	req.Header.Set("Webhook-Timestamp", strconv.FormatInt(start.Unix(), 10))
	if sig != "" {
		req.Header.Set("Webhook-Signature", sig)
	}
	traceParent(ctx, &req.Header)
	if w.Auth != nil {
		switch w.Auth.Type {
		case roster.AuthBasic:
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(w.Auth.Username+":"+sec.Password)))
		case roster.AuthOAuth2:
			tok, err := s.token(w, sec).Token()
			if err != nil {
				s.forget(w.ID)
				return fail("get an OAuth 2.0 token from %s: %s", w.Auth.TokenURL, describe(err))
			}
			if w.Auth.GrantType == roster.GrantRefreshToken && tok.RefreshToken != "" && tok.RefreshToken != sec.RefreshToken {
				a.RefreshToken = tok.RefreshToken // to be stored: the old one may not work again
				s.mu.Lock()
				s.rotated[w.ID] = tok
				s.mu.Unlock()
			}
			req.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
		}
	}
	if err := s.client.DoDeadline(req, resp, deadline); err != nil {
		return fail("%s", describe(err))
	}
	defer resp.CloseBodyStream()
	a.StatusCode = resp.StatusCode()
	if stream := resp.BodyStream(); stream != nil {
		excerpt, _ := io.ReadAll(io.LimitReader(stream, ExcerptSize))
		a.Response = validPrefix(excerpt)
		// Read on a little so the connection can be reused, then give up.
		_, _ = io.Copy(io.Discard, io.LimitReader(stream, 64<<10))
	}
	a.LatencyMS = ms(time.Since(start))
	if a.StatusCode == http.StatusUnauthorized && w.Auth != nil && w.Auth.Type == roster.AuthOAuth2 {
		s.forget(w.ID) // the token may have been revoked: fetch a new one next time
	}
	return a
}

// token returns the webhook's token source, which caches its token until
// it expires.
func (s *Sender) token(w *roster.Webhook, sec *roster.WebhookSecrets) oauth2.TokenSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.sources[w.ID]; ok && c.version == w.Version {
		return c.src
	}
	// The token endpoint is reached through the same guarded client.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.tokens)
	a := w.Auth
	var src oauth2.TokenSource
	if a.GrantType == roster.GrantRefreshToken {
		conf := &oauth2.Config{ClientID: a.ClientID, ClientSecret: sec.ClientSecret, Endpoint: oauth2.Endpoint{TokenURL: a.TokenURL}, Scopes: strings.Fields(a.Scope)}
		start := &oauth2.Token{RefreshToken: sec.RefreshToken}
		if last := s.rotated[w.ID]; last != nil && last.RefreshToken == sec.RefreshToken {
			start = last // the stored version of a rotation this node made: its access token is still good
			delete(s.rotated, w.ID)
		}
		src = conf.TokenSource(ctx, start)
	} else {
		conf := &clientcredentials.Config{ClientID: a.ClientID, ClientSecret: sec.ClientSecret, TokenURL: a.TokenURL, Scopes: strings.Fields(a.Scope)}
		src = conf.TokenSource(ctx)
	}
	s.sources[w.ID] = cachedSource{version: w.Version, src: src}
	return src
}

func (s *Sender) forget(id string) {
	s.mu.Lock()
	delete(s.sources, id)
	delete(s.rotated, id)
	s.mu.Unlock()
}

// describe says why a request got no answer, without Go's wrapping.
func describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrBlocked):
		return ErrBlocked.Error()
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout),
		errors.Is(err, fasthttp.ErrNoFreeConns):
		return "timed out waiting for the receiver"
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Sprintf("the token endpoint answered %d: %s", re.Response.StatusCode, validPrefix([]byte(re.ErrorCode+" "+re.ErrorDescription)))
	}
	return err.Error()
}

// validPrefix returns b as a string, cut at the last whole UTF-8 character.
func validPrefix(b []byte) string {
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
