// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/theory/jsonpath"

	"github.com/rosterhq/roster/validate"
)

// PrefixDelivery is the prefix of delivery ids.
const PrefixDelivery = "dlv"

// Webhook methods, authentication types and delivery states.
const (
	AuthBasic  = "basic"
	AuthOAuth2 = "oauth2"

	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"

	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// WebhookMethods are the HTTP methods a webhook may use.
var WebhookMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Webhook is a subscription to change events, delivered by HTTP, as the
// stores keep it (its JSON is the stored document, which is why its event
// types keep the name event_types there). Its secrets (signing secrets,
// the basic password, the OAuth 2.0 client secret and refresh token, the
// custom headers' values) are not in this struct in clear: they are in
// Sealed, encrypted by the service with the server's secret key.
type Webhook struct {
	ID             string   `json:"id"`
	OrganizationID string   `json:"organization_id"`
	Name           string   `json:"name"`
	URL            string   `json:"url"`
	Method         string   `json:"method"`
	Status         string   `json:"status"`
	EventTypes     []string `json:"event_types"`
	// Headers are the custom headers' names, each with WriteOnlyMask: the
	// values are in the secrets. Documents written before the values were
	// sealed hold them here in clear; AdoptClearHeaders takes them over.
	Headers         map[string]string `json:"headers"`
	Auth            *WebhookAuth      `json:"auth,omitempty"`
	IncludePrevious bool              `json:"include_previous"`
	Projection      map[string]string `json:"projection,omitempty"`
	// SigningDisabled is set when deliveries carry no webhook-signature.
	SigningDisabled bool      `json:"signing_disabled,omitempty"`
	DisabledReason  string    `json:"disabled_reason,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int64     `json:"version"`
	// Sealed holds the WebhookSecrets, encrypted.
	Sealed []byte `json:"sealed"`

	// Kept by the store outside the document:
	// FailingSince is when the current run of failed attempts began.
	FailingSince *time.Time `json:"-"`
	// Cursor is the seq of the last event considered for delivery.
	Cursor int64 `json:"-"`
}

// WebhookAuth is a webhook's authentication, without its secrets.
type WebhookAuth struct {
	Type      string `json:"type"`
	Username  string `json:"username,omitempty"`
	GrantType string `json:"grant_type,omitempty"`
	TokenURL  string `json:"token_url,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Scope     string `json:"scope,omitempty"`
}

// WebhookSecrets are a webhook's secrets in clear.
type WebhookSecrets struct {
	Signing      []SigningSecret `json:"signing"` // newest first
	Password     string          `json:"password,omitempty"`
	ClientSecret string          `json:"client_secret,omitempty"`
	RefreshToken string          `json:"refresh_token,omitempty"`
	// Headers are the custom headers with their values, by canonical name.
	Headers map[string]string `json:"headers,omitempty"`
}

// AdoptClearHeaders takes into sec the header values that a webhook
// written before they were sealed holds in clear; the next write of the
// webhook seals them.
func (s *WebhookSecrets) AdoptClearHeaders(w *Webhook) {
	for name, v := range w.Headers {
		if _, ok := s.Headers[name]; !ok && v != WriteOnlyMask {
			if s.Headers == nil {
				s.Headers = map[string]string{}
			}
			s.Headers[name] = v
		}
	}
}

// clone returns a deep copy of s.
func (s *WebhookSecrets) clone() *WebhookSecrets {
	c := *s
	c.Signing = slices.Clone(s.Signing)
	c.Headers = maps.Clone(s.Headers)
	return &c
}

// SigningSecret is one Standard Webhooks secret ("whsec_" + base64). A
// rotated-out secret keeps signing until ExpiresAt.
type SigningSecret struct {
	Secret    string     `json:"secret"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Active returns the signing secrets still valid at now, newest first.
func (s *WebhookSecrets) Active(now time.Time) []string {
	var out []string
	for _, k := range s.Signing {
		if k.ExpiresAt == nil || now.Before(*k.ExpiresAt) {
			out = append(out, k.Secret)
		}
	}
	return out
}

// NewSigningSecret returns a new random "whsec_" secret of 32 bytes.
func NewSigningSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// Clone returns a deep copy of w.
func (w *Webhook) Clone() *Webhook {
	c := *w
	c.EventTypes = slices.Clone(w.EventTypes)
	c.Headers = maps.Clone(w.Headers)
	c.Projection = maps.Clone(w.Projection)
	c.Sealed = slices.Clone(w.Sealed)
	if w.Auth != nil {
		a := *w.Auth
		c.Auth = &a
	}
	if w.FailingSince != nil {
		t := *w.FailingSince
		c.FailingSince = &t
	}
	return &c
}

// Wants reports whether the webhook subscribes to an event type ("*"
// matches everything, a trailing ".*" a prefix).
func (w *Webhook) Wants(typ string) bool {
	for _, t := range w.EventTypes {
		if t == "*" || t == typ {
			return true
		}
		if p, ok := strings.CutSuffix(t, ".*"); ok && strings.HasPrefix(typ, p+".") {
			return true
		}
	}
	return false
}

// WebhookInput is the body of a webhook's creation or replacement, and
// what a patch of it must produce. Secret fields are write-only: when a
// replacement omits one, the stored value stays.
type WebhookInput struct {
	ID              *string           `json:"id,omitempty" readOnly:"true"`
	OrganizationID  *string           `json:"organization_id,omitempty" doc:"Deliver only the events of this organisation and its descendants; defaults to the caller's organisation."`
	Name            *string           `json:"name,omitempty" maxLength:"255"`
	URL             *string           `json:"url" required:"true" maxLength:"2048" doc:"http or https; loopback, private and link-local destinations are refused unless the server allows them."`
	Method          *string           `json:"method,omitempty" enum:"POST,PUT,PATCH,DELETE" doc:"POST by default; DELETE sends no body."`
	Status          *string           `json:"status,omitempty" enum:"enabled,disabled"`
	EventTypes      []string          `json:"events" required:"true" minItems:"1" doc:"Event types such as user.updated; user.* for a family, * for all."`
	Headers         map[string]string `json:"headers,omitempty" doc:"Extra request headers (at most 20). The values are write-only: \"********\" keeps a stored one."`
	Auth            *WebhookAuthInput `json:"auth,omitempty" nullable:"true"`
	Signing         *SigningInput     `json:"signing,omitempty"`
	IncludePrevious *bool             `json:"include_previous,omitempty" doc:"Send the resource as it was before the change too."`
	Projection      map[string]string `json:"projection,omitempty" doc:"Send the event's data reduced to these fields: output name → RFC 9535 JSONPath over the event's data (e.g. $.email, $.preferences.language)."`
	DisabledReason  *string           `json:"disabled_reason,omitempty" readOnly:"true"`
	FailingSince    *time.Time        `json:"failing_since,omitempty" readOnly:"true"`
	CreatedAt       *time.Time        `json:"created_at,omitempty" readOnly:"true"`
	UpdatedAt       *time.Time        `json:"updated_at,omitempty" readOnly:"true"`
	Version         *int64            `json:"version,omitempty" readOnly:"true"`
}

// SigningInput is a webhook's signing as sent.
type SigningInput struct {
	Enabled *bool   `json:"enabled,omitempty" doc:"Sign deliveries (Standard Webhooks webhook-signature); true by default."`
	Secret  *string `json:"secret,omitempty" writeOnly:"true" doc:"At creation only: a signing secret of your own (whsec_ + base64 of 24 to 64 bytes) instead of a generated one. Use POST /v1/webhooks/{id}/rotate-secret to change it."`
}

// WebhookAuthInput is the authentication of a webhook as sent.
type WebhookAuthInput struct {
	Type         string  `json:"type" required:"true" enum:"basic,oauth2"`
	Username     string  `json:"username,omitempty" maxLength:"255"`
	Password     *string `json:"password,omitempty" writeOnly:"true"`
	GrantType    string  `json:"grant_type,omitempty" enum:"client_credentials,refresh_token"`
	TokenURL     string  `json:"token_url,omitempty" maxLength:"2048"`
	ClientID     string  `json:"client_id,omitempty" maxLength:"255"`
	ClientSecret *string `json:"client_secret,omitempty" writeOnly:"true"`
	RefreshToken *string `json:"refresh_token,omitempty" writeOnly:"true"`
	Scope        string  `json:"scope,omitempty" maxLength:"1024"`
}

var (
	headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")
	eventTypeRE  = regexp.MustCompile(`^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$`)
)

// reservedHeaders are set by the sender and may not be overridden.
var reservedHeaders = []string{"host", "content-length", "content-type", "transfer-encoding", "connection", "authorization",
	"webhook-id", "webhook-timestamp", "webhook-signature", "user-agent", "te", "upgrade", "trailer", "keep-alive", "proxy-authorization"}

// BuildWebhook validates in against the current webhook (nil for a new
// one) and returns the webhook it describes, with its secrets in clear;
// the caller seals them. cur's secrets are curSecrets.
func BuildWebhook(cur *Webhook, curSecrets *WebhookSecrets, in *WebhookInput) (*Webhook, *WebhookSecrets, error) {
	var fe fieldErrors
	w := &Webhook{Method: http.MethodPost, Status: StatusEnabled, Headers: map[string]string{}}
	sec := &WebhookSecrets{}
	if cur != nil {
		w = cur.Clone()
		w.Headers, w.Projection, w.Auth = map[string]string{}, nil, nil
		sec = curSecrets.clone()
		fe.readOnly("id", in.ID, cur.ID, "ids are assigned by the server")
		fe.readOnly("created_at", in.CreatedAt, cur.CreatedAt, "it is set by the server")
		fe.readOnly("updated_at", in.UpdatedAt, cur.UpdatedAt, "it is set by the server")
		fe.readOnly("version", in.Version, cur.Version, "it is set by the server")
		fe.readOnly("failing_since", in.FailingSince, cur.FailingSince, "it is set by the delivery")
		fe.readOnly("disabled_reason", in.DisabledReason, cur.DisabledReason, "it is set with the status")
		if in.Signing != nil && in.Signing.Secret != nil && *in.Signing.Secret != WriteOnlyMask {
			fe.add("signing.secret", "signing.secret cannot be changed here: use POST /v1/webhooks/{id}/rotate-secret", nil)
		}
		if in.OrganizationID != nil && *in.OrganizationID != cur.OrganizationID {
			fe.add("organization_id", "organization_id cannot change: create a new webhook for another organisation", *in.OrganizationID)
		}
	} else {
		fe.serverSet(sentField{"id", in.ID}, sentField{"created_at", in.CreatedAt}, sentField{"updated_at", in.UpdatedAt}, sentField{"version", in.Version}, sentField{"failing_since", in.FailingSince}, sentField{"disabled_reason", in.DisabledReason})
		if in.OrganizationID != nil {
			w.OrganizationID = *in.OrganizationID
			if !ValidID(PrefixOrg, w.OrganizationID) {
				fe.add("organization_id", "organization_id must be an organisation id (org_…)", w.OrganizationID)
			}
		}
	}
	buildSigning(&fe, w, sec, cur, in.Signing)
	w.Name = trimmed(in.Name)
	checkLen(&fe, "name", w.Name, 255)
	if in.URL == nil || *in.URL == "" {
		fe.add("url", "url is required: the address to deliver events to", nil)
	} else if err := validate.URL(*in.URL); err != nil {
		fe.add("url", "url "+err.Error(), *in.URL)
	} else {
		w.URL = *in.URL
	}
	w.Method = oneOf(&fe, "method", in.Method, http.MethodPost, WebhookMethods...)
	w.Status = oneOf(&fe, "status", in.Status, StatusEnabled, StatusEnabled, StatusDisabled)
	if w.Status == StatusDisabled && cur != nil && cur.Status == StatusDisabled {
		w.DisabledReason = cur.DisabledReason
	} else {
		w.DisabledReason = ""
	}
	w.EventTypes = nil
	if len(in.EventTypes) == 0 {
		fe.add("events", "events is required: list at least one event type, such as user.* or *", nil)
	}
	if len(in.EventTypes) > 50 {
		fe.add("events", "at most 50 event types", len(in.EventTypes))
	}
	for i, t := range in.EventTypes {
		if len(t) > 64 || !eventTypeRE.MatchString(t) {
			fe.add("events["+itoa(i)+"]", "an event type is like user.updated, a family like user.*, or * for all", t)
			continue
		}
		if !slices.Contains(w.EventTypes, t) {
			w.EventTypes = append(w.EventTypes, t)
		}
	}
	if len(in.Headers) > 20 {
		fe.add("headers", "at most 20 headers", len(in.Headers))
	}
	stored := sec.Headers
	sec.Headers = nil
	for _, name := range slices.Sorted(maps.Keys(in.Headers)) {
		v := in.Headers[name]
		canon := http.CanonicalHeaderKey(name)
		if v == WriteOnlyMask {
			var ok bool
			if v, ok = stored[canon]; !ok {
				fe.add("headers."+name, WriteOnlyMask+" keeps a stored header value, and there is none to keep: send the value", nil)
				continue
			}
		}
		switch {
		case !headerNameRE.MatchString(name):
			fe.add("headers."+name, "a header name is 1 to 64 letters, digits and !#$%&'*+.^_`|~-", name)
		case slices.Contains(reservedHeaders, strings.ToLower(name)):
			fe.add("headers."+name, name+" is set by Roster and cannot be overridden (use auth for Authorization)", name)
		case len(v) > 1024 || strings.ContainsAny(v, "\r\n\x00"):
			fe.add("headers."+name, "a header value is at most 1024 characters, without line breaks", nil)
		default:
			w.Headers[canon] = WriteOnlyMask
			if sec.Headers == nil {
				sec.Headers = map[string]string{}
			}
			sec.Headers[canon] = v
		}
	}
	w.IncludePrevious = in.IncludePrevious != nil && *in.IncludePrevious
	if len(in.Projection) > 50 {
		fe.add("projection", "at most 50 projected fields", len(in.Projection))
	}
	for _, name := range slices.Sorted(maps.Keys(in.Projection)) {
		expr := in.Projection[name]
		if name == "" || len(name) > 64 {
			fe.add("projection", "a projected field name is 1 to 64 characters", name)
			continue
		}
		if _, err := jsonpath.Parse(expr); err != nil || len(expr) > 256 {
			fe.add("projection."+name, "must be an RFC 9535 JSONPath expression over the event's data, such as $.email or $.preferences.language", expr)
			continue
		}
		if w.Projection == nil {
			w.Projection = map[string]string{}
		}
		w.Projection[name] = expr
	}
	buildAuth(&fe, w, sec, cur, in.Auth)
	if err := fe.err(); err != nil {
		return nil, nil, err
	}
	return w, sec, nil
}

// WriteOnlyMask stands for a stored secret: reads show it in place of
// auth secrets and header values, and sent back it keeps the stored value.
const WriteOnlyMask = "********"

// buildSigning sets whether the webhook signs its deliveries: a new
// webhook gets the secret sent or a generated one, a webhook whose
// signing is turned on again a generated one, and one whose signing is
// turned off none.
func buildSigning(fe *fieldErrors, w *Webhook, sec *WebhookSecrets, cur *Webhook, in *SigningInput) {
	on := in == nil || in.Enabled == nil || *in.Enabled
	w.SigningDisabled = !on
	switch {
	case !on:
		if cur == nil && in.Secret != nil {
			fe.add("signing.secret", "signing.secret is for a webhook whose signing is enabled", nil)
		}
		sec.Signing = nil
	case cur != nil && !cur.SigningDisabled:
		// Signing stays as it is; the secret changes by rotation only.
	case cur == nil && in != nil && in.Secret != nil:
		if !ValidSigningSecret(*in.Secret) {
			fe.add("signing.secret", "signing.secret must be whsec_ followed by the base64 of 24 to 64 random bytes", nil)
		}
		sec.Signing = []SigningSecret{{Secret: *in.Secret}}
	default:
		sec.Signing = []SigningSecret{{Secret: NewSigningSecret()}}
	}
}

// FreshSigningSecret reports the signing secret a webhook got from its
// creation or this change of cur into w, which is shown once; "" when it
// has none new.
func (w *Webhook) FreshSigningSecret(cur *Webhook, sec *WebhookSecrets) string {
	if w.SigningDisabled || len(sec.Signing) == 0 || (cur != nil && !cur.SigningDisabled) {
		return ""
	}
	return sec.Signing[0].Secret
}

// buildAuth validates a webhook's authentication; secrets left out (or
// sent as WriteOnlyMask) keep their stored values while the kind of
// authentication stays the same.
func buildAuth(fe *fieldErrors, w *Webhook, sec *WebhookSecrets, cur *Webhook, in *WebhookAuthInput) {
	keep := cur != nil && cur.Auth != nil && in != nil && cur.Auth.Type == in.Type
	secret := func(field string, sent *string, stored string, need bool) string {
		switch {
		case sent != nil && *sent == WriteOnlyMask:
			if keep && stored != "" {
				return stored
			}
			fe.add("auth."+field, WriteOnlyMask+" keeps a stored auth."+field+", and there is none to keep: send the value", nil)
		case sent != nil && *sent != "":
			if len(*sent) > 4096 {
				fe.add("auth."+field, field+" is at most 4096 characters", nil)
			}
			return *sent
		case keep && stored != "":
			return stored
		case need:
			fe.add("auth."+field, "auth."+field+" is required", nil)
		}
		return ""
	}
	old := *sec
	sec.Password, sec.ClientSecret, sec.RefreshToken = "", "", ""
	if in == nil {
		return
	}
	a := &WebhookAuth{Type: in.Type}
	switch in.Type {
	case AuthBasic:
		a.Username = in.Username
		if a.Username == "" || strings.Contains(a.Username, ":") || len(a.Username) > 255 {
			fe.add("auth.username", "auth.username is required, at most 255 characters and without a colon", nil)
		}
		sec.Password = secret("password", in.Password, old.Password, true)
	case AuthOAuth2:
		a.GrantType, a.TokenURL, a.ClientID, a.Scope = in.GrantType, in.TokenURL, in.ClientID, in.Scope
		if a.GrantType != GrantClientCredentials && a.GrantType != GrantRefreshToken {
			fe.add("auth.grant_type", "auth.grant_type must be client_credentials or refresh_token", a.GrantType)
		}
		if err := validate.URL(a.TokenURL); err != nil {
			fe.add("auth.token_url", "auth.token_url "+err.Error(), a.TokenURL)
		}
		if a.ClientID == "" || len(a.ClientID) > 255 {
			fe.add("auth.client_id", "auth.client_id is required (at most 255 characters)", nil)
		}
		if len(a.Scope) > 1024 {
			fe.add("auth.scope", "auth.scope is at most 1024 characters", nil)
		}
		sec.ClientSecret = secret("client_secret", in.ClientSecret, old.ClientSecret, a.GrantType == GrantClientCredentials)
		sec.RefreshToken = secret("refresh_token", in.RefreshToken, old.RefreshToken, a.GrantType == GrantRefreshToken)
	default:
		fe.add("auth.type", "auth.type must be basic or oauth2", in.Type)
		return
	}
	w.Auth = a
}

// ValidSigningSecret reports whether s is "whsec_" (optional) and the
// base64 of 24 to 64 bytes.
func ValidSigningSecret(s string) bool {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	return err == nil && len(b) >= 24 && len(b) <= 64
}

// SameWebhookContent reports whether two webhooks differ only in what the
// server sets.
func SameWebhookContent(a, b *Webhook, as, bs *WebhookSecrets) bool {
	x, y := a.Clone(), b.Clone()
	for _, w := range []*Webhook{x, y} {
		w.Sealed, w.UpdatedAt, w.Version, w.FailingSince, w.Cursor = nil, time.Time{}, 0, nil, 0
	}
	return jsonEqual(x, y) && jsonEqual(as, bs)
}

// Delivery is one event's delivery to one webhook: its state and the log
// of its attempts.
type Delivery struct {
	ID           string     `json:"id"`
	WebhookID    string     `json:"webhook_id"`
	EventID      string     `json:"event_id"`
	EventType    string     `json:"event_type"`
	ResourceID   string     `json:"resource_id"`
	Status       string     `json:"status"`
	AttemptCount int        `json:"attempt_count"`
	Attempts     []Attempt  `json:"attempts"`
	NextAttempt  *time.Time `json:"next_attempt_at,omitempty"`
	// RetryingSince starts the retry window: the first attempt, or the
	// last manual retry.
	RetryingSince time.Time `json:"retrying_since"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	// Seq is the event's position in the commit order.
	Seq int64 `json:"-"`
	// Event is the event to deliver (set by ClaimDeliveries).
	Event *Event `json:"-"`
}

// DueAt is when a pending delivery is due: its next attempt, or else when
// it was last changed (made or retried), so that new and retried
// deliveries take their turn after the retries due before them.
func (d *Delivery) DueAt() time.Time {
	if d.NextAttempt == nil {
		return d.UpdatedAt
	}
	return *d.NextAttempt
}

// MaxAttemptLog is how many attempts a delivery keeps in its log (the
// first and the newest).
const MaxAttemptLog = 20

// Attempt is one try at a delivery.
type Attempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty" doc:"The receiver's HTTP status; absent when no answer came."`
	LatencyMS  float64   `json:"latency_ms"`
	Response   string    `json:"response_excerpt,omitempty" doc:"The first 1 KiB of the answer's body."`
	Error      string    `json:"error,omitempty" doc:"Why no answer came (timeout, refused connection, …)."`
	// RefreshToken is the refresh token the webhook's OAuth 2.0 token
	// endpoint rotated to while making the attempt, for the service to
	// store (sealed) in place of the old one; never logged or shown.
	RefreshToken string `json:"-"`
}

// UnmarshalJSON reads an attempt, also as logs written before the
// excerpt was named response_excerpt hold it.
func (a *Attempt) UnmarshalJSON(b []byte) error {
	type plain Attempt
	var x struct {
		plain
		Old string `json:"response"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*a = Attempt(x.plain)
	if a.Response == "" {
		a.Response = x.Old
	}
	return nil
}

// Succeeded reports whether the receiver accepted the delivery.
func (a *Attempt) Succeeded() bool { return a.StatusCode >= 200 && a.StatusCode < 300 }

// Log appends an attempt, keeping the first one and the newest ones.
func (d *Delivery) Log(a Attempt) {
	d.AttemptCount++
	a.Attempt = d.AttemptCount
	d.Attempts = append(d.Attempts, a)
	if len(d.Attempts) > MaxAttemptLog {
		d.Attempts = append(d.Attempts[:1], d.Attempts[len(d.Attempts)-MaxAttemptLog+1:]...)
	}
}

// DeliveryFilter selects a webhook's deliveries, newest event first.
type DeliveryFilter struct {
	WebhookID string
	Status    string
	Before    string // a delivery id: only those of older events
	Limit     int
}

// WebhookView is a webhook as the API shows it: no secrets.
type WebhookView struct {
	ID              string            `json:"id" readOnly:"true"`
	OrganizationID  string            `json:"organization_id"`
	Name            string            `json:"name"`
	URL             string            `json:"url"`
	Method          string            `json:"method" enum:"POST,PUT,PATCH,DELETE"`
	Status          string            `json:"status" enum:"enabled,disabled"`
	EventTypes      []string          `json:"events"`
	Headers         map[string]string `json:"headers,omitempty" doc:"The values are write-only: shown as \"********\"."`
	Auth            *WebhookAuthView  `json:"auth,omitempty" doc:"Its secrets are write-only: shown as \"********\"."`
	Signing         SigningView       `json:"signing"`
	IncludePrevious bool              `json:"include_previous"`
	Projection      map[string]string `json:"projection,omitempty"`
	DisabledReason  string            `json:"disabled_reason,omitempty" readOnly:"true" doc:"Why the server disabled the webhook."`
	FailingSince    *time.Time        `json:"failing_since,omitempty" readOnly:"true" doc:"When the current run of failed deliveries began."`
	CreatedAt       time.Time         `json:"created_at" readOnly:"true"`
	UpdatedAt       time.Time         `json:"updated_at" readOnly:"true"`
	Version         int64             `json:"version" readOnly:"true"`
	// SecretsUnreadable marks a webhook whose stored secrets do not open
	// with the server's secret key: readable and deletable, not usable.
	SecretsUnreadable bool `json:"secrets_unreadable,omitempty" readOnly:"true" doc:"The stored secrets do not open with this server's secret key: nothing is sent, and changes are refused (409); delete the webhook and create it again."`
}

// SigningView is a webhook's signing as the API shows it.
type SigningView struct {
	Enabled bool   `json:"enabled"`
	Secret  string `json:"secret,omitempty" readOnly:"true" doc:"The signing secret (whsec_…), shown once: in the answer that made it (creation, rotation, signing enabled again)."`
}

// WebhookAuthView is a webhook's authentication as the API shows it: each
// secret that is set is WriteOnlyMask.
type WebhookAuthView struct {
	WebhookAuth
	Password     string `json:"password,omitempty" readOnly:"true"`
	ClientSecret string `json:"client_secret,omitempty" readOnly:"true"`
	RefreshToken string `json:"refresh_token,omitempty" readOnly:"true"`
}

// View returns the webhook's API form; sec, its secrets, tells which
// secrets are set, each shown as WriteOnlyMask.
func (w *Webhook) View(sec *WebhookSecrets) WebhookView {
	if sec == nil {
		sec = &WebhookSecrets{}
	}
	c := w.Clone()
	for name := range c.Headers {
		c.Headers[name] = WriteOnlyMask
	}
	var auth *WebhookAuthView
	if c.Auth != nil {
		mask := func(s string) string {
			if s == "" {
				return ""
			}
			return WriteOnlyMask
		}
		auth = &WebhookAuthView{WebhookAuth: *c.Auth, Password: mask(sec.Password), ClientSecret: mask(sec.ClientSecret), RefreshToken: mask(sec.RefreshToken)}
	}
	return WebhookView{ID: c.ID, OrganizationID: c.OrganizationID, Name: c.Name, URL: c.URL, Method: c.Method, Status: c.Status,
		EventTypes: c.EventTypes, Headers: c.Headers, Auth: auth, Signing: SigningView{Enabled: !c.SigningDisabled},
		IncludePrevious: c.IncludePrevious, Projection: c.Projection,
		DisabledReason: c.DisabledReason, FailingSince: c.FailingSince, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version}
}
