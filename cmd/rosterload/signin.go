// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The signin and refresh scenarios. signin is one whole OAuth 2.0
// authorization code sign-in with PKCE per iteration, through the hosted
// pages as a browser with no session would go through them: GET the
// authorization endpoint, fill in the sign-in form (its hidden fields and
// the CSRF cookie), follow the redirect to the code, exchange the code
// with its verifier at the token endpoint. refresh is the token
// endpoint's refresh_token grant, each worker following its own chain:
// every refresh uses the refresh token the previous one returned.

// redirectURI is the seeded app's callback. Nothing listens there: the
// load tool reads the code from the redirect and never follows it.
const redirectURI = "http://127.0.0.1/rosterload/callback"

// app is what the sign-in scenarios act with: a first-party confidential
// client, and users with a known password.
type app struct {
	clientID, secret string
	password         string
	usernames        []string
	mu               sync.Mutex // guards usernames while seeding, and chains
	chains           []string   // refresh: each worker's latest refresh token
}

// newSecret returns n random bytes, base64url without padding.
func newSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// seedSignIn registers the app and creates cfg.signInUsers users with
// one password, cfg.signInConns at a time: setting a password costs an
// argon2id hash, which the server gates.
func (l *loader) seedSignIn(ctx context.Context, stdout, stderr io.Writer) error {
	a := &app{password: "Rl-" + newSecret(12)}
	if err := l.registerApp(ctx, a); err != nil {
		return fmt.Errorf("registering the sign-in app: %w", err)
	}
	l.app = a
	fmt.Fprintf(stderr, "rosterload: creating %d users with passwords with %d conns\n", l.cfg.signInUsers, l.cfg.signInConns)
	runID := newSecret(6)
	r := l.measure(ctx, "seed-signin", l.cfg.signInConns, 0, l.cfg.signInUsers, func(ctx context.Context, c *http.Client, w, n int) error {
		return l.createSignInUser(ctx, c, fmt.Sprintf("load-%s-%d-%d", runID, w, n))
	})
	if ctx.Err() != nil {
		return fmt.Errorf("seeding sign-in users: %w", context.Cause(ctx))
	}
	if r.Errors > 0 || len(a.usernames) == 0 {
		return fmt.Errorf("seeding sign-in users: %d of %d failed: %v; first: %.300s", r.Errors, r.Requests, r.Statuses, r.FirstError)
	}
	fmt.Fprintf(stdout, "created %d users with passwords in %.2fs\n", len(a.usernames), r.Seconds)
	return nil
}

// registerApp creates the first-party confidential client (no consent
// page) with the code and refresh grants.
func (l *loader) registerApp(ctx context.Context, a *app) error {
	body, _ := json.Marshal(map[string]any{
		"name": "rosterload", "type": "confidential", "first_party": true, "redirect_uris": []string{redirectURI},
		"grant_types": []string{"authorization_code", "refresh_token"}, "allowed_scopes": strings.Fields(l.cfg.signInScope),
		"id_token_signed_response_alg": l.cfg.idTokenAlg,
	})
	var cl struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := l.create(ctx, "/v1/oauth-clients", string(body), &cl); err != nil {
		return err
	}
	if cl.ClientID == "" || cl.ClientSecret == "" {
		return fmt.Errorf("POST /v1/oauth-clients: no client_id and client_secret in the answer")
	}
	a.clientID, a.secret = cl.ClientID, cl.ClientSecret
	return nil
}

// createSignInUser creates one user and sets the app's password.
func (l *loader) createSignInUser(ctx context.Context, c *http.Client, username string) error {
	body := fmt.Sprintf(`{"username":%q,"email":"%s@example.com","first_name":%q,"last_name":%q}`, username, username, randomName(), randomName())
	resp, err := l.send(ctx, c, call{method: http.MethodPost, url: l.base + "/v1/users", body: body, contentType: "application/json", auth: true})
	if err != nil {
		return err
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || loc == nil || !strings.Contains(loc.Path, "/v1/users/") {
		return unexpected("POST /v1/users", resp)
	}
	pw, _ := json.Marshal(map[string]string{"new_password": l.app.password})
	resp, err = l.send(ctx, c, call{method: http.MethodPost, url: l.base + loc.Path + "/password", body: string(pw), contentType: "application/json", auth: true})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return unexpected("POST /v1/users/{id}/password", resp)
	}
	l.app.mu.Lock()
	l.app.usernames = append(l.app.usernames, username)
	l.app.mu.Unlock()
	return nil
}

// browser returns a client for one sign-in: the scenario's connections,
// a cookie jar of its own (a browser with no session yet), and redirects
// left to the caller.
func browser(c *http.Client) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: c.Transport, Timeout: c.Timeout, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// tokens is a token endpoint answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// signIn signs the user in through the pages and returns the tokens.
func (l *loader) signIn(ctx context.Context, c *http.Client, username string) (*tokens, error) {
	b := browser(c)
	verifier := newSecret(32) // 43 characters, RFC 7636's shortest
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := newSecret(12), newSecret(12)
	q := url.Values{"response_type": {"code"}, "client_id": {l.app.clientID}, "redirect_uri": {redirectURI}, "scope": {l.cfg.signInScope},
		"state": {state}, "nonce": {nonce}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	authorize := l.base + "/oauth2/authorize"
	action, fields, err := signInForm(ctx, b, authorize+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	fields.Set("username", username)
	fields.Set("password", l.app.password)
	code, err := submitSignIn(ctx, b, action, fields, state)
	if err != nil {
		return nil, err
	}
	return l.token(ctx, c, "token (authorization_code)", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}})
}

var (
	formRE  = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)">(.*?)</form>`)
	inputRE = regexp.MustCompile(`<input ([^>]*)>`)
	attrRE  = regexp.MustCompile(`([\w-]+)="([^"]*)"`)
)

// signInForm opens the authorization endpoint and returns the sign-in
// form's action (absolute) and hidden fields. The answer must be the
// sign-in page: anything else (an error page, a redirect) fails.
func signInForm(ctx context.Context, b *http.Client, u string) (string, url.Values, error) {
	const step = "GET /oauth2/authorize"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Accept", "text/html")
	resp, err := b.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, unexpected(step, resp)
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, err
	}
	forms := formRE.FindAllSubmatch(page, -1)
	if len(forms) != 1 || !strings.Contains(string(forms[0][2]), `name="password"`) {
		return "", nil, &failure{step + " 200", "not the sign-in page: " + string(page[:min(len(page), 300)])}
	}
	fields := url.Values{}
	for _, in := range inputRE.FindAllSubmatch(forms[0][2], -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllSubmatch(in[1], -1) {
			attrs[string(a[1])] = html.UnescapeString(string(a[2]))
		}
		if attrs["type"] == "hidden" {
			fields.Set(attrs["name"], attrs["value"])
		}
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(string(forms[0][1])))
	if err != nil {
		return "", nil, &failure{step + " 200", "the form's action: " + err.Error()}
	}
	return action.String(), fields, nil
}

// submitSignIn posts the filled-in sign-in form and returns the code of
// the redirect back to the app, which must carry the request's state.
func submitSignIn(ctx context.Context, b *http.Client, action string, fields url.Values, state string) (string, error) {
	const step = "POST /oauth2/authorize"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(fields.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	resp, err := b.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", unexpected(step, resp)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(to.String(), redirectURI+"?") {
		return "", &failure{step + " 303", "not a redirect to the app: " + resp.Header.Get("Location")}
	}
	back := to.Query()
	if back.Get("code") == "" || back.Get("state") != state {
		return "", &failure{step + " 303", "the redirect lacks the code or the state: " + resp.Header.Get("Location")}
	}
	return back.Get("code"), nil
}

// token makes a token request as the app (HTTP Basic) and checks the
// answer: a bearer access token, and the refresh token and ID token that
// the scope asks for.
func (l *loader) token(ctx context.Context, c *http.Client, step string, form url.Values) (*tokens, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/v1/auth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(l.app.clientID), url.QueryEscape(l.app.secret)) // RFC 6749 section 2.3.1
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, unexpected(step, resp)
	}
	var t tokens
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		return nil, &failure{step + " 200", "the answer is not JSON: " + err.Error()}
	}
	scope := strings.Fields(l.cfg.signInScope)
	switch {
	case t.AccessToken == "" || !strings.EqualFold(t.TokenType, "Bearer"):
		return nil, &failure{step + " 200", "no bearer access token in the answer"}
	case t.RefreshToken == "" && slices.Contains(scope, "offline_access"):
		return nil, &failure{step + " 200", "no refresh token in the answer, though offline_access was granted"}
	case t.IDToken == "" && slices.Contains(scope, "openid"):
		return nil, &failure{step + " 200", "no ID token in the answer, though openid was granted"}
	}
	return &t, nil
}

// signInIteration signs in the users in turn: worker w takes users w,
// w+conns, …, so that no two workers sign in one account at once (each
// attempt counts against the account until it succeeds).
func (l *loader) signInIteration(conns int) iteration {
	return func(ctx context.Context, c *http.Client, w, n int) error {
		_, err := l.signIn(ctx, c, l.app.usernames[(w+n*conns)%len(l.app.usernames)])
		return err
	}
}

// startChains signs in one user per refresh worker, outside the
// measurement, and keeps the refresh tokens.
func (l *loader) startChains(ctx context.Context, stderr io.Writer, conns int) error {
	a := l.app
	a.chains = make([]string, conns)
	start := time.Now()
	var next atomic.Int64
	r := l.measure(ctx, "refresh-start", min(l.cfg.signInConns, conns), 0, conns, func(ctx context.Context, c *http.Client, _, _ int) error {
		i := int(next.Add(1) - 1)
		t, err := l.signIn(ctx, c, a.usernames[i%len(a.usernames)])
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.chains[i] = t.RefreshToken
		a.mu.Unlock()
		return nil
	})
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if r.Errors > 0 {
		return fmt.Errorf("signing in the refresh chains: %d of %d failed: %v; first: %.300s", r.Errors, r.Requests, r.Statuses, r.FirstError)
	}
	fmt.Fprintf(stderr, "rosterload: refresh: %d chains signed in in %.2fs\n", conns, time.Since(start).Seconds())
	return nil
}

// refreshIteration refreshes worker w's chain with the refresh token the
// previous refresh returned. A refresh token works once (using one twice
// revokes its whole sign-in), so a failed refresh ends the chain: the
// worker's next iteration signs in again and counts as a failure too,
// so that a broken chain shows.
func (l *loader) refreshIteration() iteration {
	return func(ctx context.Context, c *http.Client, w, n int) error {
		a := l.app
		if a.chains[w] == "" {
			t, err := l.signIn(ctx, c, a.usernames[w%len(a.usernames)])
			if err != nil {
				return err
			}
			a.chains[w] = t.RefreshToken
			return &failure{"chain restarted", "a refresh failed before, so this worker signed in again"}
		}
		t, err := l.token(ctx, c, "token (refresh_token)", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.chains[w]}})
		a.chains[w] = ""
		if err != nil {
			return err
		}
		if t.RefreshToken == "" {
			return &failure{"token (refresh_token) 200", "no new refresh token: the chain cannot go on"}
		}
		a.chains[w] = t.RefreshToken
		return nil
	}
}
