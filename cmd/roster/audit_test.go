// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// auditEntry is an entry of GET /v1/audit-events as PRODUCT.md section 8
// shapes it, with the reason of the calls that take one.
type auditEntry struct {
	ID        string            `json:"id"`
	Action    string            `json:"action"`
	Actor     map[string]string `json:"actor"`
	ClientIP  string            `json:"client_ip"`
	RequestID string            `json:"request_id"`
	Target    struct{ Type, ID string }
	Patch     []map[string]any `json:"patch"`
	Reason    string           `json:"reason"`
}

// audit reads the whole audit log as key, and its body.
func (s *testServer) audit(key string) ([]auditEntry, string) {
	s.t.Helper()
	res := s.doAs(key, "GET", "/v1/audit-events?limit=200", nil).want(200)
	var page struct{ Items []auditEntry }
	if err := json.Unmarshal(res.Body, &page); err != nil {
		s.t.Fatal(err)
	}
	return page.Items, string(res.Body)
}

// TestAuditEveryChange makes each change that used to leave no trace (API
// keys and OAuth clients made and removed, a lockout lifted) and those
// that take a reason (credit, an admin's email change, a username), each
// with its own request id, and finds each in the audit log with its
// actor, key id, client address, request id, patch and reason, and no
// secret or hash anywhere in the log or the feed.
func TestAuditEveryChange(t *testing.T) {
	s := startServer(t)
	me := s.do("GET", "/v1/users/me", nil).want(200).obj()
	root := me["organization_id"].(string)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Acme", "parent_id": root}).want(201).str("id")
	u := s.userWithPassword(map[string]any{"email": "audited@example.com", "organization_id": org}, "audit-Secret-1")
	uid := u["id"].(string)
	var ownerKey string
	for _, k := range s.do("GET", "/v1/api-keys", nil).want(200).obj()["items"].([]any) {
		if k := k.(map[string]any); k["user_id"] == me["id"] {
			ownerKey = k["id"].(string)
		}
	}

	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "ci", "user_id": uid, "scopes": []string{"users:read"}}, "X-Request-Id", "req-key-create").want(201).obj()
	keyID, keySecret := key["id"].(string), key["key"].(string)
	s.do("DELETE", "/v1/api-keys/"+keyID, nil, "X-Request-Id", "req-key-delete").want(204)
	client := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "sync", "scopes": []string{"users:read"}, "organization_id": org}, "X-Request-Id", "req-client-create").want(201).obj()
	clientID, clientSecret := client["client_id"].(string), client["client_secret"].(string)
	s.do("PATCH", "/v1/oauth-clients/"+clientID, map[string]any{"name": "sync2"}, "X-Request-Id", "req-client-update").want(200)
	rotated := s.do("POST", "/v1/oauth-clients/"+clientID+"/rotate-secret", nil, "X-Request-Id", "req-client-rotate").want(200).str("client_secret")
	s.do("DELETE", "/v1/oauth-clients/"+clientID, nil, "X-Request-Id", "req-client-delete").want(204)
	for range 2 {
		if _, err := s.signIn("audited@example.com", "wrong-password"); err == nil {
			t.Fatal("a wrong password signed in")
		}
	}
	s.do("DELETE", "/v1/users/"+uid+"/lockout", nil, "X-Request-Id", "req-lockout").want(204)
	s.do("DELETE", "/v1/users/"+uid+"/lockout", nil, "X-Request-Id", "req-lockout-again").want(204) // nothing to lift: no entry
	s.do("POST", "/v1/orgs/"+org+"/credit", map[string]any{"amount": "10.50", "reason": "prepaid top-up"}, "X-Request-Id", "req-credit").want(200)
	s.do("POST", "/v1/users/"+uid+"/email-change", map[string]any{"email": "audited2@example.com", "reason": "typo at signup"}, "X-Request-Id", "req-email").want(200)
	s.do("POST", "/v1/users/"+uid+"/username", map[string]any{"username": "audited-renamed", "reason": "naming policy"}, "X-Request-Id", "req-username").want(200)

	entries, body := s.audit(s.Key)
	byRequest := map[string][]auditEntry{}
	for _, e := range entries {
		byRequest[e.RequestID] = append(byRequest[e.RequestID], e)
	}
	for _, want := range []struct {
		req, action, typ, id, reason string
		ops                          []string // "op path" of the patch ("op path value" for a root)
	}{
		{"req-key-create", "api_key.created", "api_key", keyID, "", []string{"add "}},
		{"req-key-delete", "api_key.deleted", "api_key", keyID, "", []string{"add  null"}},
		{"req-client-create", "oauth_client.created", "oauth_client", clientID, "", []string{"add "}},
		{"req-client-update", "oauth_client.updated", "oauth_client", clientID, "", []string{"replace /name", "replace /version"}},
		{"req-client-rotate", "oauth_client.secret_rotated", "oauth_client", clientID, "", []string{"replace /version"}},
		{"req-client-delete", "oauth_client.deleted", "oauth_client", clientID, "", []string{"add  null"}},
		{"req-lockout", "user.lockout_lifted", "user", uid, "", nil},
		{"req-credit", "org.updated", "organization", org, "prepaid top-up", []string{"replace /credit"}},
		{"req-email", "user.email_changed", "user", uid, "typo at signup", []string{"replace /email"}},
		{"req-username", "user.updated", "user", uid, "naming policy", []string{"replace /username"}},
	} {
		got := byRequest[want.req]
		if len(got) != 1 {
			t.Errorf("%s: %d audit entries, want 1: %+v", want.req, len(got), got)
			continue
		}
		e := got[0]
		if e.Action != want.action || e.Target.Type != want.typ || e.Target.ID != want.id || e.Reason != want.reason {
			t.Errorf("%s: got %s of %s %s (reason %q), want %s of %s %s (reason %q)", want.req, e.Action, e.Target.Type, e.Target.ID, e.Reason,
				want.action, want.typ, want.id, want.reason)
		}
		if e.Actor["user_id"] != me["id"] || e.Actor["key_id"] != ownerKey || e.ClientIP != "127.0.0.1" || !strings.HasPrefix(e.ID, "evt_") {
			t.Errorf("%s: actor %v from %q, want the owner's key %s from 127.0.0.1", want.req, e.Actor, e.ClientIP, ownerKey)
		}
		if e.Patch == nil {
			t.Errorf("%s: no patch (want a JSON Patch array, empty when the resource did not change)", want.req)
		}
		var ops []string
		for _, op := range e.Patch {
			o := op["op"].(string) + " " + op["path"].(string)
			if op["path"] == "" {
				o += " " + string(mustJSON(op["value"])) // a deletion sets the whole document to null
			}
			ops = append(ops, o)
		}
		for _, w := range want.ops {
			if !slices.ContainsFunc(ops, func(op string) bool { return strings.HasPrefix(op, w) }) {
				t.Errorf("%s: patch %v lacks %q", want.req, ops, w)
			}
		}
	}
	if n := len(byRequest["req-lockout-again"]); n != 0 {
		t.Errorf("a lockout lifted when there was none: %d audit entries, want none", n)
	}

	// No secret and no hash of one, in the audit log or the feed.
	feed := string(s.do("GET", "/v1/events?limit=200", nil).want(200).Body)
	for _, secret := range []string{keySecret, clientSecret, rotated} {
		h := sha256.Sum256([]byte(secret))
		for what, text := range map[string]string{"audit log": body, "feed": feed} {
			if strings.Contains(text, secret) || strings.Contains(text, base64.StdEncoding.EncodeToString(h[:])) || strings.Contains(text, hex.EncodeToString(h[:])) {
				t.Errorf("the %s shows a secret or its hash", what)
			}
			if strings.Contains(text, `"hash"`) {
				t.Errorf("the %s has a hash field", what)
			}
		}
	}
	var keyEvents []string
	for _, e := range feedOf(t, feed) {
		if e.Resource.Type == "api_key" || e.Resource.Type == "oauth_client" {
			keyEvents = append(keyEvents, e.Type)
		}
	}
	if strings.Join(keyEvents, ",") != "api_key.created,api_key.created,api_key.deleted,oauth_client.created,oauth_client.updated,oauth_client.secret_rotated,oauth_client.deleted" { // the bootstrap key first
		t.Errorf("the owner's feed: key and client events %v", keyEvents)
	}

	t.Run("only for those who administer the keys", func(t *testing.T) {
		// An admin of the root whose token lacks keys:write, and an admin
		// of another organisation, see none of them; an admin of Acme
		// with keys:write sees them in the feed and the audit log.
		narrow := s.do("POST", "/v1/api-keys", map[string]any{"name": "narrow", "scopes": []string{"events:read", "audit:read"}}).want(201).str("key")
		other := s.do("POST", "/v1/orgs", map[string]any{"name": "Other", "parent_id": root}).want(201).str("id")
		otherAdmin := s.createUser(map[string]any{"email": "other-admin@example.com", "organization_id": other, "roles": []string{"admin"}})["id"].(string)
		acmeAdmin := s.createUser(map[string]any{"email": "acme-admin@example.com", "organization_id": org, "roles": []string{"admin"}})["id"].(string)
		otherKey := s.do("POST", "/v1/api-keys", map[string]any{"name": "o", "user_id": otherAdmin}).want(201).str("key")
		acmeKey := s.do("POST", "/v1/api-keys", map[string]any{"name": "a", "user_id": acmeAdmin}).want(201).str("key")
		for _, c := range []struct {
			name, key string
			want      bool
		}{{"root admin without keys:write", narrow, false}, {"admin of another organisation", otherKey, false}, {"admin of Acme", acmeKey, true}} {
			seen := map[string]bool{}
			for _, e := range feedOf(t, string(s.doAs(c.key, "GET", "/v1/events?limit=200", nil).want(200).Body)) {
				seen["feed "+e.Resource.ID] = true
			}
			entries, _ := s.audit(c.key)
			for _, e := range entries {
				seen["audit "+e.Target.ID] = true
			}
			for _, id := range []string{"feed " + keyID, "feed " + clientID, "audit " + keyID, "audit " + clientID} {
				if seen[id] != c.want {
					t.Errorf("%s: sees %s: %v, want %v", c.name, id, seen[id], c.want)
				}
			}
		}
	})
}

// feedOf decodes a page of the feed.
func feedOf(t *testing.T, body string) []feedEvent {
	t.Helper()
	var page struct{ Items []feedEvent }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// TestBootstrapKeyIsAudited: the bootstrap owner's key is created like
// every other, with its api_key.created event in the feed and the audit
// log (and no secret in either).
func TestBootstrapKeyIsAudited(t *testing.T) {
	s := startServer(t)
	keys := s.do("GET", "/v1/api-keys", nil).want(200).obj()["items"].([]any)
	if len(keys) != 1 {
		t.Fatalf("want the bootstrap key alone: %v", keys)
	}
	id := keys[0].(map[string]any)["id"].(string)
	feed := s.do("GET", "/v1/events?type=api_key.created", nil).want(200)
	var page struct {
		Items []struct {
			Resource struct{ ID string }
		}
	}
	if err := json.Unmarshal(feed.Body, &page); err != nil || len(page.Items) != 1 || page.Items[0].Resource.ID != id {
		t.Fatalf("the feed lacks the bootstrap key's api_key.created: %s", feed.Body)
	}
	audit := s.do("GET", "/v1/audit-events?target="+id, nil).want(200)
	if !strings.Contains(string(audit.Body), `"api_key.created"`) {
		t.Fatalf("the audit log lacks the bootstrap key: %s", audit.Body)
	}
	if strings.Contains(string(feed.Body)+string(audit.Body), testKey) {
		t.Fatal("the bootstrap key's secret is in the feed or the audit log")
	}
}
