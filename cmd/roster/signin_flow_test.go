// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The authorization code flow through the hosted pages (PRODUCT.md
// sections 9 and 13), driven as a browser and an app would.

func TestSignInPageCodeFlow(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "page@example.com", "username": "pager"}, "page-Secret-1")
	app := s.newApp(t, nil)
	conf := app.oauth(s, "openid", "email", "offline_access", "users:read")
	b := newBrowser(t, s)
	verifier := oauth2.GenerateVerifier()
	page := b.get(conf.AuthCodeURL("st-<&\"1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-1")))
	page.want(200)
	body := string(page.Body)
	for _, want := range []string{`<html lang="en">`, `<h1>`, `<label for="username">Username or email</label>`, `<label for="password">Password</label>`,
		`name="username"`, `name="password"`, `type="password"`, `name="csrf"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, `st-<&"1`) {
		t.Error("the sign-in page has a script or shows the state unescaped")
	}
	h := page.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "Content-Type": "text/html; charset=utf-8"} {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	if c := h.Get("Set-Cookie"); !strings.Contains(c, "roster_csrf=") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("the pre-session cookie: %q", c)
	}

	// A wrong password shows the page again, with the error linked to the
	// inputs and the username kept.
	wrong := b.signInPage(page, "page@example.com", "not-the-password")
	wrong.want(400)
	if w := string(wrong.Body); !strings.Contains(w, `role="alert"`) || !strings.Contains(w, `aria-describedby="form-error"`) || !strings.Contains(w, `value="page@example.com"`) {
		t.Errorf("the page after a wrong password: %s", w)
	}
	// By email, the right password: back to the app with a code and the
	// state as it was sent.
	done := b.signInPage(wrong, "PAGE@example.com", "page-Secret-1")
	if done.Status != http.StatusSeeOther {
		t.Fatalf("after signing in: %d %s", done.Status, done.Body)
	}
	cb := done.location()
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != app.Redirect {
		t.Fatalf("redirected to %s", got)
	}
	q := cb.Query()
	if q.Get("state") != `st-<&"1` || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	sc := done.Header.Get("Set-Cookie")
	for _, want := range []string{"roster_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("session cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Errorf("session cookie %q is Secure on an http server", sc)
	}

	tok, err := exchange(t, conf, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("token answer lacks a refresh token or ID token: %+v", tok)
	}
	me := s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).want(200).obj()
	if me["id"] != u["id"] {
		t.Fatalf("the access token is for %v", me["id"])
	}
	// The same code again: invalid_grant, and the tokens it gave are
	// revoked (RFC 6749 section 4.1.2).
	if _, err := exchange(t, conf, q.Get("code"), verifier); err == nil {
		t.Fatal("a code worked twice")
	} else if code, _ := oauthErrorCode(t, err); code != "invalid_grant" {
		t.Fatalf("code reuse: %s", code)
	}
	s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	r := s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {app.ID}, "client_secret": {app.Secret}})
	if r.Status != 400 {
		t.Fatalf("a refresh token of a reused code: %d %s", r.Status, r.Body)
	}

	// The session signs the user in at once next time: no page.
	q2, v2 := b.authorize(conf, "", "")
	tok2, err := exchange(t, conf, q2.Get("code"), v2)
	if err != nil {
		t.Fatal(err)
	}
	// prompt=login asks for the password again; prompt=none without a
	// session answers login_required to the app.
	if p := b.get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("login_hint", "pager"))); p.Status != 200 || !strings.Contains(string(p.Body), `value="pager"`) {
		t.Fatalf("prompt=login: %d", p.Status)
	}
	other := newBrowser(t, s)
	none := other.get(conf.AuthCodeURL("s-9", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "none"))).location().Query()
	if none.Get("error") != "login_required" || none.Get("state") != "s-9" {
		t.Fatalf("prompt=none without a session: %v", none)
	}

	// Refresh: only the app's own client may use its refresh token; it
	// rotates, and a reuse revokes the family.
	r = s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}})
	if r.Status != 401 || oauthJSON(t, r)["error"] != "invalid_client" {
		t.Fatalf("an app's refresh token without the app's credentials: %d %s", r.Status, r.Body)
	}
	stranger := s.newApp(t, nil)
	r = s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok2.RefreshToken}, "client_id": {stranger.ID}, "client_secret": {stranger.Secret}})
	if r.Status != 400 || oauthJSON(t, r)["error"] != "invalid_grant" {
		t.Fatalf("another app's refresh: %d %s", r.Status, r.Body)
	}
	fresh, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == tok2.RefreshToken || fresh.Extra("id_token") == nil {
		t.Fatalf("refresh: %+v", fresh)
	}
	if _, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil {
		t.Fatal("a used refresh token worked again")
	}
	s.doAs(fresh.AccessToken, "GET", "/v1/users/me", nil).problem(401)

	// Events: the sign-in, its failure and nothing secret.
	ev := string(s.do("GET", "/v1/events?limit=200", nil).want(200).Body)
	for _, want := range []string{`"type":"session.created"`, `"type":"session.signin_failed"`} {
		if !strings.Contains(ev, want) {
			t.Errorf("no %s event", want)
		}
	}
	for _, secret := range []string{"page-Secret-1", "not-the-password", "rsc_", "rac_"} {
		if strings.Contains(ev, secret) {
			t.Errorf("an event holds %q", secret)
		}
	}
}

func TestSignInPageRefusals(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "ref@example.com"}, "ref-Secret-1")
	app := s.newApp(t, nil)
	conf := app.oauth(s, "openid")
	b := newBrowser(t, s)
	v := oauth2.GenerateVerifier()

	// A redirect URI that is not registered, or an unknown client: an
	// error page, never a redirect.
	for name, u := range map[string]string{
		"wrong redirect_uri": strings.Replace(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), url.QueryEscape(app.Redirect), url.QueryEscape("https://evil.example/cb"), 1),
		"unknown client":     strings.Replace(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), app.ID, "cli_01HZZZZZZZZZZZZZZZZZZZZZZZ", 1),
		"no client":          s.URL + "/oauth2/authorize?response_type=code&redirect_uri=" + url.QueryEscape(app.Redirect),
	} {
		r := b.get(u)
		if r.Status != 400 || r.Header.Get("Location") != "" || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d Location %q", name, r.Status, r.Header.Get("Location"))
		}
		if strings.Contains(string(r.Body), "evil.example") {
			t.Errorf("%s: the page shows the redirect URI", name)
		}
	}
	// Errors once the redirect URI is trusted go back to the app.
	public := s.newApp(t, map[string]any{"type": "public"})
	pconf := public.oauth(s, "openid")
	for name, c := range map[string]struct {
		url, err string
	}{
		"public client without PKCE": {pconf.AuthCodeURL("s1"), "invalid_request"},
		"plain PKCE":                 {conf.AuthCodeURL("s1", oauth2.SetAuthURLParam("code_challenge", v), oauth2.SetAuthURLParam("code_challenge_method", "plain")), "invalid_request"},
		"token response type":        {conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("response_type", "token")), "unsupported_response_type"},
		"scope not allowed":          {app.oauth(s, "openid", "users:write:all").AuthCodeURL("s1", oauth2.S256ChallengeOption(v)), "invalid_scope"},
		"no scope":                   {app.oauth(s).AuthCodeURL("s1", oauth2.S256ChallengeOption(v)), "invalid_scope"},
	} {
		q := b.get(c.url).location().Query()
		if q.Get("error") != c.err || q.Get("state") != "s1" || q.Get("error_description") == "" {
			t.Errorf("%s: %v, want error %s", name, q, c.err)
		}
	}

	// PKCE: a missing or wrong verifier, or a code past its 60 seconds,
	// is invalid_grant.
	q, verifier := b.authorize(conf, "ref@example.com", "ref-Secret-1")
	for name, vals := range map[string]url.Values{
		"missing verifier": {},
		"wrong verifier":   {"code_verifier": {oauth2.GenerateVerifier()}},
	} {
		vals.Set("grant_type", "authorization_code")
		vals.Set("code", q.Get("code"))
		vals.Set("redirect_uri", app.Redirect)
		r := s.form("/v1/auth/token", vals, "Authorization", "Basic "+basicAuth(app.ID, app.Secret))
		if r.Status != 400 || oauthJSON(t, r)["error"] != "invalid_grant" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if _, err := exchange(t, conf, q.Get("code"), verifier); err == nil {
		t.Error("a code worked after a failed exchange used it")
	}
	q, verifier = b.authorize(conf, "", "")
	expireCodes(t, s)
	if _, err := exchange(t, conf, q.Get("code"), verifier); err == nil {
		t.Error("an expired code worked")
	}
	// Another app's code, and a wrong redirect_uri at the exchange.
	q, verifier = b.authorize(conf, "", "")
	if _, err := exchange(t, s.newApp(t, nil).oauth(s), q.Get("code"), verifier); err == nil {
		t.Error("another app exchanged the code")
	}

	// CSRF: a form without the browser's token, or from another browser.
	page := newBrowser(t, s).get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login")))
	_, vals := pageForm(t, page)
	vals.Set("username", "ref@example.com")
	vals.Set("password", "ref-Secret-1")
	if r := b.post("/oauth2/authorize", vals); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "did not come from this site") {
		t.Errorf("another browser's form: %d", r.Status)
	}
	own := b.get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login")))
	_, vals = pageForm(t, own)
	vals.Set("csrf", "x"+vals.Get("csrf")[1:])
	vals.Set("username", "ref@example.com")
	vals.Set("password", "ref-Secret-1")
	if r := b.post("/oauth2/authorize", vals); r.Status != http.StatusForbidden {
		t.Errorf("a wrong CSRF token: %d", r.Status)
	}
	// A hidden field that was changed does not open.
	_, vals = pageForm(t, own)
	vals.Set("request", vals.Get("request")[:20]+"AAAA"+vals.Get("request")[24:])
	if r := b.post("/oauth2/authorize", vals); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("a changed request field: %d", r.Status)
	}
}

// expireCodes makes every authorization code past its time.
func expireCodes(t *testing.T, s *testServer) {
	t.Helper()
	q, arg := `UPDATE auth_codes SET expires_at = ?`, any(time.Now().Add(-time.Minute).UnixMicro())
	if onPostgres() {
		q, arg = `UPDATE auth_codes SET expires_at = $1`, time.Now().Add(-time.Minute)
	}
	if _, err := storeSQL(t, s).Exec(q, arg); err != nil {
		t.Fatal(err)
	}
}

func TestSignInPageConsent(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "con@example.com"}, "con-Secret-1")
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	s.do("PATCH", "/v1/orgs/"+root, map[string]any{"white_label": map[string]any{"logo_url": "https://cdn.example/logo.png", "header_background_color": "#0a7e3b"}}).want(200)
	app := s.newApp(t, map[string]any{"first_party": false})
	conf := app.oauth(s, "openid", "email")
	b := newBrowser(t, s)
	v := oauth2.GenerateVerifier()
	page := b.signInPage(b.get(conf.AuthCodeURL("c-1", oauth2.S256ChallengeOption(v))), "con@example.com", "con-Secret-1")
	page.want(200)
	body := string(page.Body)
	for _, want := range []string{`name="consent" value="allow"`, `name="consent" value="deny"`, "See your email address", "Know who you are",
		`<img src="https://cdn.example/logo.png"`, "--accent: #0a7e3b"} {
		if !strings.Contains(body, want) {
			t.Errorf("the consent page lacks %s", want)
		}
	}
	// Deny: access_denied to the app, with its state.
	q := b.submit(page, url.Values{"consent": {"deny"}}).location().Query()
	if q.Get("error") != "access_denied" || q.Get("state") != "c-1" {
		t.Fatalf("deny: %v", q)
	}
	// Allow: a code; the next time no page; a new scope asks again.
	page = b.get(conf.AuthCodeURL("c-2", oauth2.S256ChallengeOption(v)))
	q = b.submit(page, url.Values{"consent": {"allow"}}).location().Query()
	if q.Get("code") == "" || q.Get("state") != "c-2" {
		t.Fatalf("allow: %v", q)
	}
	if q := b.get(conf.AuthCodeURL("c-3", oauth2.S256ChallengeOption(v))).location().Query(); q.Get("code") == "" {
		t.Fatalf("consented scopes asked again: %v", q)
	}
	page = b.get(app.oauth(s, "openid", "email", "profile").AuthCodeURL("c-4", oauth2.S256ChallengeOption(v)))
	if page.Status != 200 || !strings.Contains(string(page.Body), "See your name") || strings.Contains(string(page.Body), "See your email address") {
		t.Fatalf("a new scope: %d %s", page.Status, page.Body)
	}
	// prompt=none when consent is due: consent_required.
	if q := b.get(app.oauth(s, "openid", "profile").AuthCodeURL("c-5", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none"))).location().Query(); q.Get("error") != "consent_required" {
		t.Fatalf("prompt=none with consent due: %v", q)
	}
	ev := string(s.do("GET", "/v1/events?type=consent.granted", nil).want(200).Body)
	if !strings.Contains(ev, `"type":"consent.granted"`) || !strings.Contains(ev, app.ID) {
		t.Errorf("no consent.granted event: %s", ev)
	}
}

func TestSignInPageSecondFactor(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "two@example.com"}, "two-Secret-1")
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": u["id"]}).want(201).str("key")
	secret, recovery := s.enrolTOTP(t, key)
	conf := s.newApp(t, nil).oauth(s, "openid")
	b := newBrowser(t, s)
	v := oauth2.GenerateVerifier()
	page := b.signInPage(b.get(conf.AuthCodeURL("t-1", oauth2.S256ChallengeOption(v))), "two@example.com", "two-Secret-1")
	page.want(200)
	if body := string(page.Body); !strings.Contains(body, `<label for="totp">Authentication code</label>`) || !strings.Contains(body, `name="totp"`) {
		t.Fatalf("the second-factor page: %s", body)
	}
	wrong := b.submit(page, url.Values{"totp": {"000000"}})
	if wrong.Status != 400 || !strings.Contains(string(wrong.Body), "The code is wrong") || !strings.Contains(string(wrong.Body), `name="totp"`) {
		t.Fatalf("a wrong code: %d %s", wrong.Status, wrong.Body)
	}
	q := b.submit(wrong, url.Values{"totp": {totpCode(t, secret, time.Now().Add(30*time.Second))}}).location().Query()
	if q.Get("code") == "" || q.Get("state") != "t-1" {
		t.Fatalf("the right code: %v", q)
	}
	// A recovery code works in the same field.
	page = b.signInPage(b.get(conf.AuthCodeURL("t-2", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login"))), "two@example.com", "two-Secret-1")
	if q := b.submit(page, url.Values{"totp": {recovery[0]}}).location().Query(); q.Get("code") == "" {
		t.Fatalf("a recovery code: %v", q)
	}
	ev := string(s.do("GET", "/v1/events?type=session.signin_failed", nil).want(200).Body)
	if !strings.Contains(ev, "second-factor code") {
		t.Errorf("the wrong code is not recorded: %s", ev)
	}
}

func TestSignInPageDisabledMidSession(t *testing.T) {
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Client Co"}).want(201).str("id")
	u := s.userWithPassword(map[string]any{"email": "mid@example.com", "organization_id": org}, "mid-Secret-1")
	conf := s.newApp(t, nil).oauth(s, "openid", "offline_access", "users:read")
	for _, c := range []struct {
		name    string
		off, on func()
	}{
		{"user", func() { s.do("PATCH", "/v1/users/"+u["id"].(string), map[string]any{"status": "disabled"}).want(200) },
			func() { s.do("PATCH", "/v1/users/"+u["id"].(string), map[string]any{"status": "enabled"}).want(200) }},
		{"organisation", func() { s.do("PATCH", "/v1/orgs/"+org, map[string]any{"status": "disabled"}).want(200) },
			func() { s.do("PATCH", "/v1/orgs/"+org, map[string]any{"status": "enabled"}).want(200) }},
	} {
		b := newBrowser(t, s)
		q, v := b.authorize(conf, "mid@example.com", "mid-Secret-1")
		tok, err := exchange(t, conf, q.Get("code"), v)
		if err != nil {
			t.Fatal(err)
		}
		c.off()
		// The session stops at the next request: the page asks again,
		// and the password is refused like a wrong one.
		page := b.get(conf.AuthCodeURL("d", oauth2.S256ChallengeOption(v)))
		if page.Status != 200 || !strings.Contains(string(page.Body), `name="password"`) {
			t.Fatalf("%s disabled: the session still signs in: %d", c.name, page.Status)
		}
		if r := b.signInPage(page, "mid@example.com", "mid-Secret-1"); r.Status != 400 || !strings.Contains(string(r.Body), "username or password is wrong") {
			t.Fatalf("%s disabled: sign-in %d", c.name, r.Status)
		}
		s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).problem(401)
		if _, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
			t.Fatalf("%s disabled: its refresh token works", c.name)
		}
		c.on()
	}
}

func TestSignInPageLimitsShared(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "lim@example.com", "username": "limited"}, "lim-Secret-1")
	conf := s.newApp(t, nil).oauth(s, "openid")
	b := newBrowser(t, s)
	v := oauth2.GenerateVerifier()
	page := b.get(conf.AuthCodeURL("l", oauth2.S256ChallengeOption(v)))
	// Four wrong passwords on the page (by email and by username) and one
	// at the token endpoint lock the account for both.
	for i := range 4 {
		name := "lim@example.com"
		if i%2 == 1 {
			name = "LIMITED"
		}
		page = b.signInPage(page, name, "wrong-password-"+strconv.Itoa(i))
		page.want(400)
	}
	if _, err := s.signIn("limited", "wrong-password-x"); err == nil {
		t.Fatal("a wrong password signed in")
	}
	if _, err := s.signIn("limited", "lim-Secret-1"); err == nil {
		t.Fatal("the token endpoint ignores the page's failures")
	} else if _, status := oauthErrorCode(t, err); status != 429 {
		t.Fatalf("token endpoint after the page's failures: %d", status)
	}
	r := b.signInPage(page, "lim@example.com", "lim-Secret-1")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "Too many failed sign-ins") {
		t.Fatalf("the page when locked: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
}

func TestSignInPageLogout(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "out@example.com"}, "out-Secret-1")
	app := s.newApp(t, nil)
	conf := app.oauth(s, "openid", "offline_access", "users:read")
	b := newBrowser(t, s)
	q, v := b.authorize(conf, "out@example.com", "out-Secret-1")
	tok, err := exchange(t, conf, q.Get("code"), v)
	if err != nil {
		t.Fatal(err)
	}
	idToken := tok.Extra("id_token").(string)
	// Without an id_token_hint a link cannot sign the user out: it asks.
	ask := b.get("/oauth2/logout?client_id=" + app.ID + "&post_logout_redirect_uri=" + url.QueryEscape(app.LogoutRedirect) + "&state=bye-1")
	if ask.Status != 200 || !strings.Contains(string(ask.Body), `name="confirm"`) {
		t.Fatalf("logout without a hint: %d %s", ask.Status, ask.Body)
	}
	s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).want(200)
	// A redirect URI that is not registered: no redirect.
	if r := b.get("/oauth2/logout?id_token_hint=" + idToken + "&post_logout_redirect_uri=" + url.QueryEscape("https://evil.example/")); r.Status != 400 || r.Header.Get("Location") != "" {
		t.Fatalf("logout to an unregistered URI: %d %q", r.Status, r.Header.Get("Location"))
	}
	// With the hint: signed out, back to the app with its state; the
	// session's tokens are revoked.
	out := b.get("/oauth2/logout?id_token_hint=" + idToken + "&post_logout_redirect_uri=" + url.QueryEscape(app.LogoutRedirect) + "&state=bye-2")
	if loc := out.location(); loc.String() != app.LogoutRedirect+"?state=bye-2" {
		t.Fatalf("logout went to %s", loc)
	}
	s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	if _, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("the session's refresh token works after logout")
	}
	if page := b.get(conf.AuthCodeURL("again", oauth2.S256ChallengeOption(v))); page.Status != 200 {
		t.Fatalf("still signed in after logout: %d", page.Status)
	}
	// The confirmation page signs out with its form (and its CSRF token).
	b.authorize(conf, "out@example.com", "out-Secret-1")
	ask = b.get("/oauth2/logout")
	forged := url.Values{"confirm": {"yes"}, "csrf": {"forged"}}
	if r := b.post("/oauth2/logout", forged); r.Status != http.StatusForbidden {
		t.Fatalf("a forged confirmation: %d", r.Status)
	}
	done := b.submit(ask, url.Values{"confirm": {"yes"}})
	if done.Status != 200 || !strings.Contains(string(done.Body), "You are signed out") {
		t.Fatalf("confirmed logout: %d %s", done.Status, done.Body)
	}
	ev := string(s.do("GET", "/v1/events?type=session.revoked", nil).want(200).Body)
	if strings.Count(ev, `"type":"session.revoked"`) != 2 {
		t.Errorf("session.revoked events: %s", ev)
	}
	// The audit log has the sign-ins and sign-outs, with the address.
	audit := string(s.do("GET", "/v1/audit-events?limit=200", nil).want(200).Body)
	for _, want := range []string{"session.created", "session.revoked", "127.0.0.1"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
}

func TestSignInPageCookiesAndMaxAge(t *testing.T) {
	// Behind https (the public URL) the cookies are Secure.
	s := startServer(t, func(c *Config) { c.Security.PublicURL = "https://id.example" })
	s.userWithPassword(map[string]any{"email": "age@example.com"}, "age-Secret-1")
	conf := s.newApp(t, nil).oauth(s, "openid")
	b := newBrowser(t, s)
	v := oauth2.GenerateVerifier()
	page := b.get(conf.AuthCodeURL("a", oauth2.S256ChallengeOption(v)))
	if c := page.Header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Errorf("pre-session cookie behind https: %q", c)
	}
	done := b.signInPage(page, "age@example.com", "age-Secret-1")
	if c := done.Header.Get("Set-Cookie"); !strings.Contains(c, "roster_session=") || !strings.Contains(c, "Secure") {
		t.Errorf("session cookie behind https: %q", c)
	}
	// The session signs in (loopback counts as a secure origin for the
	// jar, as for browsers) unless max_age is exceeded: max_age=0 asks
	// for the password again.
	if q := b.get(conf.AuthCodeURL("a", oauth2.S256ChallengeOption(v))).location().Query(); q.Get("code") == "" {
		t.Fatalf("the session does not sign in: %v", q)
	}
	if p := b.get(conf.AuthCodeURL("a", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("max_age", "0"))); p.Status != 200 || !strings.Contains(string(p.Body), `name="password"`) {
		t.Errorf("max_age=0: %d", p.Status)
	}
	if q := b.get(conf.AuthCodeURL("a", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("max_age", "-1"))).location().Query(); q.Get("error") != "invalid_request" {
		t.Errorf("max_age=-1: %v", q)
	}
}

// TestCodeExchangedConcurrently: of two exchanges of one code at once,
// one wins and the other is a reuse, which revokes the winner's tokens.
func TestCodeExchangedConcurrently(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "race@example.com"}, "race-Secret-1")
	conf := s.newApp(t, nil).oauth(s, "openid", "users:read")
	for range 3 {
		q, v := newBrowser(t, s).authorize(conf, "race@example.com", "race-Secret-1")
		results := make(chan *oauth2.Token, 2)
		for range 2 {
			go func() {
				tok, _ := conf.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(v))
				results <- tok
			}()
		}
		var won []*oauth2.Token
		for range 2 {
			if tok := <-results; tok != nil {
				won = append(won, tok)
			}
		}
		if len(won) != 1 {
			t.Fatalf("%d exchanges of one code succeeded, want 1", len(won))
		}
		s.doAs(won[0].AccessToken, "GET", "/v1/users/me", nil).problem(401)
	}
}

// TestSignInPagePublicClient: a public client (a single-page or mobile
// app) sends client_id alone, with PKCE; a client without the grant is
// refused.
func TestSignInPagePublicClient(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "spa@example.com"}, "spa-Secret-1")
	app := s.newApp(t, map[string]any{"type": "public", "redirect_uris": []string{"http://127.0.0.1:5173/cb"}})
	if app.Secret != "" {
		t.Fatalf("a public client has a secret")
	}
	app.Redirect = "http://127.0.0.1:5173/cb"
	conf := app.oauth(s, "openid", "offline_access", "users:read")
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	q, v := newBrowser(t, s).authorize(conf, "spa@example.com", "spa-Secret-1")
	tok, err := exchange(t, conf, q.Get("code"), v)
	if err != nil {
		t.Fatal(err)
	}
	s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).want(200)
	// Its refresh token refreshes with client_id alone; a secret is
	// refused (a public client has none).
	r := s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {app.ID}, "client_secret": {"guess"}})
	if r.Status != 401 || oauthJSON(t, r)["error"] != "invalid_client" {
		t.Fatalf("a public client with a secret: %d %s", r.Status, r.Body)
	}
	if _, err := conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("a public client's refresh: %v", err)
	}
	// A client without the authorization_code grant: unauthorized_client
	// back to it.
	svc := s.newApp(t, map[string]any{"grant_types": []string{"client_credentials"}, "scopes": []string{"users:read"}})
	if q := newBrowser(t, s).get(svc.oauth(s, "openid").AuthCodeURL("u", oauth2.S256ChallengeOption(v))).location().Query(); q.Get("error") != "unauthorized_client" || q.Get("state") != "u" {
		t.Fatalf("a client without the grant: %v", q)
	}
}
