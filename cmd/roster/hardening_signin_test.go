// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/passhash"
	"github.com/rosterhq/roster/internal/pgtest"
)

// Sign-in hardening, black-box: the scope boundary of refresh, the
// lockout under concurrency, no oracle for disabled accounts, a limit on
// email-change mail, and invitation links that die with their address.

// tokenForm posts to the token endpoint and decodes the JSON answer.
func (s *testServer) tokenForm(vals url.Values) (int, map[string]any, *response) {
	s.t.Helper()
	r := s.form("/v1/auth/token", vals)
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return r.Status, m, r
}

// TestRefreshNeverWidensScopes: a refresh keeps or narrows the family's
// granted scopes (RFC 6749 section 6); a blank or absent scope means the
// same as before, and a scope beyond the grant is invalid_scope.
func TestRefreshNeverWidensScopes(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "narrow@example.com", "roles": []string{"admin"}}, "narrow-Secret-1")
	st, tok, r := s.tokenForm(url.Values{"grant_type": {"password"}, "username": {"narrow@example.com"}, "password": {"narrow-Secret-1"}, "scope": {"users:read"}})
	if st != 200 || tok["scope"] != "users:read" {
		t.Fatalf("password grant with scope users:read: %d %s", st, r.Body)
	}
	refresh := tok["refresh_token"].(string)
	for _, scope := range []*string{ptrTo(" "), nil, ptrTo(""), ptrTo("   ")} {
		v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
		name := "no scope"
		if scope != nil {
			v.Set("scope", *scope)
			name = fmt.Sprintf("scope %q", *scope)
		}
		st, got, r := s.tokenForm(v)
		if st != 200 || got["scope"] != "users:read" {
			t.Fatalf("refresh with %s: %d %s; want scope users:read", name, st, r.Body)
		}
		refresh = got["refresh_token"].(string)
		// The new access token is still read-only.
		s.doAs(got["access_token"].(string), "POST", "/v1/users", map[string]any{"first_name": "X", "email": "x-" + fmt.Sprint(len(refresh)) + "@example.com"}).problem(403)
	}
	// A wider scope, or one beyond the grant, is invalid_scope and uses
	// nothing up: the refresh token still works afterwards.
	for _, scope := range []string{"users:write:all", "users:read users:write:self", "orgs:read"} {
		st, got, r := s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "scope": {scope}})
		if st != 400 || got["error"] != "invalid_scope" {
			t.Fatalf("refresh asking %q beyond users:read: %d %s", scope, st, r.Body)
		}
	}
	st, got, r := s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "scope": {"users:read"}})
	if st != 200 || got["scope"] != "users:read" {
		t.Fatalf("refresh asking the same scope: %d %s", st, r.Body)
	}

	// A family granted every scope of the roles may narrow, and then
	// never widen again.
	st, tok, r = s.tokenForm(url.Values{"grant_type": {"password"}, "username": {"narrow@example.com"}, "password": {"narrow-Secret-1"}})
	if st != 200 {
		t.Fatalf("password grant: %d %s", st, r.Body)
	}
	st, got, r = s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "scope": {"users:read orgs:read"}})
	if st != 200 || got["scope"] != "users:read orgs:read" {
		t.Fatalf("narrowing an unrestricted family: %d %s", st, r.Body)
	}
	st, got, r = s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {got["refresh_token"].(string)}, "scope": {" "}})
	if st != 200 || got["scope"] != "users:read orgs:read" {
		t.Fatalf("blank scope after narrowing: %d %s", st, r.Body)
	}
	st, got, r = s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {got["refresh_token"].(string)}, "scope": {"users:write:all"}})
	if st != 400 || got["error"] != "invalid_scope" {
		t.Fatalf("widening a narrowed family: %d %s", st, r.Body)
	}

	// Scopes nest: users:write:all narrows to users:write:self, which
	// does not widen back to users:write:members.
	st, tok, r = s.tokenForm(url.Values{"grant_type": {"password"}, "username": {"narrow@example.com"}, "password": {"narrow-Secret-1"}, "scope": {"users:read users:write:all"}})
	if st != 200 {
		t.Fatalf("password grant: %d %s", st, r.Body)
	}
	st, got, r = s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "scope": {"users:write:self"}})
	if st != 200 || got["scope"] != "users:write:self" {
		t.Fatalf("narrowing users:write:all to users:write:self: %d %s", st, r.Body)
	}
	st, got, r = s.tokenForm(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {got["refresh_token"].(string)}, "scope": {"users:write:members"}})
	if st != 400 || got["error"] != "invalid_scope" {
		t.Fatalf("widening users:write:self to users:write:members: %d %s", st, r.Body)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestLockoutHoldsUnderConcurrency: 20 concurrent wrong passwords against
// a limit of 5 have at most 5 evaluated (the rest 429 with Retry-After),
// and the right password is then locked out.
func TestLockoutHoldsUnderConcurrency(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "race@example.com"}, "race-Secret-1")
	const n = 20
	statuses := make([]int, n)
	retry := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := http.PostForm(s.URL+"/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"race@example.com"}, "password": {fmt.Sprintf("wrong-password-%d", i)}})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i], retry[i] = res.StatusCode, res.Header.Get("Retry-After")
		}()
	}
	close(start)
	wg.Wait()
	evaluated := 0
	for i, st := range statuses {
		switch st {
		case 400:
			evaluated++
		case 429:
			if retry[i] == "" {
				t.Errorf("a 429 without Retry-After")
			}
		default:
			t.Errorf("request %d: status %d", i, st)
		}
	}
	if evaluated > 5 {
		t.Fatalf("%d of %d concurrent wrong passwords were evaluated; the limit is 5 (statuses %v)", evaluated, n, statuses)
	}
	r := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"race@example.com"}, "password": {"race-Secret-1"}})
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("the right password after the race: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
}

// TestSignInSuccessDoesNotCountAgainstAddress: an attempt counts against
// the client address while it is checked, and a success takes it back,
// so many good sign-ins from one address never block it.
func TestSignInSuccessDoesNotCountAgainstAddress(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.AddressFailures = 3 })
	s.userWithPassword(map[string]any{"email": "many@example.com"}, "many-Secret-1")
	for i := range 6 {
		if _, err := s.signIn("many@example.com", "many-Secret-1"); err != nil {
			t.Fatalf("sign-in %d: %v", i, err)
		}
	}
	for range 3 {
		s.signIn("many@example.com", "wrong-password")
	}
	if r := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"other@example.com"}, "password": {"x-x-x-x-x"}}); r.Status != 429 {
		t.Fatalf("after 3 failures from the address: %d %s", r.Status, r.Body)
	}
}

// TestDisabledAccountNoPasswordOracle: the right password of a disabled
// account (or of one in a disabled organisation, or with a second factor)
// gets exactly the answer of a wrong one.
func TestDisabledAccountNoPasswordOracle(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "off@example.com"}, "off-Secret-1")
	tok, err := s.signIn("off@example.com", "off-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	s.enrolTOTP(t, tok.AccessToken)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Gone"}).want(201).obj()
	s.userWithPassword(map[string]any{"email": "orgoff@example.com", "organization_id": org["id"]}, "orgoff-Secret-1")
	s.do("PATCH", "/v1/users/"+u["id"].(string), map[string]any{"status": "disabled"}).want(200)
	s.do("PATCH", "/v1/orgs/"+org["id"].(string), map[string]any{"status": "disabled"}).want(200)

	answer := func(user, pw string) string {
		r := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}})
		return fmt.Sprintf("%d %s %s %s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Retry-After"), strings.TrimSpace(string(r.Body)))
	}
	for _, c := range []struct{ user, right string }{{"off@example.com", "off-Secret-1"}, {"orgoff@example.com", "orgoff-Secret-1"}} {
		wrong := answer(c.user, "wrong-password")
		right := answer(c.user, c.right)
		if right != wrong {
			t.Errorf("%s: the right password answers\n%s\nbut a wrong one\n%s", c.user, right, wrong)
		}
		if !strings.HasPrefix(wrong, "400 ") || !strings.Contains(wrong, "invalid_grant") {
			t.Errorf("%s: wrong password: %s", c.user, wrong)
		}
	}
}

// TestEmailChangeRequestsLimited: a user may ask for only so many
// email-change mails an hour (5 by default); then 429 with Retry-After,
// and other users are not affected.
func TestEmailChangeRequestsLimited(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "spam@example.com"}, "spam-Secret-1")
	s.userWithPassword(map[string]any{"email": "calm@example.com"}, "calm-Secret-1")
	tok, err := s.signIn("spam@example.com", "spam-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		s.doAs(tok.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": fmt.Sprintf("victim%d@example.org", i)}).want(http.StatusAccepted)
	}
	r := s.doAs(tok.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": "victim9@example.org"})
	r.problem(429)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Refusals do not count: still refused, and the limit is per user.
	r = s.doAs(tok.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": "victim9@example.org"})
	r.problem(429)
	calm, err := s.signIn("calm@example.com", "calm-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	s.doAs(calm.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": "calm2@example.org"}).want(http.StatusAccepted)
}

// TestEmailChangeRevokesInvitation: an invitation link mailed to an
// address stops working when an admin changes the user's email, and a
// pending email change started before is gone too.
func TestEmailChangeRevokesInvitation(t *testing.T) {
	sink := startSMTP(t)
	s := startServer(t, func(c *Config) { c.SMTPURL = "smtp://" + sink.addr })
	u := s.do("POST", "/v1/users", map[string]any{"first_name": "Ivy", "email": "ivy@old.example", "send_invite": true}).want(201).obj()
	id := u["id"].(string)
	token := linkParam(t, sink.wait(t, "ivy@old.example"), "token")
	s.do("POST", "/v1/users/"+id+"/email-change", map[string]any{"email": "ivy@new.example", "reason": "typo in the address"}).want(200)
	s.doAs("", "POST", "/v1/auth/set-password", map[string]any{"token": token, "new_password": "Ivy-first-pass-1"}).problem(422)

	// A pending email change started before an admin's change is gone.
	v := s.userWithPassword(map[string]any{"email": "vic@old.example"}, "vic-Secret-1")
	vid := v["id"].(string)
	vt, err := s.signIn("vic@old.example", "vic-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	s.doAs(vt.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": "vic@pending.example"}).want(http.StatusAccepted)
	code := mailCode(t, sink.wait(t, "vic@pending.example"))
	s.do("POST", "/v1/users/"+vid+"/email-change", map[string]any{"email": "vic@admin.example", "reason": "merger"}).want(200)
	s.doAs(vt.AccessToken, "POST", "/v1/users/me/email-change/confirm", map[string]any{"code": code}).problem(409)
	if got := s.do("GET", "/v1/users/"+vid, nil).want(200).obj(); got["email"] != "vic@admin.example" {
		t.Fatalf("email after the admin's change and a stale confirm: %v", got["email"])
	}

	// A confirmed change of the user's own revokes the invitation too.
	w := s.do("POST", "/v1/users", map[string]any{"first_name": "Wes", "email": "wes@old.example", "send_invite": true}).want(201).obj()
	wid := w["id"].(string)
	wToken := linkParam(t, sink.wait(t, "wes@old.example"), "token")
	s.do("POST", "/v1/users/"+wid+"/password", map[string]any{"new_password": "wes-Secret-1"}).want(http.StatusNoContent)
	wt, err := s.signIn("wes@old.example", "wes-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	s.doAs(wt.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": "wes@new.example"}).want(http.StatusAccepted)
	wCode := mailCode(t, sink.wait(t, "wes@new.example"))
	s.doAs(wt.AccessToken, "POST", "/v1/users/me/email-change/confirm", map[string]any{"code": wCode}).want(200)
	s.doAs("", "POST", "/v1/auth/set-password", map[string]any{"token": wToken, "new_password": "Wes-other-pass-2"}).problem(422)
}

// TestMultiNodeSignInLimits: the sign-in and email-change limits are
// counted in the store, so two nodes on one database share them: 20
// concurrent wrong passwords spread over both have at most 5 evaluated,
// and a user's email changes count on whichever node they arrive.
func TestMultiNodeSignInLimits(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 2)
	nodes[0].userWithPassword(map[string]any{"email": "multi@example.com"}, "multi-Secret-1")
	nodes[0].userWithPassword(map[string]any{"email": "mover@example.com"}, "mover-Secret-1")
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := http.PostForm(nodes[i%2].URL+"/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"multi@example.com"}, "password": {fmt.Sprintf("wrong-password-%d", i)}})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	evaluated := 0
	for _, st := range statuses {
		if st == 400 {
			evaluated++
		} else if st != 429 {
			t.Errorf("status %d (all: %v)", st, statuses)
		}
	}
	if evaluated > 5 {
		t.Fatalf("%d of %d concurrent wrong passwords on two nodes were evaluated; the limit is 5 (statuses %v)", evaluated, n, statuses)
	}
	for _, node := range nodes {
		if r := node.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"multi@example.com"}, "password": {"multi-Secret-1"}}); r.Status != 429 {
			t.Fatalf("the right password after the race: %d %s", r.Status, r.Body)
		}
	}

	tok, err := nodes[1].signIn("mover@example.com", "mover-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		nodes[i%2].doAs(tok.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": fmt.Sprintf("m%d@example.org", i)}).want(http.StatusAccepted)
	}
	for _, node := range nodes {
		node.doAs(tok.AccessToken, "POST", "/v1/users/me/email-change", map[string]any{"email": "m9@example.org"}).problem(429)
	}
}

// TestArgon2GateSheds: with one argon2id hash at a time allowed (and a
// real hashing cost), a flood of sign-ins for many names does not queue
// without bound: a few wait their turn, the rest answer 503
// temporarily_unavailable with Retry-After, and those are not counted
// as failures.
func TestArgon2GateSheds(t *testing.T) {
	s := startServer(t, func(c *Config) {
		c.Security.HashConcurrency = 1
		c.Security.Argon2 = passhash.Params{Memory: 19456, Time: 4, Threads: 1}
		c.Security.AddressFailures = 1000
	})
	const n = 40
	type answer struct {
		status int
		retry  string
		body   string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := http.PostForm(s.URL+"/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {fmt.Sprintf("flood%d@example.com", i)}, "password": {"wrong-password"}})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			answers[i] = answer{res.StatusCode, res.Header.Get("Retry-After"), string(b)}
		})
	}
	close(start)
	wg.Wait()
	shed, evaluated := 0, 0
	for _, a := range answers {
		switch a.status {
		case 400:
			evaluated++
		case 503:
			shed++
			if a.retry == "" || !strings.Contains(a.body, "temporarily_unavailable") {
				t.Errorf("a 503 without Retry-After or temporarily_unavailable: %q %s", a.retry, a.body)
			}
		default:
			t.Errorf("status %d: %s", a.status, a.body)
		}
	}
	t.Logf("%d evaluated, %d shed", evaluated, shed)
	if shed == 0 {
		t.Fatalf("%d concurrent sign-ins through one argon2id slot: none was shed (%d evaluated)", n, evaluated)
	}
	// A shed attempt was not a failure: its address count was taken back.
	counted, _, err := s.Main.store.SignInFailures(context.Background(), "ip:127.0.0.1", time.Time{})
	if err != nil || counted != evaluated {
		t.Fatalf("failures counted for the address: %d (%v), want the %d evaluated", counted, err, evaluated)
	}
}

// TestClientCredentialsLimitsHoldUnderConcurrency: wrong client secrets
// count against the address before they are compared, so 20 concurrent
// ones against a limit of 5 have at most 5 compared; and a blank scope
// is no scope (the client's scopes, named in the answer).
func TestClientCredentialsLimitsHoldUnderConcurrency(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.AddressFailures = 5 })
	created := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "svc", "scopes": []string{"users:read"}}).want(201).obj()
	id, secret := created["client_id"].(string), created["client_secret"].(string)
	st, tok, r := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {" "}})
	if st != 200 || tok["scope"] != "users:read" {
		t.Fatalf("client_credentials with a blank scope: %d %s", st, r.Body)
	}
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := http.PostForm(s.URL+"/v1/auth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {fmt.Sprintf("rcs_wrong%d", i)}})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		})
	}
	close(start)
	wg.Wait()
	compared := 0
	for _, st := range statuses {
		if st == 401 {
			compared++
		} else if st != 429 {
			t.Errorf("status %d (all: %v)", st, statuses)
		}
	}
	if compared > 5 {
		t.Fatalf("%d of %d concurrent wrong client secrets were compared; the address limit is 5 (statuses %v)", compared, n, statuses)
	}
	if st, _, r := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}); st != 429 {
		t.Fatalf("the right secret from the blocked address: %d %s", st, r.Body)
	}
}

// TestClientAuthenticationSuccessesDoNotCount: a confidential client's
// right secret is reserved against the address like any attempt, and
// taken back with the grant's own writes (or at once, when the grant
// writes nothing or fails after authenticating): more successful token
// requests than the address limit all succeed, whatever the grant's
// outcome, and wrong secrets still count.
func TestClientAuthenticationSuccessesDoNotCount(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.AddressFailures = 3 })
	s.userWithPassword(map[string]any{"email": "count@example.com"}, "count-Secret-1")
	app := s.newApp(t, map[string]any{"grant_types": []string{"authorization_code", "refresh_token", "client_credentials"}, "scopes": []string{"users:read"}})
	conf := app.oauth(s, "openid", "offline_access")
	b := newBrowser(t, s)
	asApp := func(vals url.Values) (int, map[string]any, *response) {
		vals.Set("client_id", app.ID)
		vals.Set("client_secret", app.Secret)
		return s.tokenForm(vals)
	}
	for i := range 5 {
		q, verifier := b.authorize(conf, "count@example.com", "count-Secret-1")
		tok, err := exchange(t, conf, q.Get("code"), verifier)
		if err != nil {
			t.Fatalf("code exchange %d: %v", i, err)
		}
		if st, _, r := asApp(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); st != 200 {
			t.Fatalf("refresh %d: %d %s", i, st, r.Body)
		}
		// Grants that fail after the client authenticated.
		if st, _, r := asApp(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}); st != 400 {
			t.Fatalf("refresh token reused %d: %d %s", i, st, r.Body)
		}
		if st, _, r := asApp(url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {app.Redirect}, "code_verifier": {verifier}}); st != 400 {
			t.Fatalf("code reused %d: %d %s", i, st, r.Body)
		}
		if st, _, r := asApp(url.Values{"grant_type": {"client_credentials"}, "scope": {"users:write:all"}}); st != 400 {
			t.Fatalf("client_credentials beyond the client's scopes %d: %d %s", i, st, r.Body)
		}
		if st, _, r := asApp(url.Values{"grant_type": {"client_credentials"}}); st != 200 {
			t.Fatalf("client_credentials %d: %d %s", i, st, r.Body)
		}
		if r := s.form("/oauth2/introspect", url.Values{"token": {tok.AccessToken}}, "Authorization", "Basic "+basicAuth(app.ID, app.Secret)); r.Status != 200 {
			t.Fatalf("introspection %d: %d %s", i, r.Status, r.Body)
		}
	}
	for i := range 3 {
		if st, _, r := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ID}, "client_secret": {"rcs_wrong"}}); st != 401 {
			t.Fatalf("wrong secret %d: %d %s", i, st, r.Body)
		}
	}
	if st, _, r := asApp(url.Values{"grant_type": {"client_credentials"}}); st != 429 {
		t.Fatalf("the right secret after three wrong ones from the address: %d %s", st, r.Body)
	}
}
