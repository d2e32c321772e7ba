// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAccountFlow is the whole life of an account, black-box, with mail
// through a real SMTP server: invite → set password → sign in → enrol
// 2FA → sign in with a code → change email → confirm → revoke.
func TestAccountFlow(t *testing.T) {
	sink := startSMTP(t)
	s := startServer(t, func(c *Config) {
		c.SMTPURL = "smtp://" + sink.addr
		c.Security.AppURL = "https://app.example.com"
	})
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Acme", "white_label": map[string]any{
		"email_address": "hello@acme.example", "logo_url": "https://acme.example/logo.png"}}).want(201).obj()

	// Invite.
	u := s.do("POST", "/v1/users", map[string]any{"first_name": "Ann", "email": "ann@acme.example", "organization_id": org["id"], "send_invite": true}).want(201).obj()
	id := u["id"].(string)
	invite := sink.wait(t, "ann@acme.example")
	if !strings.Contains(invite.HeaderFrom, "hello@acme.example") || !strings.Contains(invite.HTML, "https://acme.example/logo.png") {
		t.Errorf("the invitation does not carry the white label: From %q", invite.HeaderFrom)
	}
	if !strings.Contains(invite.Text, "https://app.example.com/set-password?token=") || !strings.Contains(invite.HTML, "set-password") {
		t.Fatalf("invitation text: %q", invite.Text)
	}
	token := linkParam(t, invite, "token")

	// Set the password with the link: once.
	s.doAs("", "POST", "/v1/auth/set-password", map[string]any{"token": token, "new_password": "password"}).problem(422)
	s.doAs("", "POST", "/v1/auth/set-password", map[string]any{"token": token, "new_password": "Ann-first-pass-1"}).want(204)
	s.doAs("", "POST", "/v1/auth/set-password", map[string]any{"token": token, "new_password": "Ann-other-pass-2"}).problem(422)
	if got := s.do("GET", "/v1/users/"+id, nil).want(200).obj(); got["email_verified"] != true {
		t.Errorf("email_verified after the invitation link: %v", got["email_verified"])
	}

	// Sign in.
	tok, err := s.signIn("ann@acme.example", "Ann-first-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	ann := tok.AccessToken

	// Enrol 2FA with the access token, and sign in with a code.
	secret, _ := s.enrolTOTP(t, ann)
	v := url.Values{"grant_type": {"password"}, "username": {"ann@acme.example"}, "password": {"Ann-first-pass-1"}}
	s.form("/v1/auth/token", v).want(400)
	v.Set("totp", totpCode(t, secret, time.Now().Add(30*time.Second)))
	tok2 := s.form("/v1/auth/token", v).want(200).obj()
	ann2 := tok2["access_token"].(string)

	// Change the email: a code to the new address, nothing changes yet.
	p := s.doAs(ann2, "POST", "/v1/users/me/email-change", map[string]any{"email": "ann@new.example"}).want(http.StatusAccepted).obj()
	if p["email"] != "ann@new.example" || p["expires_at"] == nil {
		t.Fatalf("pending change: %v", p)
	}
	if got := s.doAs(ann2, "GET", "/v1/users/me", nil).want(200).obj(); got["email"] != "ann@acme.example" {
		t.Fatalf("the email changed before confirmation: %v", got["email"])
	}
	change := sink.wait(t, "ann@new.example")
	code := mailCode(t, change)
	if linkParam(t, change, "token") == "" || !strings.Contains(change.HTML, code) {
		t.Errorf("the change mail lacks the link or the code: %q", change.Text)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	s.doAs(ann2, "POST", "/v1/users/me/email-change/confirm", map[string]any{"code": wrong}).problem(422)
	done := s.doAs(ann2, "POST", "/v1/users/me/email-change/confirm", map[string]any{"code": code}).want(200).obj()
	if done["email"] != "ann@new.example" || done["username"] != "ann@new.example" || done["email_verified"] != true {
		t.Fatalf("after confirming: %v", done)
	}
	notice := sink.wait(t, "ann@acme.example") // the invitation came first; wait for the second mail
	_ = notice
	deadline := time.Now().Add(20 * time.Second)
	for sink.count("ann@acme.example") < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if sink.count("ann@acme.example") != 2 {
		t.Fatal("the old address was not told of the change")
	}
	s.doAs(ann2, "POST", "/v1/users/me/email-change/confirm", map[string]any{"code": code}).problem(409)
	if _, err := s.signIn("ann@acme.example", "Ann-first-pass-1"); err == nil {
		t.Error("the old username still signs in")
	}

	// Revoke: the tokens stop working.
	s.form("/v1/auth/revoke", url.Values{"token": {ann2}}).want(200)
	s.doAs(ann2, "GET", "/v1/users/me", nil).problem(401)

	// Her events, and no event with a secret.
	var all []byte
	var types []string
	for after := ""; ; {
		res := s.do("GET", "/v1/events?limit=200&after="+after, nil).want(200)
		all = append(all, res.Body...)
		items, _ := feedItems(t, res)
		for _, e := range items {
			if e.Resource.ID == id {
				types = append(types, e.Type)
			}
		}
		if len(items) < 200 {
			break
		}
		after = items[len(items)-1].ID
	}
	for _, typ := range []string{"user.created", "user.password_changed", "user.mfa_changed", "user.email_changed"} {
		if !slices.Contains(types, typ) {
			t.Errorf("no %s event of the user; hers: %v", typ, types)
		}
	}
	for _, secret := range []string{"Ann-first-pass-1", token, code, secret} {
		if strings.Contains(string(all), secret) {
			t.Errorf("an event holds the secret %q", secret)
		}
	}
}

// feedItems decodes a page of the event feed.
func feedItems(t *testing.T, res *response) ([]feedEvent, *string) {
	t.Helper()
	var page struct {
		Items      []feedEvent `json:"items"`
		NextCursor *string     `json:"next_cursor"`
	}
	if err := json.Unmarshal(res.Body, &page); err != nil {
		t.Fatalf("feed page: %v: %s", err, res.Body)
	}
	return page.Items, page.NextCursor
}

func TestEmailChangeByAdminAndUsername(t *testing.T) {
	sink := startSMTP(t)
	s := startServer(t, func(c *Config) { c.SMTPURL = "smtp://" + sink.addr })
	u := s.createUser(map[string]any{"email": "bob@example.com"})
	id := u["id"].(string)
	// An admin changes another user's email directly, with a reason.
	s.do("POST", "/v1/users/"+id+"/email-change", map[string]any{"email": "bob@new.example"}).problem(422)
	got := s.do("POST", "/v1/users/"+id+"/email-change", map[string]any{"email": "bob@new.example", "reason": "ticket 42"}).want(200).obj()
	if got["email"] != "bob@new.example" || got["username"] != "bob@new.example" || got["email_verified"] != false {
		t.Fatalf("admin change: %v", got)
	}
	if m := sink.wait(t, "bob@example.com"); !strings.Contains(m.Text, "bob@new.example") {
		t.Errorf("the notice to the old address: %q", m.Text)
	}
	res := s.do("GET", "/v1/events?type=user.email_changed", nil).want(200)
	if changes, _ := feedItems(t, res); len(changes) != 1 || changes[0].Resource.ID != id || !strings.Contains(string(res.Body), `"reason":"ticket 42"`) {
		t.Errorf("the email change's event (of %s) does not record the reason: %s", id, res.Body)
	}
	// A taken address is a conflict.
	s.createUser(map[string]any{"email": "taken@example.com"})
	s.do("POST", "/v1/users/"+id+"/email-change", map[string]any{"email": "TAKEN@example.com", "reason": "x"}).problem(409)
	s.do("POST", "/v1/users/"+id+"/email-change", map[string]any{"email": "not an address", "reason": "x"}).problem(422)
	// Usernames change through their own call, for admins.
	renamed := s.do("POST", "/v1/users/"+id+"/username", map[string]any{"username": "bobby"}).want(200).obj()
	if renamed["username"] != "bobby" || renamed["email"] != "bob@new.example" {
		t.Fatalf("username change: %v", renamed)
	}
	s.do("POST", "/v1/users/"+id+"/username", map[string]any{"username": "bad name"}).problem(422)
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": id}).want(201).str("key")
	s.doAs(key, "POST", "/v1/users/me/username", map[string]any{"username": "bob2"}).problem(403)
	// PUT and PATCH still refuse email and username changes and send_invite.
	s.do("PATCH", "/v1/users/"+id, map[string]any{"send_invite": true}).problem(422)
}

func TestMailRetriesAfterTemporaryFailure(t *testing.T) {
	sink := startSMTP(t)
	sink.failFirst = 1 // the first attempt meets a temporary failure
	s := startServer(t, func(c *Config) { c.SMTPURL = "smtp://" + sink.addr })
	s.do("POST", "/v1/users", map[string]any{"first_name": "Cy", "email": "cy@example.com", "send_invite": true}).want(201)
	sink.wait(t, "cy@example.com") // after a retry
	if n := sink.count("cy@example.com"); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
	if !strings.Contains(s.logs.String(), "mail not sent") {
		t.Error("the failed attempt is not in the log")
	}
}

func TestLinksExpire(t *testing.T) {
	sink := startSMTP(t)
	s := startServer(t, func(c *Config) {
		c.SMTPURL = "smtp://" + sink.addr
		c.Security.InviteTTL, c.Security.EmailChangeTTL = time.Second, time.Second
	})
	u := s.do("POST", "/v1/users", map[string]any{"first_name": "Ed", "email": "ed@example.com", "send_invite": true}).want(201).obj()
	token := linkParam(t, sink.wait(t, "ed@example.com"), "token")
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": u["id"]}).want(201).str("key")
	s.doAs(key, "POST", "/v1/users/me/email-change", map[string]any{"email": "ed@new.example"}).want(202)
	code := mailCode(t, sink.wait(t, "ed@new.example"))
	time.Sleep(1100 * time.Millisecond)
	s.doAs("", "POST", "/v1/auth/set-password", map[string]any{"token": token, "new_password": "Ed-late-pass-1"}).problem(422)
	s.doAs(key, "POST", "/v1/users/me/email-change/confirm", map[string]any{"code": code}).problem(409)
}

func TestMailToLogWithoutSMTP(t *testing.T) {
	s := startServer(t)
	s.do("POST", "/v1/users", map[string]any{"first_name": "Di", "email": "di@example.com", "send_invite": true}).want(201)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.logs.String(), "set-password?token=") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(s.logs.String(), "set-password?token=") {
		t.Fatal("without --smtp-url the invitation is not in the log")
	}
}
