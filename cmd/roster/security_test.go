// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rosterhq/roster/internal/passhash"
	"github.com/rosterhq/roster/service"
)

// testArgon2 are argon2id parameters small enough for tests.
var testArgon2 = passhash.Params{Memory: 64, Time: 1, Threads: 1}

// form posts a form body without credentials.
func (s *testServer) form(path string, vals url.Values, headers ...string) *response {
	s.t.Helper()
	return s.doAs("", "POST", path, vals.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// oauthConfig is an x/oauth2 client of the server's token endpoint.
func (s *testServer) oauthConfig() *oauth2.Config {
	return &oauth2.Config{Endpoint: oauth2.Endpoint{TokenURL: s.URL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// signIn gets tokens with the password grant through x/oauth2.
func (s *testServer) signIn(username, password string) (*oauth2.Token, error) {
	return s.oauthConfig().PasswordCredentialsToken(context.Background(), username, password)
}

// oauthErrorCode returns the RFC 6749 error code of an x/oauth2 failure.
func oauthErrorCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want an OAuth error answer, got %v", err)
	}
	return re.ErrorCode, re.Response.StatusCode
}

// userWithPassword creates a user and sets its password as the owner.
func (s *testServer) userWithPassword(fields map[string]any, password string) map[string]any {
	s.t.Helper()
	u := s.createUser(fields)
	s.do("POST", "/v1/users/"+u["id"].(string)+"/password", map[string]any{"new_password": password}).want(http.StatusNoContent)
	return u
}

func TestPasswordPolicy(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.PasswordMaxLength = 20 })
	u := s.createUser(map[string]any{"email": "policy@example.com"})
	id := u["id"].(string)
	for _, c := range []struct{ pw, want string }{
		{"x7#q!", "at least 8"},
		{"this-password-is-far-too-long", "at most 20"},
		{"POLICY@example.com", "email"},
		{"Password123", "common"},
		{"qwertyuiop", "common"},
	} {
		p := s.do("POST", "/v1/users/"+id+"/password", map[string]any{"new_password": c.pw}).problem(http.StatusUnprocessableEntity)
		errs := p["errors"].([]any)
		e := errs[0].(map[string]any)
		if e["location"] != "body.new_password" || !strings.Contains(e["message"].(string), c.want) {
			t.Errorf("%q: want an error on body.new_password saying %q: %v", c.pw, c.want, p)
		}
		if _, has := e["value"]; has || strings.Contains(string(mustJSON(p)), c.pw) {
			t.Errorf("%q: the answer repeats the password: %v", c.pw, p)
		}
	}
	s.do("POST", "/v1/users/"+id+"/password", map[string]any{"new_password": "Tr0ub4dor&3x"}).want(http.StatusNoContent)
	s.do("POST", "/v1/users/"+id+"/password", map[string]any{"new_password": 12345678}).problem(http.StatusUnprocessableEntity)
	s.do("POST", "/v1/users/"+id+"/password", map[string]any{"new_password": "Tr0ub4dor&3x", "extra": 1}).problem(http.StatusUnprocessableEntity)
}

func TestPasswordChangeSelfAndAdmin(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "self@example.com"}, "first-Secret-1")
	id := u["id"].(string)
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": id}).want(201).str("key")
	// Self: current_password is required and must be right.
	p := s.doAs(key, "POST", "/v1/users/me/password", map[string]any{"new_password": "second-Secret-2"}).problem(422)
	if got := fieldErrors(p); len(got) != 1 || got[0] != "body.current_password" {
		t.Errorf("without current_password: errors %v", got)
	}
	s.doAs(key, "POST", "/v1/users/me/password", map[string]any{"current_password": "wrong-one-123", "new_password": "second-Secret-2"}).problem(422)
	s.doAs(key, "POST", "/v1/users/me/password", map[string]any{"current_password": "first-Secret-1", "new_password": "second-Secret-2"}).want(204)
	if _, err := s.signIn("self@example.com", "first-Secret-1"); err == nil {
		t.Fatal("the old password still signs in")
	}
	if _, err := s.signIn("self@example.com", "second-Secret-2"); err != nil {
		t.Fatalf("the new password does not sign in: %v", err)
	}
	// A member may not set the password of a user it sees.
	other := s.createUser(map[string]any{"email": "other@example.com"})
	s.doAs(key, "POST", "/v1/users/"+other["id"].(string)+"/password", map[string]any{"new_password": "whatever-Pass-9"}).problem(403)
	// Events: one user.password_changed per change, without secrets.
	body := string(s.do("GET", "/v1/events?type=user.password_changed&limit=200", nil).want(200).Body)
	if n := strings.Count(body, `"type":"user.password_changed"`); n != 2 {
		t.Errorf("%d user.password_changed events, want 2: %s", n, body)
	}
	for _, secret := range []string{"first-Secret-1", "second-Secret-2", "argon2id"} {
		if strings.Contains(body, secret) {
			t.Errorf("an event contains %q", secret)
		}
	}
}

func TestTokenPasswordAndRefresh(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "tok@example.com"}, "tok-Secret-77")
	tok, err := s.signIn("TOK@example.com", "tok-Secret-77")
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" || time.Until(tok.Expiry) > 16*time.Minute || time.Until(tok.Expiry) < time.Minute {
		t.Fatalf("token: %+v", tok)
	}
	// The access token works as Bearer on /v1 routes, through x/oauth2's
	// own transport.
	client := s.oauthConfig().Client(context.Background(), tok)
	res, err := client.Get(s.URL + "/v1/users/me")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var me map[string]any
	_ = json.Unmarshal(b, &me)
	if res.StatusCode != 200 || me["id"] != u["id"] {
		t.Fatalf("GET /v1/users/me with the access token: %d %s", res.StatusCode, b)
	}
	// Refresh rotates: the new refresh token works, the old one is a reuse
	// that revokes the whole sign-in.
	fresh, err := s.oauthConfig().TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatal("refresh did not rotate the tokens")
	}
	s.doAs(fresh.AccessToken, "GET", "/v1/users/me", nil).want(200)
	_, err = s.oauthConfig().TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if code, status := oauthErrorCode(t, err); code != "invalid_grant" || status != 400 {
		t.Fatalf("reuse: %s %d", code, status)
	}
	s.doAs(fresh.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	r := s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "invalid_grant") {
		t.Fatalf("the family's newer refresh token after a reuse: %d %s", r.Status, r.Body)
	}
	// Revocation (RFC 7009) ends a sign-in; unknown tokens are fine.
	tok2, err := s.signIn("tok@example.com", "tok-Secret-77")
	if err != nil {
		t.Fatal(err)
	}
	s.form("/v1/auth/revoke", url.Values{"token": {tok2.RefreshToken}}).want(200)
	s.doAs(tok2.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	s.form("/v1/auth/revoke", url.Values{"token": {"rat_unknown"}}).want(200)
	// A disabled user gets no tokens, and its tokens stop working.
	tok3, _ := s.signIn("tok@example.com", "tok-Secret-77")
	s.do("PATCH", "/v1/users/"+u["id"].(string), map[string]any{"status": "disabled"}).want(200)
	s.doAs(tok3.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	_, err = s.signIn("tok@example.com", "tok-Secret-77")
	if code, _ := oauthErrorCode(t, err); code != "invalid_grant" {
		t.Fatalf("disabled user: %s", code)
	}
}

func TestTokenErrors(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "err@example.com"}, "err-Secret-55")
	for _, c := range []struct {
		name   string
		vals   url.Values
		ct     string
		status int
		code   string
	}{
		{"no grant", url.Values{"username": {"x"}}, "", 400, "invalid_request"},
		{"unknown grant", url.Values{"grant_type": {"implicit"}}, "", 400, "unsupported_grant_type"},
		{"missing password", url.Values{"grant_type": {"password"}, "username": {"err@example.com"}}, "", 400, "invalid_request"},
		{"wrong password", url.Values{"grant_type": {"password"}, "username": {"err@example.com"}, "password": {"nope-nope-1"}}, "", 400, "invalid_grant"},
		{"unknown user", url.Values{"grant_type": {"password"}, "username": {"ghost@example.com"}, "password": {"nope-nope-1"}}, "", 400, "invalid_grant"},
		{"bad scope", url.Values{"grant_type": {"password"}, "username": {"err@example.com"}, "password": {"err-Secret-55"}, "scope": {"users:write:all"}}, "", 400, "invalid_scope"},
		{"json body", nil, "application/json", 400, "invalid_request"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cli_x"}, "client_secret": {"x"}}, "", 401, "invalid_client"},
		{"bad refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rrt_x"}}, "", 400, "invalid_grant"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r *response
			if c.ct != "" {
				r = s.doAs("", "POST", "/v1/auth/token", `{"grant_type":"password"}`, "Content-Type", c.ct)
			} else {
				r = s.form("/v1/auth/token", c.vals)
			}
			var body struct{ Error, ErrorDescription string }
			_ = json.Unmarshal(r.Body, &body)
			if r.Status != c.status || r.obj()["error"] != c.code || r.obj()["error_description"] == "" {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
			}
		})
	}
	// A wrong password and an unknown user get the same answer.
	a := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"err@example.com"}, "password": {"nope-nope-1"}})
	b := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"ghost2@example.com"}, "password": {"nope-nope-1"}})
	if string(a.Body) != string(b.Body) {
		t.Errorf("the answers tell a wrong password from an unknown user:\n%s\n%s", a.Body, b.Body)
	}
	// An Idempotency-Key means nothing on the public token endpoint: its
	// answers are secrets that are never recorded.
	s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"err@example.com"}, "password": {"err-Secret-55"}}, "Idempotency-Key", "k1").want(200)
	// Credentials in the query string are refused.
	s.doAs("", "POST", "/v1/auth/token?password=x", "grant_type=password", "Content-Type", "application/x-www-form-urlencoded").want(400)
}

func TestClientCredentials(t *testing.T) {
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Svc"}).want(201).obj()
	p := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "sync", "scopes": []string{"keys:write"}}).problem(422)
	if fieldErrors(p)[0] != "body.scopes[0]" {
		t.Errorf("keys:write for a client: %v", p)
	}
	s.do("POST", "/v1/oauth-clients", map[string]any{"name": "sync", "scopes": []string{}}).problem(422)
	created := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "sync", "scopes": []string{"users:read", "users:write:all"}, "organization_id": org["id"]}).want(201).obj()
	id, secret := created["client_id"].(string), created["client_secret"].(string)
	if id == "" || !strings.HasPrefix(secret, "rcs_") {
		t.Fatalf("created: %v", created)
	}
	list := string(s.do("GET", "/v1/oauth-clients", nil).want(200).Body)
	if !strings.Contains(list, id) || strings.Contains(list, secret) {
		t.Fatalf("list: %s", list)
	}
	cc := &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: s.URL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Error("client_credentials returned a refresh token")
	}
	// The token acts for its organisation with exactly its scopes.
	made := s.doAs(tok.AccessToken, "POST", "/v1/users", map[string]any{"first_name": "Bot", "email": "bot-made@example.com"}).want(201).obj()
	if made["organization_id"] != org["id"] {
		t.Errorf("a client's user lands in %v, want %v", made["organization_id"], org["id"])
	}
	s.doAs(tok.AccessToken, "POST", "/v1/orgs", map[string]any{"name": "Nope"}).problem(403)
	s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).problem(404)
	events := string(s.do("GET", "/v1/audit-events?target="+made["id"].(string), nil).want(200).Body)
	if !strings.Contains(events, `"client_id":"`+id+`"`) {
		t.Errorf("the audit entry does not name the client: %s", events)
	}
	// Form-field authentication works too; a wrong secret does not.
	cc.AuthStyle = oauth2.AuthStyleInParams
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	cc.ClientSecret = "rcs_wrong"
	if _, err := cc.Token(context.Background()); err == nil {
		t.Fatal("a wrong secret got a token")
	} else if code, status := oauthErrorCode(t, err); code != "invalid_client" || status != 401 {
		t.Fatalf("wrong secret: %s %d", code, status)
	}
	// Deleting the client stops its tokens.
	s.do("DELETE", "/v1/oauth-clients/"+id, nil).want(204)
	s.doAs(tok.AccessToken, "GET", "/v1/users", nil).problem(401)
	s.do("DELETE", "/v1/oauth-clients/"+id, nil).problem(404)
}

func TestSignInLimits(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.AccountFailures = 3; c.Security.AddressFailures = 8 })
	u := s.userWithPassword(map[string]any{"email": "lock@example.com"}, "lock-Secret-1")
	for range 3 {
		if _, err := s.signIn("lock@example.com", "wrong-password"); err == nil {
			t.Fatal("a wrong password signed in")
		}
	}
	r := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"lock@example.com"}, "password": {"lock-Secret-1"}})
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("locked account with the right password: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Unknown names lock the same way, so a lock tells nothing either.
	for range 3 {
		s.signIn("nobody@example.com", "wrong-password")
	}
	if r := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"nobody@example.com"}, "password": {"x-x-x-x-x"}}); r.Status != 429 {
		t.Fatalf("unknown name after failures: %d %s", r.Status, r.Body)
	}
	// An admin lifts the lock.
	s.do("DELETE", "/v1/users/"+u["id"].(string)+"/lockout", nil).want(204)
	if _, err := s.signIn("lock@example.com", "lock-Secret-1"); err != nil {
		t.Fatalf("after the lock was lifted: %v", err)
	}
	// The address limit: 8 failures from one address block it for every
	// account.
	for i := range 2 {
		s.signIn("other"+string(rune('a'+i))+"@example.com", "wrong-password")
	}
	_, err := s.signIn("lock@example.com", "lock-Secret-1")
	if err == nil {
		t.Fatal("a blocked address signed in")
	}
	if code, status := oauthErrorCode(t, err); status != 429 || code != "temporarily_unavailable" {
		t.Fatalf("blocked address: %s %d", code, status)
	}
	// The metrics saw 8 wrong passwords, the two accounts and the address
	// they locked, and the three attempts refused while locked.
	metrics := string(s.doAs("", "GET", "/metrics", nil).want(200).Body)
	for _, want := range []string{`roster_sign_in_failures_total{check="password"} 8`, `roster_sign_in_lockouts_total{limit="account"} 2`,
		`roster_sign_in_lockouts_total{limit="address"} 1`, `roster_sign_in_refused_total{limit="account"} 2`, `roster_sign_in_refused_total{limit="address"} 1`} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestSecretsNeverLogged greps the server's whole log output for the
// passwords and secrets that went through it.
func TestSecretsNeverLogged(t *testing.T) {
	s := startServer(t, func(c *Config) { c.LogLevel = "debug" })
	secrets := []string{"log-Secret-one-1", "log-Secret-two-2", "log-Wrong-three"}
	u := s.userWithPassword(map[string]any{"email": "log@example.com"}, secrets[0])
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": u["id"]}).want(201).str("key")
	s.doAs(key, "POST", "/v1/users/me/password", map[string]any{"current_password": secrets[2], "new_password": secrets[1]}).want(422)
	s.doAs(key, "POST", "/v1/users/me/password", map[string]any{"current_password": secrets[0], "new_password": secrets[1]}).want(204)
	tok, err := s.signIn("log@example.com", secrets[1])
	if err != nil {
		t.Fatal(err)
	}
	s.signIn("log@example.com", secrets[2])
	cl := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "c", "scopes": []string{"users:read"}}).want(201).obj()
	secrets = append(secrets, tok.AccessToken, tok.RefreshToken, cl["client_secret"].(string), "$argon2id$")
	s.form("/v1/auth/revoke", url.Values{"token": {tok.RefreshToken}}).want(200)
	logs := s.logs.String()
	if !strings.Contains(logs, "/v1/auth/token") {
		t.Fatal("the log does not show the requests; is it captured?")
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the secret %q", secret)
		}
	}
}

func TestSecurityFlags(t *testing.T) {
	m := NewMain(io.Discard, io.Discard)
	env := map[string]string{"ROSTER_ARGON2_MEMORY": "128", "ROSTER_SIGNIN_ACCOUNT_FAILURES": "9"}
	if err := m.ParseFlags([]string{"--argon2-time", "3", "--access-token-ttl", "5m", "--password-min-length", "12"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	c := m.Config.Security
	if c.Argon2.Memory != 128 || c.Argon2.Time != 3 || c.AccessTokenTTL != 5*time.Minute || c.PasswordMinLength != 12 || c.AccountFailures != 9 {
		t.Fatalf("security config: %+v", c)
	}
	if err := NewMain(io.Discard, io.Discard).ParseFlags([]string{"--argon2-memory", "1"}, func(string) string { return "" }); err == nil {
		t.Fatal("argon2 memory of 1 KiB was accepted")
	}
	_ = service.DefaultSecurity()
}

// TestMalformedEnvironmentIsAnError: a ROSTER_* value that does not parse
// stops the start with a message naming it, instead of the default
// silently taking its place.
func TestMalformedEnvironmentIsAnError(t *testing.T) {
	for name, v := range map[string]string{"ROSTER_WEBHOOK_TIMEOUT": "10", "ROSTER_JSONP": "yes please", "ROSTER_WEBHOOK_CONCURRENCY": "many",
		"ROSTER_SIGNIN_ACCOUNT_LOCKOUT": "15 minutes", "ROSTER_ARGON2_MEMORY": "19MiB"} {
		err := NewMain(io.Discard, io.Discard).ParseFlags(nil, func(k string) string { return map[string]string{name: v}[k] })
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: %v, want an error naming it", name, v, err)
		}
	}
	ok := map[string]string{"ROSTER_WEBHOOK_TIMEOUT": "3s", "ROSTER_JSONP": "true", "ROSTER_WEBHOOK_CONCURRENCY": "8"}
	m := NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags(nil, func(k string) string { return ok[k] }); err != nil || m.Config.Webhooks.Timeout != 3*time.Second || !m.Config.JSONP {
		t.Fatalf("well-formed values: %v %+v", err, m.Config)
	}
}

// TestSignInTimingHidesUsernames compares how long a wrong password
// takes for a real and for an unknown username: both verify one argon2id
// hash, so the medians are close (the bound is loose, for a loaded
// machine; without the dummy hash the unknown name would answer about a
// hash faster).
func TestSignInTimingHidesUsernames(t *testing.T) {
	s := startServer(t, func(c *Config) {
		c.Security.Argon2 = passhash.Params{Memory: 16 * 1024, Time: 2, Threads: 1}
		c.Security.AccountFailures, c.Security.AddressFailures = 1000, 1000 // no lock during the measurement
	})
	s.userWithPassword(map[string]any{"email": "timing@example.com"}, "timing-Secret-1")
	attempt := func(name string) time.Duration {
		start := time.Now()
		s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {name}, "password": {"wrong-password-x"}}).want(400)
		return time.Since(start)
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	// Without a hash to check for unknown names the two differ a
	// hundredfold; the factor of 3 only absorbs a loaded machine, and the
	// attempts alternate so that a burst of load hits both kinds alike.
	// A comparison that still fails is measured again, twice at most.
	var known, unknown time.Duration
	for round := range 3 {
		var ks, us []time.Duration
		for range 7 {
			ks = append(ks, attempt("timing@example.com"))
			us = append(us, attempt("nobody-timing@example.com"))
		}
		known, unknown = median(ks), median(us)
		t.Logf("round %d, median of a wrong password: real user %v, unknown name %v", round+1, known, unknown)
		if unknown >= known/3 && unknown <= known*3 {
			return
		}
	}
	t.Errorf("wrong password for a real user: %v; for an unknown name: %v", known, unknown)
}

// TestCheckCommand: roster check reads the flags and ROSTER_* variables
// as serve does and says whether they hold, without starting anything.
func TestCheckCommand(t *testing.T) {
	var out, errOut strings.Builder
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir()}
	if err := run(context.Background(), []string{"check", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "the configuration is valid") {
		t.Fatalf("check of a good configuration: %v %q %q", err, out.String(), errOut.String())
	}
	if _, err := os.Stat(filepath.Join(env["ROSTER_DATA_DIR"], "roster.db")); !os.IsNotExist(err) {
		t.Errorf("check created the database: %v", err)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		says string
	}{
		{[]string{"check", "--addr", "8080"}, nil, "--addr"},
		{[]string{"check"}, map[string]string{"ROSTER_WEBHOOK_TIMEOUT": "10"}, "ROSTER_WEBHOOK_TIMEOUT"},
		{[]string{"check", "--trusted-proxies", "10.0.0.0/33"}, nil, "10.0.0.0/33"},
		{[]string{"check", "--database-url", "mysql://x"}, nil, "--database-url"},
		{[]string{"check"}, map[string]string{"ROSTER_CACHE_BYTES": "1G"}, "ROSTER_CACHE_BYTES"},
		{[]string{"check", "--cache-bytes", "1MiB"}, nil, "--cache-bytes"},
	} {
		err := run(context.Background(), c.args, func(k string) string { return c.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v %v: %v, want an error naming %s", c.args, c.env, err, c.says)
		}
	}
}
