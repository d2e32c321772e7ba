// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestBrowserConsoleKeys drives the console's webhooks, API keys and
// OAuth clients in headless Chromium (tools/browser/console-keys.mjs):
// a webhook made, edited and its signing secret rotated (each secret
// shown once, its password and header value never on the page), a
// failed delivery retried until the receiver takes it, a test ping, an
// API key whose secret is shown once and works, a revoked key that no
// longer does, an OAuth client whose secret is shown once, edited and
// rotated (the rotated secret works, the first one not). The webhooks and keys pages
// are scanned by axe-core. Screenshots go to ROSTER_SCREENSHOTS
// (docs/console to refresh the committed ones), else a temporary folder.
func TestBrowserConsoleKeys(t *testing.T) {
	run := newConsoleRunner(t)
	// A failed delivery waits ten minutes for its next attempt, so only
	// the console's retry can bring it.
	s := startServer(t, func(c *Config) { c.Webhooks.RetryBase, c.Webhooks.RetryMax = 10*time.Minute, time.Hour })
	s.userWithPassword(map[string]any{"email": "olga@example.com", "first_name": "Olga", "last_name": "Operator", "roles": []string{"admin"}}, "olga-Secret-1")

	// The receiver fails its first request and takes every later one.
	var got, failed atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got.Add(1) == 1 {
			failed.Add(1)
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(receiver.Close)
	hook := s.do("POST", "/v1/webhooks", map[string]any{"name": "Billing sync", "url": receiver.URL, "events": []string{"user.created"}}).want(201).str("id")
	s.createUser(map[string]any{"email": "annika@example.com", "first_name": "Annika"})
	waitFor(t, "the first delivery to fail", func() bool {
		items := s.do("GET", "/v1/webhooks/"+hook+"/deliveries", nil).want(200).obj()["items"].([]any)
		return len(items) == 1 && items[0].(map[string]any)["attempt"] == float64(1)
	})

	out := run.script(t, s, "console-keys.mjs", "USERNAME=olga@example.com", "PASSWORD=olga-Secret-1",
		"WEBHOOK=Billing sync", "RECEIVER="+receiver.URL+"/audit", "WEBHOOK_PASSWORD=hunter2-basic-pw")
	wantSteps(t, out, "signed in", "webhook error next to its field", "webhook created, signing secret once", "webhook edited, secrets write-only",
		"signing secret rotated", "failed delivery retried and delivered", "test ping", "key secret shown once", "key revoked",
		"client secret shown once", "client edited", "client secret rotated")

	if !strings.Contains(fmt.Sprint(out["url_error"]), "url") || out["keys_fit_375"] != true {
		t.Errorf("the message next to URL: %q; the keys page fits 375 px: %v", out["url_error"], out["keys_fit_375"])
	}
	t.Logf("the message next to URL: %v; screenshots in %s", out["url_error"], run.shots)
	// The webhook: a whsec_ secret, its password and header value kept
	// though the edit never held them.
	if sec, _ := out["signing_secret"].(string); !strings.HasPrefix(sec, "whsec_") || out["rotated_signing_secret"] == sec ||
		!strings.HasPrefix(fmt.Sprint(out["rotated_signing_secret"]), "whsec_") {
		t.Errorf("signing secrets shown: %q, then after rotation %q", sec, out["rotated_signing_secret"])
	}
	if out["password_field"] != "" || out["page_holds_secret"] != false || !strings.Contains(fmt.Sprint(out["headers_field"]), "X-Tenant: ********") {
		t.Errorf("the edit form held a secret: password %q, headers %q, page holds one: %v", out["password_field"], out["headers_field"], out["page_holds_secret"])
	}
	var sink map[string]any
	for _, w := range s.do("GET", "/v1/webhooks", nil).want(200).obj()["items"].([]any) {
		if w := w.(map[string]any); w["name"] == "Audit sink (EU)" {
			sink = w
		}
	}
	if sink == nil {
		t.Fatal("the webhook made in the console is not there under its new name")
	}
	if auth := sink["auth"].(map[string]any); auth["password"] != "********" || sink["headers"].(map[string]any)["X-Tenant"] != "********" {
		t.Errorf("the edit lost a secret: %v", sink)
	}
	// The retry reached the receiver: one failure, then the delivery.
	if failed.Load() != 1 || got.Load() < 2 {
		t.Errorf("the receiver saw %d requests (%d failed)", got.Load(), failed.Load())
	}
	if n, _ := out["attempts_shown"].(float64); n != 2 {
		t.Errorf("the delivery log showed %v attempts, want 2", out["attempts_shown"])
	}

	// The key: shown once, gone after a reload, working with its scope;
	// the revoked one refused.
	if out["key_after_reload"] != false {
		t.Error("the key's secret was still on the page after a reload")
	}
	key, _ := out["key"].(string)
	s.doAs(key, "GET", "/v1/users/me", nil).want(200)
	s.doAs(key, "PATCH", "/v1/users/me", map[string]any{"first_name": "O"}, "Content-Type", "application/merge-patch+json").problem(403)
	s.doAs(fmt.Sprint(out["revoked_key"]), "GET", "/v1/users/me", nil).problem(401)
	if offered := fmt.Sprint(out["key_scopes_offered"]); strings.Contains(offered, "scim") || !strings.Contains(offered, "keys:write") {
		t.Errorf("scopes offered for a key: %s", offered)
	}

	// The client: its first secret shown once, replaced by the rotated one.
	if out["client_secret_after_reload"] != false {
		t.Error("the client's secret was still on the page after a reload")
	}
	var client map[string]any
	for _, c := range s.do("GET", "/v1/oauth-clients", nil).want(200).obj()["items"].([]any) {
		if c := c.(map[string]any); c["name"] == "Billing" {
			client = c
		}
	}
	if client == nil || client["version"] != float64(3) {
		t.Fatalf("the client made, edited and rotated in the console: %v", client)
	}
	id := client["client_id"].(string)
	if st := introspectAs(s, id, fmt.Sprint(out["client_secret"])); st != http.StatusUnauthorized {
		t.Errorf("the first secret after rotation: introspection %d, want 401", st)
	}
	if st := introspectAs(s, id, fmt.Sprint(out["rotated_secret"])); st != http.StatusOK {
		t.Errorf("the rotated secret: introspection %d, want 200", st)
	}
}

// introspectAs asks the introspection endpoint about a made-up token,
// authenticated as the client with secret: 200 when the secret is
// right, 401 when it is not.
func introspectAs(s *testServer, clientID, secret string) int {
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID)+":"+url.QueryEscape(secret)))
	return s.doAs("", "POST", "/oauth2/introspect", "token=rat_nothing", "Content-Type", "application/x-www-form-urlencoded", "Authorization", auth).Status
}
