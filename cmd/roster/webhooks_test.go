// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
)

// receiver is a real HTTP receiver on loopback that records what arrives.
// fail makes it answer 500 to that many requests first; while down is
// set it answers 503, and it answers 503 to the bodies refuse picks.
// got holds the requests it accepted (2xx), tries every request.
type receiver struct {
	t      *testing.T
	URL    string
	mu     sync.Mutex
	got    []arrival
	tries  []arrival
	fail   atomic.Int64
	down   atomic.Bool
	refuse atomic.Pointer[func(body []byte) bool]
	// check, when set, vets each request; a non-empty answer is an error
	// the receiver reports with 400.
	check func(r *http.Request, body []byte) string
}

type arrival struct {
	Method string
	Header http.Header
	Body   []byte
	At     time.Time
	Status int // the receiver's answer
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a := arrival{Method: r.Method, Header: r.Header.Clone(), Body: body, At: time.Now(), Status: http.StatusServiceUnavailable}
		refuse := rc.refuse.Load()
		if rc.down.Load() || refuse != nil && (*refuse)(body) {
			rc.mu.Lock()
			rc.tries = append(rc.tries, a)
			rc.mu.Unlock()
			http.Error(w, "unavailable", a.Status)
			return
		}
		if rc.fail.Add(-1) >= 0 {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		if rc.check != nil {
			if msg := rc.check(r, body); msg != "" {
				t.Errorf("receiver: %s", msg)
				http.Error(w, msg, http.StatusBadRequest)
				return
			}
		}
		a.Status = http.StatusOK
		rc.mu.Lock()
		rc.got = append(rc.got, a)
		rc.tries = append(rc.tries, a)
		rc.mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL + "/hook"
	return rc
}

// attempts returns every request that came so far, refused or not.
func (rc *receiver) attempts() []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]arrival(nil), rc.tries...)
}

// arrivals returns what arrived so far.
func (rc *receiver) arrivals() []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]arrival(nil), rc.got...)
}

// wait waits until n messages have arrived and returns them.
func (rc *receiver) wait(n int) []arrival {
	rc.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := rc.arrivals()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			rc.t.Fatalf("receiver: %d of %d messages arrived", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// message is a delivered body.
type message struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      struct {
		UserID string `json:"user_id"`
		KeyID  string `json:"key_id"`
	} `json:"actor"`
	RequestID string `json:"request_id"`
	Resource  struct{ ID string }
	Data      json.RawMessage `json:"data"`
	Previous  json.RawMessage `json:"previous"`
	Patch     json.RawMessage `json:"patch"`
}

func (a arrival) message(t *testing.T) message {
	t.Helper()
	var m message
	if err := json.Unmarshal(a.Body, &m); err != nil {
		t.Fatalf("delivered body is not JSON: %v: %s", err, a.Body)
	}
	return m
}

// verifySignature checks a Standard Webhooks signature with an
// independent implementation (webhook/webhook_test.go checks it against
// the spec's vectors): one of the header's signatures must be
// base64(HMAC-SHA256(secret, id "." timestamp "." body)).
func verifySignature(secret string, h http.Header, body []byte) string {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return "missing webhook-id, webhook-timestamp or webhook-signature"
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "bad secret"
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return ""
		}
	}
	return "no valid signature in " + sigs
}

func (s *testServer) createWebhook(body map[string]any) map[string]any {
	s.t.Helper()
	res := s.do("POST", "/v1/webhooks", body).want(201)
	return res.obj()
}

// TestWebhookDelivery follows changes to a signed, authenticated receiver:
// method, custom headers, basic auth, the payloads in order, the delivery
// log, and secrets that are write-only and not stored in clear.
func TestWebhookDelivery(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	var secret atomic.Value
	rc.check = func(r *http.Request, body []byte) string {
		if u, p, ok := r.BasicAuth(); !ok || u != "roster" || p != "basic-pass-Zq81" {
			return "wrong basic auth"
		}
		if r.Header.Get("X-Tenant") != "acme-tenant-token-93" || r.Method != "PUT" || r.Header.Get("Content-Type") != "application/json" {
			return fmt.Sprintf("wrong method or headers: %s %v", r.Method, r.Header)
		}
		sec, _ := secret.Load().(string)
		return verifySignature(sec, r.Header, body)
	}
	hook := s.createWebhook(map[string]any{"url": rc.URL, "name": "crm", "method": "PUT", "events": []string{"user.*"},
		"headers": map[string]string{"X-Tenant": "acme-tenant-token-93"}, "auth": map[string]any{"type": "basic", "username": "roster", "password": "basic-pass-Zq81"}})
	signing, _ := hook["signing"].(map[string]any)
	whsec, _ := signing["secret"].(string)
	secret.Store(whsec)
	id := hook["id"].(string)
	if !strings.HasPrefix(whsec, "whsec_") || signing["enabled"] != true {
		t.Fatalf("creation answer lacks the signing secret: %v", hook)
	}
	if _, ok := hook["secret"]; ok {
		t.Fatalf("the creation answer has a top-level secret: %v", hook)
	}
	// Every read shows the write-only values masked: the creation answer,
	// GET, the list.
	wantMasked := func(what string, h map[string]any) {
		t.Helper()
		auth, _ := h["auth"].(map[string]any)
		headers, _ := h["headers"].(map[string]any)
		if auth["password"] != "********" || auth["username"] != "roster" || headers["X-Tenant"] != "********" {
			t.Errorf("%s: auth %v, headers %v; want the password and the header value as ********", what, auth, headers)
		}
		if b := string(mustJSON(h)); strings.Contains(b, "basic-pass-Zq81") || strings.Contains(b, "acme-tenant-token-93") {
			t.Errorf("%s shows a secret: %s", what, b)
		}
	}
	wantMasked("the creation answer", hook)
	got := s.do("GET", "/v1/webhooks/"+id, nil).want(200)
	if b := string(got.Body); strings.Contains(b, "whsec_") || !strings.Contains(b, `"signing":{"enabled":true}`) {
		t.Fatalf("GET shows a signing secret (or no signing): %s", b)
	}
	wantMasked("GET", got.obj())
	x := s.do("GET", "/v1/webhooks/"+id, nil, "Accept", "application/xml").want(200)
	if b := string(x.Body); !strings.Contains(b, "<webhook>") || !strings.Contains(b, "<events><item>user.*</item></events>") ||
		!strings.Contains(b, "<signing><enabled>true</enabled></signing>") || !strings.Contains(b, "<X-Tenant>********</X-Tenant>") {
		t.Errorf("the webhook as XML: %s", b)
	}
	var hooks struct{ Items []map[string]any }
	json.Unmarshal(s.do("GET", "/v1/webhooks", nil).want(200).Body, &hooks)
	if len(hooks.Items) != 1 || strings.Contains(string(mustJSON(hooks)), "whsec_") {
		t.Fatalf("list: %v", hooks)
	}
	wantMasked("the list", hooks.Items[0])
	u := s.do("POST", "/v1/users", map[string]any{"email": "hooked@example.com", "first_name": "Hook"}).want(201).obj()
	uid := u["id"].(string)
	s.do("PATCH", "/v1/users/"+uid, map[string]any{"last_name": "Ed"}, "Content-Type", "application/merge-patch+json").want(200)
	s.do("PATCH", "/v1/orgs/"+u["organization_id"].(string), map[string]any{"name": "Not a user event"}, "Content-Type", "application/merge-patch+json").want(200)
	arrived := rc.wait(2)
	m0, m1 := arrived[0].message(t), arrived[1].message(t)
	if m0.Type != "user.created" || m1.Type != "user.updated" || m0.Resource.ID != uid || m1.Resource.ID != uid {
		t.Fatalf("arrived %s %s, want user.created then user.updated of %s", m0.Type, m1.Type, uid)
	}
	if !strings.Contains(string(m1.Data), `"last_name":"Ed"`) || !strings.Contains(string(m1.Patch), `"/last_name"`) || m1.Previous != nil {
		t.Errorf("user.updated payload: %s", arrived[1].Body)
	}
	if m1.OccurredAt.IsZero() || m1.Actor.UserID == "" || m1.Actor.KeyID == "" || m1.RequestID == "" || strings.Contains(string(arrived[1].Body), `"timestamp"`) {
		t.Errorf("user.updated payload lacks the event's fields (occurred_at, actor, request_id): %s", arrived[1].Body)
	}
	if arrived[1].Header.Get("webhook-id") != m1.ID {
		t.Errorf("webhook-id %q, want the event id %s", arrived[1].Header.Get("webhook-id"), m1.ID)
	}
	// The event id is the one of the feed.
	feed := s.do("GET", "/v1/events?type=user.updated", nil).want(200)
	if !strings.Contains(string(feed.Body), m1.ID) {
		t.Errorf("the delivered event %s is not in the feed", m1.ID)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(rc.arrivals()); n != 2 {
		t.Errorf("%d messages arrived, want 2 (org events are not subscribed)", n)
	}
	// The delivery log: each item a delivery, with its newest attempt's
	// outcome at its top (PRODUCT §8) and its attempts.
	var log struct {
		Items []struct {
			ID, Status      string
			EventID         string    `json:"event_id"`
			Attempt         int       `json:"attempt"`
			StatusCode      int       `json:"status_code"`
			LatencyMS       *float64  `json:"latency_ms"`
			ResponseExcerpt string    `json:"response_excerpt"`
			CreatedAt       time.Time `json:"created_at"`
			Attempts        []struct {
				StatusCode int     `json:"status_code"`
				LatencyMS  float64 `json:"latency_ms"`
				Response   string  `json:"response_excerpt"`
			}
		}
	}
	var raw struct{ Items []map[string]any }
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := s.do("GET", "/v1/webhooks/"+id+"/deliveries", nil).want(200).Body
		json.Unmarshal(body, &log)
		json.Unmarshal(body, &raw)
		if len(log.Items) == 2 && log.Items[0].Status == "succeeded" && log.Items[1].Status == "succeeded" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(log.Items) != 2 || log.Items[0].EventID != m1.ID || log.Items[0].Status != "succeeded" || len(log.Items[0].Attempts) != 1 ||
		log.Items[0].Attempts[0].StatusCode != 200 || log.Items[0].Attempts[0].Response != `{"ok":true}` ||
		log.Items[0].Attempt != 1 || log.Items[0].StatusCode != 200 || log.Items[0].ResponseExcerpt != `{"ok":true}` ||
		log.Items[0].LatencyMS == nil || log.Items[0].CreatedAt.IsZero() {
		t.Fatalf("delivery log: %+v", log)
	}
	for _, k := range []string{"id", "event_id", "attempt", "status_code", "latency_ms", "response_excerpt", "error", "created_at", "next_attempt_at"} {
		if _, ok := raw.Items[0][k]; !ok {
			t.Errorf("a delivery log entry lacks %s: %v", k, raw.Items[0])
		}
	}
	// The same log as XML.
	x = s.do("GET", "/v1/webhooks/"+id+"/deliveries", nil, "Accept", "application/xml").want(200)
	if b := string(x.Body); !strings.Contains(b, "<list><items><item>") || !strings.Contains(b, "<response_excerpt>") || !strings.Contains(b, "<attempt>1</attempt>") {
		t.Errorf("the delivery log as XML: %s", b)
	}
	// A PUT that echoes the masks keeps the stored values: the receiver
	// still gets the real header value and password.
	put := got.obj()
	for _, k := range []string{"id", "created_at", "updated_at", "version", "_links", "organization_id"} {
		delete(put, k)
	}
	put["name"] = "crm-2"
	pa := s.do("PUT", "/v1/webhooks/"+id, put).want(200).obj()
	wantMasked("the PUT answer", pa)
	if sg, _ := pa["signing"].(map[string]any); sg["secret"] != nil {
		t.Errorf("the PUT answer shows the signing secret: %v", pa)
	}
	wantMasked("the PATCH answer", s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"name": "crm-3"}, "Content-Type", "application/merge-patch+json").want(200).obj())
	s.do("PATCH", "/v1/users/"+uid, map[string]any{"last_name": "Again"}, "Content-Type", "application/merge-patch+json").want(200)
	if a := rc.wait(3)[2]; a.Header.Get("X-Tenant") != "acme-tenant-token-93" {
		t.Errorf("after the echoed mask, X-Tenant %q", a.Header.Get("X-Tenant"))
	}
	// The webhook's events in the feed hold no header value nor secret.
	if b := string(s.do("GET", "/v1/events?type=webhook.updated", nil).want(200).Body); !strings.Contains(b, id) || strings.Contains(b, "acme-tenant-token-93") ||
		strings.Contains(b, "basic-pass-Zq81") || strings.Contains(b, "whsec_") {
		t.Errorf("the webhook's events: %s", b)
	}
	// Secrets are encrypted at rest: the database file holds neither.
	if !onPostgres() {
		for _, name := range []string{"roster.db", "roster.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(s.Main.Config.DataDir, name))
			if bytes.Contains(b, []byte("basic-pass-Zq81")) || bytes.Contains(b, []byte(whsec)) || bytes.Contains(b, []byte("acme-tenant-token-93")) {
				t.Errorf("%s holds a webhook secret in clear", name)
			}
		}
	}
	if l := s.logs.String(); strings.Contains(l, "basic-pass-Zq81") || strings.Contains(l, "acme-tenant-token-93") {
		t.Error("the log holds a webhook secret")
	}
}

// TestWebhookRetriesInOrder: a receiver that fails for a while and then
// recovers gets every event, and each resource's events in order.
func TestWebhookRetriesInOrder(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	rc.fail.Store(6)
	s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.updated"}})
	var ids []string
	for i := range 3 {
		ids = append(ids, s.do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("order%d@example.com", i), "first_name": "O"}).want(201).str("id"))
	}
	const rounds = 5
	for r := range rounds {
		for _, id := range ids {
			s.do("PATCH", "/v1/users/"+id, map[string]any{"last_name": fmt.Sprint(r)}, "Content-Type", "application/merge-patch+json").want(200)
		}
	}
	arrived := rc.wait(rounds * len(ids))
	last := map[string]int{}
	for _, a := range arrived {
		m := a.message(t)
		var d struct{ Version int }
		json.Unmarshal(m.Data, &d)
		if d.Version <= last[m.Resource.ID] {
			t.Fatalf("user %s: version %d arrived after version %d", m.Resource.ID, d.Version, last[m.Resource.ID])
		}
		last[m.Resource.ID] = d.Version
	}
	if len(arrived) != rounds*len(ids) {
		t.Errorf("%d messages, want %d", len(arrived), rounds*len(ids))
	}
}

// TestWebhookOAuth2 authenticates with tokens from a real local OAuth 2.0
// token endpoint, cached until they expire, in both grants.
func TestWebhookOAuth2(t *testing.T) {
	var issued atomic.Int64
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, _ := r.BasicAuth()
		if id == "" {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		grant := r.PostForm.Get("grant_type")
		ok := id == "roster-client" && (grant == "client_credentials" && secret == "cc-secret-77" || grant == "refresh_token" && r.PostForm.Get("refresh_token") == "rt-55")
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		n := issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%s-%d","token_type":"Bearer","expires_in":3600}`, grant, n)
	}))
	defer tokens.Close()
	for _, grant := range []string{"client_credentials", "refresh_token"} {
		t.Run(grant, func(t *testing.T) {
			s := startServer(t)
			rc := newReceiver(t)
			rc.check = func(r *http.Request, _ []byte) string {
				if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-"+grant+"-") {
					return "Authorization " + r.Header.Get("Authorization")
				}
				return ""
			}
			auth := map[string]any{"type": "oauth2", "grant_type": grant, "token_url": tokens.URL + "/token", "client_id": "roster-client", "scope": "events"}
			if grant == "client_credentials" {
				auth["client_secret"] = "cc-secret-77"
			} else {
				auth["refresh_token"] = "rt-55"
			}
			hook := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"}, "auth": auth})
			if strings.Contains(fmt.Sprint(hook), "cc-secret-77") || strings.Contains(fmt.Sprint(hook), "rt-55") {
				t.Fatalf("the answer shows an OAuth secret: %v", hook)
			}
			field := map[string]string{"client_credentials": "client_secret", "refresh_token": "refresh_token"}[grant]
			for what, h := range map[string]map[string]any{"the creation answer": hook, "GET": s.do("GET", "/v1/webhooks/"+hook["id"].(string), nil).want(200).obj()} {
				if a, _ := h["auth"].(map[string]any); a[field] != "********" || a["client_id"] != "roster-client" {
					t.Errorf("%s shows auth %v, want %s as ********", what, h["auth"], field)
				}
			}
			before := issued.Load()
			for i := range 3 {
				s.do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("oauth-%s-%d@example.com", grant, i), "first_name": "O"}).want(201)
			}
			rc.wait(3)
			if n := issued.Load() - before; n != 1 {
				t.Errorf("%d tokens issued for 3 deliveries, want 1 (cached until expiry)", n)
			}
		})
	}
}

// TestWebhookRefusesPrivateDestinations: without --allow-private-webhooks,
// loopback, private, link-local and metadata addresses are refused.
func TestWebhookRefusesPrivateDestinations(t *testing.T) {
	s := startServer(t, func(c *Config) { c.AllowPrivateWebhooks = false })
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://192.168.1.10/"} {
		p := s.do("POST", "/v1/webhooks", map[string]any{"url": u, "events": []string{"*"}}).problem(422)
		if !strings.Contains(string(mustJSON(p)), "body.url") || !strings.Contains(string(mustJSON(p)), "--allow-private-webhooks") {
			t.Errorf("%s: %v", u, p)
		}
	}
	p := s.do("POST", "/v1/webhooks", map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"*"},
		"auth": map[string]any{"type": "oauth2", "grant_type": "client_credentials", "token_url": "http://127.0.0.1/token", "client_id": "c", "client_secret": "s"}}).problem(422)
	if !strings.Contains(string(mustJSON(p)), "body.auth.token_url") {
		t.Errorf("private token_url: %v", p)
	}
	s.do("GET", "/v1/webhooks", nil).want(200)
}

// TestWebhookBadInput: every malformed webhook gets a 422 naming the
// field, and nothing is created.
func TestWebhookBadInput(t *testing.T) {
	s := startServer(t)
	ok := map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"user.*"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{with("url", nil), "body.url"},
		{with("url", "ftp://example.com/x"), "body.url"},
		{with("url", "https://user:pw@example.com/"), "body.url"},
		{with("events", []string{}), "body.events"},
		{with("events", []string{"User Updated"}), "body.events[0]"},
		{with("headers", map[string]string{"X-A": "********"}), "body.headers.X-A"},
		{with("method", "GET"), "body.method"},
		{with("status", "paused"), "body.status"},
		{with("headers", map[string]string{"Authorization": "x"}), "body.headers.Authorization"},
		{with("headers", map[string]string{"Bad Name": "x"}), "body.headers.Bad Name"},
		{with("headers", map[string]string{"X-A": "a\r\nX-B: b"}), "body.headers.X-A"},
		{with("auth", map[string]any{"type": "basic"}), "body.auth.username"},
		{with("auth", map[string]any{"type": "digest"}), "body.auth.type"},
		{with("auth", map[string]any{"type": "oauth2", "grant_type": "password", "token_url": "https://93.184.215.14/t", "client_id": "c"}), "body.auth.grant_type"},
		{with("projection", map[string]string{"x": "$..[?"}), "body.projection.x"},
		{with("signing", map[string]any{"secret": "whsec_c2hvcnQ="}), "body.signing.secret"},
		{with("signing", map[string]any{"enabled": false, "secret": roster32()}), "body.signing.secret"},
		{with("organization_id", "nope"), "body.organization_id"},
		{with("id", "whk_01JD3M0000000000000000000A"), "body.id"},
	} {
		p := s.do("POST", "/v1/webhooks", c.body).problem(422)
		if !strings.Contains(string(mustJSON(p["errors"])), `"location":"`+c.field+`"`) {
			t.Errorf("%v: errors %v, want one at %s", c.body, p["errors"], c.field)
		}
		if strings.Contains(string(mustJSON(p)), "whsec_c2hvcnQ=") {
			t.Errorf("the answer echoes a secret: %v", p)
		}
	}
	s.do("POST", "/v1/webhooks", `{"url": "https://93.184.215.14/", "events": ["*"], "colour": "red"}`).problem(422)
	s.do("POST", "/v1/webhooks", `{"url": "https://93.184.215.14/", "event_types": ["*"]}`).problem(422) // no alias for the old name
	s.do("POST", "/v1/webhooks", `{"url": "https://93.184.215.14/", "events": ["*"], "secret": "`+roster32()+`"}`).problem(422)
	s.do("POST", "/v1/webhooks", `{"url": `).problem(400)
	var list struct{ Items []any }
	json.Unmarshal(s.do("GET", "/v1/webhooks", nil).want(200).Body, &list)
	if len(list.Items) != 0 {
		t.Fatalf("bad requests created webhooks: %v", list.Items)
	}
	// Updates: the secret cannot be set by PUT/PATCH, read-only fields not changed.
	hook := s.createWebhook(ok)
	id := hook["id"].(string)
	p := s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"signing": map[string]any{"secret": roster32()}}, "Content-Type", "application/merge-patch+json").problem(422)
	if !strings.Contains(string(mustJSON(p)), "rotate-secret") {
		t.Errorf("a new signing.secret by PATCH: %v, want a pointer to rotate-secret", p)
	}
	s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"signing": map[string]any{"secret": "********"}}, "Content-Type", "application/merge-patch+json").want(200)
	s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"version": 7}, "Content-Type", "application/merge-patch+json").problem(422)
	s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"name": "x"}, "Content-Type", "application/merge-patch+json", "If-Match", `"9"`).problem(412)
	s.do("GET", "/v1/webhooks/"+id, nil).want(200)
	s.do("GET", "/v1/webhooks/whk_01JD3M0000000000000000000A", nil).problem(404)
	s.do("GET", "/v1/webhooks/not-an-id", nil).problem(404)
	s.do("GET", "/v1/webhooks/"+id+"/deliveries?status=lost", nil).problem(400)
	s.do("GET", "/v1/webhooks/"+id+"/deliveries?cursor=zzz", nil).problem(400)
}

// signingSecret is the signing.secret of a webhook answer, "" when absent.
func signingSecret(hook map[string]any) string {
	sg, _ := hook["signing"].(map[string]any)
	s, _ := sg["secret"].(string)
	return s
}

func roster32() string {
	return "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
}

// TestWebhookRotateTestRetry: rotation signs with both secrets for a
// while; the test call reports the receiver's answer; a finished delivery
// can be sent again.
func TestWebhookRotateTestRetry(t *testing.T) {
	s := startServer(t)
	rc := newReceiver(t)
	hook := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"}, "include_previous": true,
		"projection": map[string]string{"user_id": "$.id", "email": "$.email", "lang": "$.preferences.language"}})
	id, old := hook["id"].(string), signingSecret(hook)
	rot := s.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil).want(200).obj()
	fresh := signingSecret(rot)
	if fresh == "" || fresh == old || !strings.HasPrefix(old, "whsec_") {
		t.Fatalf("rotate-secret: %v", rot)
	}
	if strings.Contains(string(s.do("GET", "/v1/webhooks/"+id, nil).want(200).Body), "whsec_") {
		t.Fatal("GET shows a secret after rotation")
	}
	uid := s.do("POST", "/v1/users", map[string]any{"email": "rotated@example.com", "first_name": "R"}).want(201).str("id")
	a := rc.wait(1)[0]
	for _, sec := range []string{old, fresh} {
		if msg := verifySignature(sec, a.Header, a.Body); msg != "" {
			t.Errorf("signature by the %s secret: %s", map[bool]string{true: "old", false: "new"}[sec == old], msg)
		}
	}
	// The projection replaces data only: the envelope stays.
	m := a.message(t)
	if want := `{"email":"rotated@example.com","lang":null,"user_id":"` + uid + `"}`; string(m.Data) != want || m.Type != "user.created" ||
		m.ID == "" || m.OccurredAt.IsZero() || m.Resource.ID != uid || m.Patch == nil {
		t.Errorf("projected body %s, want data %s in the whole event", a.Body, want)
	}
	res := s.do("POST", "/v1/webhooks/"+id+"/test", nil).want(200).obj()
	if res["succeeded"] != true || res["status_code"] != float64(200) {
		t.Errorf("test: %v", res)
	}
	if got := rc.wait(2)[1]; !strings.Contains(string(got.Body), "webhook.test") {
		t.Errorf("test message: %s", got.Body)
	}
	var log struct{ Items []struct{ ID, Status string } }
	for deadline := time.Now().Add(5 * time.Second); ; {
		json.Unmarshal(s.do("GET", "/v1/webhooks/"+id+"/deliveries", nil).want(200).Body, &log)
		if len(log.Items) == 1 && log.Items[0].Status == "succeeded" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(log.Items) != 1 {
		t.Fatalf("deliveries: %+v", log)
	}
	s.do("POST", "/v1/webhooks/"+id+"/deliveries/"+log.Items[0].ID+"/retry", nil).want(202)
	if again := rc.wait(3)[2]; !bytes.Equal(again.Body, a.Body) {
		t.Errorf("redelivery %s, want %s", again.Body, a.Body)
	}
	s.do("POST", "/v1/webhooks/"+id+"/deliveries/dlv_01JD3M0000000000000000000A/retry", nil).problem(404)
	s.do("DELETE", "/v1/webhooks/"+id, nil).want(204)
	s.do("GET", "/v1/webhooks/"+id+"/deliveries", nil).problem(404)
}

// TestWebhookDisabledAfterContinuousFailure: a webhook whose deliveries
// all fail for --webhook-disable-after is disabled, and that is an event.
func TestWebhookDisabledAfterContinuousFailure(t *testing.T) {
	s := startServer(t, func(c *Config) {
		c.Webhooks.DisableAfter = 300 * time.Millisecond
		c.Webhooks.RetryMax = 100 * time.Millisecond
	})
	rc := newReceiver(t)
	rc.fail.Store(1 << 40)
	id := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.*"}})["id"].(string)
	s.do("POST", "/v1/users", map[string]any{"email": "failing@example.com", "first_name": "F"}).want(201)
	var hook map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		hook = s.do("GET", "/v1/webhooks/"+id, nil).want(200).obj()
		if hook["status"] == "disabled" || time.Now().After(deadline) {
			break
		}
	}
	if hook["status"] != "disabled" || !strings.Contains(fmt.Sprint(hook["disabled_reason"]), "failed") || hook["failing_since"] == nil {
		t.Fatalf("webhook after continuous failure: %v", hook)
	}
	if !strings.Contains(string(s.do("GET", "/v1/events?type=webhook.disabled", nil).want(200).Body), id) {
		t.Error("no webhook.disabled event")
	}
	// Enabled again, the receiver back: the pending delivery arrives.
	rc.fail.Store(0)
	s.do("PATCH", "/v1/webhooks/"+id, map[string]any{"status": "enabled"}, "Content-Type", "application/merge-patch+json").want(200)
	if m := rc.wait(1)[0].message(t); m.Type != "user.created" {
		t.Errorf("after re-enabling: %s", m.Type)
	}
	if h := s.do("GET", "/v1/webhooks/"+id, nil).want(200).obj(); h["disabled_reason"] != nil {
		t.Errorf("re-enabled webhook keeps its reason: %v", h)
	}
}

// TestWebhookSubtree: a webhook of an organisation gets its subtree's
// events only, a deleted organisation's included (by its parent).
func TestWebhookSubtree(t *testing.T) {
	s := startServer(t)
	a := s.do("POST", "/v1/orgs", map[string]any{"name": "A"}).want(201).str("id")
	a1 := s.do("POST", "/v1/orgs", map[string]any{"name": "A1", "parent_id": a}).want(201).str("id")
	a2 := s.do("POST", "/v1/orgs", map[string]any{"name": "A2", "parent_id": a1}).want(201).str("id")
	b := s.do("POST", "/v1/orgs", map[string]any{"name": "B"}).want(201).str("id")
	b1 := s.do("POST", "/v1/orgs", map[string]any{"name": "B1", "parent_id": b}).want(201).str("id")
	rc := newReceiver(t)
	s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created", "org.deleted"}, "organization_id": a})
	s.do("POST", "/v1/users", map[string]any{"email": "b@example.com", "first_name": "B", "organization_id": b}).want(201)
	in := s.do("POST", "/v1/users", map[string]any{"email": "a1@example.com", "first_name": "A", "organization_id": a1}).want(201).str("id")
	s.do("DELETE", "/v1/orgs/"+b1, nil).want(204)
	s.do("DELETE", "/v1/orgs/"+a2, nil).want(204)
	got := rc.wait(2)
	time.Sleep(200 * time.Millisecond)
	var ids []string
	for _, m := range rc.arrivals() {
		ids = append(ids, m.message(t).Resource.ID)
	}
	want := []string{in, a2}
	slices.Sort(ids)
	slices.Sort(want)
	if len(got) != 2 || !slices.Equal(ids, want) {
		t.Fatalf("arrived %v; want only the user and the deleted organisation of A's subtree, %v", ids, want)
	}
}

// TestMembershipEventsBelongToTheirOrganisation: a membership's events
// are filed under the membership's organisation: a webhook for that
// organisation's subtree gets them in order, one for the user's home
// organisation (elsewhere in the tree) does not, and the feed says so.
func TestMembershipEventsBelongToTheirOrganisation(t *testing.T) {
	s := startServer(t)
	home := s.do("POST", "/v1/orgs", map[string]any{"name": "Home"}).want(201).str("id")
	x := s.do("POST", "/v1/orgs", map[string]any{"name": "X"}).want(201).str("id")
	x1 := s.do("POST", "/v1/orgs", map[string]any{"name": "X1", "parent_id": x}).want(201).str("id")
	uid := s.do("POST", "/v1/users", map[string]any{"email": "member@example.com", "first_name": "M", "organization_id": home}).want(201).str("id")
	inX, inHome := newReceiver(t), newReceiver(t)
	s.createWebhook(map[string]any{"url": inX.URL, "events": []string{"membership.*"}, "organization_id": x})
	s.createWebhook(map[string]any{"url": inHome.URL, "events": []string{"membership.*"}, "organization_id": home})

	s.do("PUT", "/v1/orgs/"+x1+"/members/"+uid, map[string]any{"roles": []string{"member"}}).want(200)
	s.do("PUT", "/v1/orgs/"+x1+"/members/"+uid, map[string]any{"roles": []string{"manager"}}).want(200)
	s.do("DELETE", "/v1/orgs/"+x1+"/members/"+uid, nil).want(204)

	got := inX.wait(3)
	time.Sleep(200 * time.Millisecond)
	var types []string
	for _, a := range got {
		var m struct {
			Type           string `json:"type"`
			OrganizationID string `json:"organization_id"`
			Resource       struct{ ID string }
		}
		if err := json.Unmarshal(a.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m.OrganizationID != x1 || m.Resource.ID != uid {
			t.Errorf("%s filed under %s for %s, want %s for %s", m.Type, m.OrganizationID, m.Resource.ID, x1, uid)
		}
		types = append(types, m.Type)
	}
	if want := []string{"membership.created", "membership.updated", "membership.deleted"}; !slices.Equal(types, want) {
		t.Errorf("the membership organisation's subtree got %v, want %v", types, want)
	}
	if n := len(inHome.arrivals()); n != 0 {
		t.Errorf("the home organisation's webhook got %d membership events of another subtree", n)
	}
	var feed struct {
		Items []struct {
			Type           string `json:"type"`
			OrganizationID string `json:"organization_id"`
		} `json:"items"`
	}
	json.Unmarshal(s.do("GET", "/v1/events?type=membership.*", nil).want(200).Body, &feed)
	if len(feed.Items) != 3 {
		t.Fatalf("feed: %+v", feed.Items)
	}
	for _, e := range feed.Items {
		if e.OrganizationID != x1 {
			t.Errorf("feed: %s under %s, want %s", e.Type, e.OrganizationID, x1)
		}
	}
}

// TestWebhookSlowReceiver: a receiver that never answers in time is cut
// off at --webhook-timeout and retried, while the API and another
// webhook's receiver go on at full speed.
func TestWebhookSlowReceiver(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Webhooks.Timeout = 300 * time.Millisecond })
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	fast := newReceiver(t)
	slowID := s.createWebhook(map[string]any{"url": slow.URL, "events": []string{"user.*"}})["id"].(string)
	s.createWebhook(map[string]any{"url": fast.URL, "events": []string{"user.*"}})
	start := time.Now()
	for i := range 20 {
		s.do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("slow%d@example.com", i), "first_name": "S"}).want(201)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("20 creations took %s with a hanging receiver", d)
	}
	fast.wait(20)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the healthy receiver got its 20 messages after %s", d)
	}
	var log struct {
		Items []struct {
			Status   string
			Attempts []struct{ Error string }
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		json.Unmarshal(s.do("GET", "/v1/webhooks/"+slowID+"/deliveries", nil).want(200).Body, &log)
		if len(log.Items) > 0 && len(log.Items[len(log.Items)-1].Attempts) > 0 || time.Now().After(deadline) {
			break
		}
	}
	oldest := log.Items[len(log.Items)-1]
	if oldest.Status != "pending" || len(oldest.Attempts) == 0 || !strings.Contains(oldest.Attempts[0].Error, "timed out") {
		t.Fatalf("the hanging receiver's delivery: %+v", oldest)
	}
}

// TestWebhookEventsOnlyForAdmins: a webhook's URL can be a secret (a
// chat's incoming-webhook URL), so the event feed shows webhook.* events
// only to those who administer the webhook, as GET /v1/webhooks does.
func TestWebhookEventsOnlyForAdmins(t *testing.T) {
	s := startServer(t)
	rcv := newReceiver(t)
	id := s.createWebhook(map[string]any{"url": rcv.URL + "/T000/B000/secret-path", "events": []string{"user.*"}})["id"].(string)
	feed := func(key string) (webhook, user int) {
		t.Helper()
		var page struct{ Items []feedEvent }
		json.Unmarshal(s.doAs(key, "GET", "/v1/events?limit=200", nil).want(200).Body, &page)
		for _, e := range page.Items {
			switch {
			case e.Resource.Type == "webhook":
				webhook++
				if e.Resource.ID != id {
					t.Errorf("unexpected webhook event %+v", e)
				}
			case e.Resource.Type == "user":
				user++
			}
		}
		return webhook, user
	}
	keyOf := func(user map[string]any) string {
		return s.do("POST", "/v1/api-keys", map[string]any{"name": "k", "user_id": user["id"]}).want(201).str("key")
	}
	member := keyOf(s.createUser(map[string]any{"email": "member@example.com"}))
	admin := keyOf(s.createUser(map[string]any{"email": "admin@example.com", "roles": []string{"admin"}}))
	if w, u := feed(member); w != 0 || u == 0 {
		t.Errorf("a member's feed: %d webhook events (want none), %d user events (want some)", w, u)
	}
	if w, _ := feed(admin); w != 1 {
		t.Errorf("an admin's feed: %d webhook events, want the webhook.created", w)
	}
	if w, _ := feed(testKey); w != 1 {
		t.Errorf("the owner's feed: %d webhook events, want the webhook.created", w)
	}
}

// TestWebhookKeepsRotatedRefreshToken: a token endpoint that rotates its
// refresh tokens (each works once, RFC 9700 §4.14.2) keeps working across
// a restart: the rotated token is stored, sealed, not kept in memory
// only; the change is a webhook.updated with its reason and no secret.
func TestWebhookKeepsRotatedRefreshToken(t *testing.T) {
	var mu sync.Mutex
	valid, n := "rt-0", 0
	var used []string
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		defer mu.Unlock()
		got := r.PostForm.Get("refresh_token")
		used = append(used, got)
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "refresh_token" || got != valid {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		n++
		valid = fmt.Sprintf("rt-%d", n)
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600,"refresh_token":%q}`, n, valid)
	}))
	defer tokens.Close()
	dir, dbURL := t.TempDir(), ""
	if onPostgres() {
		dbURL = pgtest.URL(t)
	}
	same := func(c *Config) {
		c.DataDir, c.DatabaseURL, c.SecretKey = dir, dbURL, "refresh-rotation-key-0123456789abcdef"
	}
	rc := newReceiver(t)
	rc.check = func(r *http.Request, _ []byte) string {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			return "Authorization " + r.Header.Get("Authorization")
		}
		return ""
	}
	m, logs := newTestMain(t, same)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, URL: "http://" + m.Addr(), Key: testKey, Main: m, logs: logs}
	hook := s.createWebhook(map[string]any{"url": rc.URL, "events": []string{"user.created"},
		"auth": map[string]any{"type": "oauth2", "grant_type": "refresh_token", "token_url": tokens.URL + "/token", "client_id": "roster-client", "refresh_token": "rt-0"}})
	id := hook["id"].(string)
	s.createUser(map[string]any{"email": "first@example.com"})
	rc.wait(1)
	// The rotation is stored as a change of the webhook.
	deadline := time.Now().Add(5 * time.Second)
	for s.do("GET", "/v1/webhooks/"+id, nil).want(200).obj()["version"] == hook["version"] {
		if time.Now().After(deadline) {
			t.Fatal("the rotated refresh token was not stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	feed := string(s.do("GET", "/v1/events?type=webhook.updated", nil).want(200).Body)
	if !strings.Contains(feed, "rotated the refresh token") || strings.Contains(feed, "rt-1") {
		t.Errorf("webhook.updated for the rotation: %s", feed)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	s = startServer(t, same)
	s.createUser(map[string]any{"email": "second@example.com"})
	rc.wait(2)
	mu.Lock()
	defer mu.Unlock()
	if len(used) != 2 || used[0] != "rt-0" || used[1] != "rt-1" {
		t.Errorf("refresh tokens used: %v, want [rt-0 rt-1]", used)
	}
}
