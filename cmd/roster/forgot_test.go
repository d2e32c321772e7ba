// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Tests of the forgot password pages (httpapi/forgot.go) and of the
// pages' languages and branding.

// langTransport sends every request of a browser with an Accept-Language.
type langTransport struct{ lang string }

func (l langTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", l.lang)
	return http.DefaultTransport.RoundTrip(r)
}

// newBrowserIn is a browser whose user reads the given languages.
func newBrowserIn(t *testing.T, s *testServer, acceptLanguage string) *browser {
	b := newBrowser(t, s)
	b.c.Transport = langTransport{acceptLanguage}
	return b
}

var forgotLinkRE = regexp.MustCompile(`<a href="(/oauth2/password/forgot[^"]*)">`)

// forgotLink returns the sign-in page's forgot password link.
func forgotLink(t *testing.T, page *response) string {
	t.Helper()
	m := forgotLinkRE.FindStringSubmatch(string(page.Body))
	if m == nil {
		t.Fatalf("the sign-in page has no forgot password link: %s", page.Body)
	}
	return html.UnescapeString(m[1])
}

// resetLink waits for the reset mail to an address and returns its link
// as a path on the server.
func resetLink(t *testing.T, s *testServer, sink *smtpSink, to string) string {
	t.Helper()
	m := sink.wait(t, to)
	l := linkRE.FindString(m.Text)
	if !strings.HasPrefix(l, s.issuer()+"/oauth2/password/reset?reset=") {
		t.Fatalf("the reset mail's link %q is not a reset page of %s", l, s.issuer())
	}
	return strings.TrimPrefix(l, s.issuer())
}

// serverWithMail starts a server whose mail goes to a real SMTP listener.
func serverWithMail(t *testing.T, configure ...func(*Config)) (*testServer, *smtpSink) {
	t.Helper()
	sink := startSMTP(t)
	s := startServer(t, append([]func(*Config){func(c *Config) { c.SMTPURL = "smtp://" + sink.addr }}, configure...)...)
	return s, sink
}

// askReset asks for a reset link on the forgot password page (no
// sign-in pending) and returns the link mailed to the account's address.
func (b *browser) askReset(sink *smtpSink, name, email string) string {
	b.t.Helper()
	b.submit(b.get("/oauth2/password/forgot").want(200), url.Values{"username": {name}}).want(200)
	return resetLink(b.t, b.s, sink, email)
}

// pageText is a page's body without its per-answer nonce and CSRF token.
func pageText(r *response) string {
	return regexp.MustCompile(`nonce="[^"]*"|--accent[^;]*;`).ReplaceAllString(string(r.Body), "")
}

func TestForgotPassword(t *testing.T) {
	s, sink := serverWithMail(t)
	u := s.userWithPassword(map[string]any{"email": "forgot@example.com", "username": "forgetful"}, "old-Secret-1")
	app := s.newApp(t, nil)
	conf := app.oauth(s, "openid", "offline_access")

	// A signed-in browser with a refresh token, which the reset ends.
	other := newBrowser(t, s)
	q, verifier := other.authorize(conf, "forgetful", "old-Secret-1")
	tok, err := exchange(t, conf, q.Get("code"), verifier)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("sign in before the reset: %v", err)
	}

	b := newBrowser(t, s)
	v := oauth2.GenerateVerifier()
	signIn := b.get(conf.AuthCodeURL("f-1", oauth2.S256ChallengeOption(v))).want(200)
	forgot := b.get(forgotLink(t, signIn)).want(200)
	if body := string(forgot.Body); !strings.Contains(body, `<label for="username">Username or email</label>`) || !strings.Contains(body, `name="csrf"`) ||
		!strings.Contains(body, `<html lang="en">`) {
		t.Fatalf("the forgot password page: %s", body)
	}
	// No CSRF token: refused.
	b.post("/oauth2/password/forgot", url.Values{"username": {"forgetful"}}).want(403)
	// Empty: the field says so.
	if r := b.submit(forgot, url.Values{"username": {" "}}); r.Status != 400 || !strings.Contains(string(r.Body), `id="username-error"`) {
		t.Fatalf("an empty name: %d %s", r.Status, r.Body)
	}
	// Unknown and known accounts get the same page.
	unknown := b.submit(forgot, url.Values{"username": {"nobody@example.com"}}).want(200)
	known := b.submit(forgot, url.Values{"username": {"FORGOT@example.com"}}).want(200)
	if pageText(unknown) != pageText(known) || !strings.Contains(string(known.Body), "If the account exists") {
		t.Errorf("the answers differ or say too much:\n%s\n%s", unknown.Body, known.Body)
	}

	link := resetLink(t, s, sink, "forgot@example.com")
	reset := b.get(link).want(200)
	if body := string(reset.Body); !strings.Contains(body, `<label for="new_password">New password</label>`) || !strings.Contains(body, "forgetful") ||
		!strings.Contains(body, `autocomplete="new-password"`) {
		t.Fatalf("the reset page: %s", body)
	}
	// A rule broken: the form again, the error next to the field.
	short := b.submit(reset, url.Values{"new_password": {"short"}})
	if body := string(short.Body); short.Status != 400 || !strings.Contains(body, `<p id="new-password-error" class="field-error">Too short: use at least 8 characters.</p>`) ||
		!strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("a short password: %d %s", short.Status, body)
	}
	if r := b.submit(short, url.Values{"new_password": {"forgot@example.com"}}); r.Status != 400 || !strings.Contains(string(r.Body), "Do not use your username") {
		t.Fatalf("the email as password: %d %s", r.Status, r.Body)
	}
	// Set: the sign-in page of the pending request, saying so.
	done := b.submit(short, url.Values{"new_password": {"new-Secret-2"}}).want(200)
	if body := string(done.Body); !strings.Contains(body, "Your password is changed") || !strings.Contains(body, `name="password"`) {
		t.Fatalf("after the reset: %s", body)
	}
	cb := b.signInPage(done, "forgetful", "new-Secret-2").location().Query()
	if cb.Get("code") == "" || cb.Get("state") != "f-1" {
		t.Fatalf("the sign-in after the reset: %v", cb)
	}
	// The link works once.
	if r := b.get(link); r.Status != 400 || !strings.Contains(string(r.Body), "This link does not work") {
		t.Fatalf("the link again: %d %s", r.Status, r.Body)
	}
	// The other browser's refresh token and session ended with the reset.
	tok.Expiry = time.Now().Add(-time.Minute) // so that the token source refreshes
	if _, err := conf.TokenSource(t.Context(), tok).Token(); err == nil {
		t.Error("a refresh token from before the reset still works")
	}
	if q := other.get(conf.AuthCodeURL("f-2", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none"))).location().Query(); q.Get("error") != "login_required" {
		t.Errorf("the other browser's session outlived the reset: %v", q)
	}
	// The old password is gone.
	s.do("POST", "/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"forgetful"}, "password": {"old-Secret-1"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded").want(400)
	ev := string(s.do("GET", "/v1/events?type=user.password_changed", nil).want(200).Body)
	if strings.Count(ev, `"type":"user.password_changed"`) != 2 || !strings.Contains(ev, u["id"].(string)) {
		t.Errorf("password events: %s", ev)
	}
	if ev := string(s.do("GET", "/v1/events?type=user.password_reset_requested", nil).want(200).Body); strings.Count(ev, `"type":"user.password_reset_requested"`) != 1 {
		t.Errorf("reset requests: %s", ev)
	}
	if ev := string(s.do("GET", "/v1/audit-events?target="+u["id"].(string), nil).want(200).Body); !strings.Contains(ev, "user.password_reset_requested") {
		t.Errorf("no audit entry of the reset request: %s", ev)
	}
	if ev := string(s.do("GET", "/v1/events?type=session.revoked", nil).want(200).Body); !strings.Contains(ev, `"type":"session.revoked"`) {
		t.Errorf("no session.revoked event: %s", ev)
	}
	if n := sink.count("nobody@example.com"); n != 0 {
		t.Errorf("%d mails to an address of no account", n)
	}
}

func TestForgotPasswordWithoutPendingSignIn(t *testing.T) {
	s, sink := serverWithMail(t)
	s.userWithPassword(map[string]any{"email": "alone@example.com", "username": "alone"}, "old-Secret-1")
	b := newBrowser(t, s)
	first := b.get(b.askReset(sink, "alone", "alone@example.com")).want(200)
	// Another browser may use the link too (the mail may be read anywhere);
	// opening it did not use it.
	other := newBrowser(t, s)
	reset := other.get(resetLink(t, s, sink, "alone@example.com")).want(200)
	done := other.submit(reset, url.Values{"new_password": {"new-Secret-2"}}).want(200)
	if !strings.Contains(string(done.Body), "Your password is changed") || strings.Contains(string(done.Body), `name="password"`) {
		t.Fatalf("the done page: %s", done.Body)
	}
	// The page opened first cannot use it again.
	if r := b.submit(first, url.Values{"new_password": {"third-Secret-3"}}); r.Status != 400 || !strings.Contains(string(r.Body), "This link does not work") {
		t.Fatalf("the link used twice: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{"/oauth2/password/reset", "/oauth2/password/reset?reset=rpr_nope", "/oauth2/password/reset?reset=a&reset=b"} {
		if r := b.get(bad); r.Status != 400 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
}

func TestForgotPasswordLimits(t *testing.T) {
	s, sink := serverWithMail(t, func(c *Config) {
		c.Security.EmailChangeLimit = 2
		c.Security.AddressFailures = 5
	})
	s.userWithPassword(map[string]any{"email": "many@example.com", "username": "many"}, "old-Secret-1")
	b := newBrowser(t, s)
	form := b.get("/oauth2/password/forgot").want(200)
	// The account's limit sends no more mail but answers alike.
	for i := 0; i < 5; i++ {
		b.submit(form, url.Values{"username": {"many"}}).want(200)
	}
	// The address's limit is a 429.
	r := b.submit(form, url.Values{"username": {"many"}})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("over the address's limit: %d %s", r.Status, r.Body)
	}
	sink.wait(t, "many@example.com")
	s.do("GET", "/healthz", nil) // let the dispatcher run a little
	if n := sink.count("many@example.com"); n > 2 {
		t.Errorf("%d mails, want at most 2", n)
	}
}

func TestPagesInDutch(t *testing.T) {
	s, sink := serverWithMail(t)
	s.userWithPassword(map[string]any{"email": "nl@example.com", "username": "henk"}, "old-Secret-1")
	s.userWithPassword(map[string]any{"email": "en@example.com", "username": "anne", "preferences": map[string]any{"language": "en-GB"}}, "old-Secret-1")
	conf := s.newApp(t, nil).oauth(s, "openid")
	b := newBrowserIn(t, s, "fr;q=0.9, nl-BE;q=0.8, en;q=0.5")
	v := oauth2.GenerateVerifier()
	signIn := b.get(conf.AuthCodeURL("nl-1", oauth2.S256ChallengeOption(v))).want(200)
	for _, want := range []string{`<html lang="nl">`, `<label for="username">Gebruikersnaam of e-mailadres</label>`, `<label for="password">Wachtwoord</label>`, "Wachtwoord vergeten?"} {
		if !strings.Contains(string(signIn.Body), want) {
			t.Errorf("the Dutch sign-in page lacks %s", want)
		}
	}
	if r := b.signInPage(signIn, "henk", "wrong-password"); !strings.Contains(string(r.Body), "De gebruikersnaam of het wachtwoord is onjuist.") {
		t.Errorf("a wrong password in Dutch: %s", r.Body)
	}
	forgot := b.get(forgotLink(t, signIn)).want(200)
	if !strings.Contains(string(forgot.Body), "Stel je wachtwoord opnieuw in") {
		t.Errorf("the Dutch forgot page: %s", forgot.Body)
	}
	b.submit(forgot, url.Values{"username": {"henk"}}).want(200)
	m := sink.wait(t, "nl@example.com")
	if !strings.Contains(m.Subject, "opnieuw in") || !strings.Contains(m.Text, "Kies hier een nieuw wachtwoord") {
		t.Errorf("the reset mail is not in Dutch: %s\n%s", m.Subject, m.Text)
	}
	reset := b.get(resetLink(t, s, sink, "nl@example.com")).want(200)
	if r := b.submit(reset, url.Values{"new_password": {"kort"}}); !strings.Contains(string(r.Body), "Te kort: gebruik minstens 8 tekens.") {
		t.Errorf("a rule in Dutch: %s", r.Body)
	}
	// The user's own preference goes before the browser's.
	link := b.askReset(sink, "anne", "en@example.com")
	if m := sink.wait(t, "en@example.com"); !strings.Contains(m.Subject, "Reset your") {
		t.Errorf("the mail of a user who prefers English: %s", m.Subject)
	}
	if r := b.get(link).want(200); !strings.Contains(string(r.Body), `<html lang="en">`) {
		t.Errorf("the reset page of a user who prefers English: %s", r.Body)
	}
	// A refusal the server words in English only: said in Dutch, the
	// details marked as English.
	if r := b.get("/oauth2/authorize?client_id=cli_unknown"); r.Status != 400 || !strings.Contains(string(r.Body), `Het verzoek is niet geldig. <span lang="en">`) {
		t.Errorf("a Dutch error page: %d %s", r.Status, r.Body)
	}
	// No language the pages speak: English.
	if r := newBrowserIn(t, s, "de, fr;q=0.5").get(conf.AuthCodeURL("nl-2", oauth2.S256ChallengeOption(v))); !strings.Contains(string(r.Body), `<html lang="en">`) {
		t.Errorf("German asked: %s", r.Body)
	}
}

func TestPagesBranding(t *testing.T) {
	s := startServer(t)
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Lichte <Kleur> BV", "parent_id": root,
		"white_label": map[string]any{"logo_url": "https://cdn.example/l.png?a=1&b=2", "header_background_color": "#F6F8FA"}}).want(201).obj()
	app := s.newApp(t, map[string]any{"organization_id": org["id"]})
	page := newBrowser(t, s).get(app.oauth(s, "openid").AuthCodeURL("b-1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))).want(200)
	body := string(page.Body)
	for _, want := range []string{`--accent: #f6f8fa; --accent-text: #000000;`, `<img src="https://cdn.example/l.png?a=1&amp;b=2" alt="Lichte &lt;Kleur&gt; BV logo">`,
		`<span class="org">Lichte &lt;Kleur&gt; BV</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the branded page lacks %s", want)
		}
	}
	csp := page.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'nonce-") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(body, `<style nonce="`) {
		t.Errorf("styles outside the nonce: %s", csp)
	}
	// A dark colour gets white text; no white label, the default.
	s.do("PATCH", "/v1/orgs/"+org["id"].(string), map[string]any{"white_label": map[string]any{"header_background_color": "#0a1f44"}}).want(200)
	if body := string(newBrowser(t, s).get(app.oauth(s, "openid").AuthCodeURL("b-2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))).Body); !strings.Contains(body, `--accent: #0a1f44; --accent-text: #ffffff;`) {
		t.Errorf("dark accent: %s", body)
	}
}

// TestPasswordResetLinkRace: of concurrent uses of one link exactly one
// sets the password (the token is used with one conditional UPDATE).
func TestPasswordResetLinkRace(t *testing.T) {
	s, sink := serverWithMail(t)
	s.userWithPassword(map[string]any{"email": "race@example.com", "username": "racer"}, "old-Secret-1")
	b := newBrowser(t, s)
	link := b.askReset(sink, "racer", "race@example.com")
	const n = 6
	pages := make([]*response, n)
	for i := range pages {
		pages[i] = b.get(link).want(200)
	}
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			action, vals := pageForm(t, pages[i])
			vals.Set("new_password", fmt.Sprintf("racing-Secret-%d", i))
			req, _ := http.NewRequest("POST", s.URL+action, strings.NewReader(vals.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, c := range b.c.Jar.Cookies(req.URL) {
				req.AddCookie(c)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	won := 0
	for st := range statuses {
		switch st {
		case http.StatusOK:
			won++
		case http.StatusBadRequest:
		default:
			t.Errorf("a racing reset answered %d", st)
		}
	}
	if won != 1 {
		t.Errorf("%d resets won, want 1", won)
	}
	if ev := string(s.do("GET", "/v1/events?type=user.password_changed", nil).want(200).Body); strings.Count(ev, `"type":"user.password_changed"`) != 2 {
		t.Errorf("password events (the first password and one reset): %s", ev)
	}
}
