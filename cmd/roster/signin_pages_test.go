// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// Helpers of the sign-in page tests: an app registered as an OAuth
// client, and a browser (a cookie jar that does not follow redirects)
// that fills in the pages' forms as a person would.

// testApp is an app's client registration.
type testApp struct {
	ID, Secret, Redirect, LogoutRedirect string
}

// newApp registers an app: a first-party confidential client with the
// authorization_code and refresh_token grants unless fields say
// otherwise.
func (s *testServer) newApp(t *testing.T, fields map[string]any) testApp {
	t.Helper()
	a := testApp{Redirect: "https://app.example/cb", LogoutRedirect: "https://app.example/bye"}
	body := map[string]any{"name": "App", "type": "confidential", "first_party": true, "redirect_uris": []string{a.Redirect},
		"post_logout_redirect_uris": []string{a.LogoutRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"allowed_scopes": []string{"openid", "profile", "email", "offline_access", "users:read"}}
	for k, v := range fields {
		body[k] = v
	}
	c := s.do("POST", "/v1/oauth-clients", body).want(201).obj()
	a.ID = c["client_id"].(string)
	a.Secret, _ = c["client_secret"].(string)
	return a
}

// oauth returns the app's x/oauth2 configuration.
func (a testApp) oauth(s *testServer, scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: a.ID, ClientSecret: a.Secret, RedirectURL: a.Redirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/oauth2/authorize", TokenURL: s.URL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInHeader}}
}

// browser is a person's browser: cookies kept, redirects not followed.
type browser struct {
	t *testing.T
	s *testServer
	c *http.Client
}

func newBrowser(t *testing.T, s *testServer) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) send(req *http.Request) *response {
	b.t.Helper()
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &response{t: b.t, Status: res.StatusCode, Header: res.Header, Body: body}
}

// get opens a URL (absolute, or a path on the server).
func (b *browser) get(u string) *response {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.s.URL + u
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

// post sends a form to a path on the server.
func (b *browser) post(path string, vals url.Values) *response {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.s.URL+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

var (
	formRE  = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)">(.*?)</form>`)
	inputRE = regexp.MustCompile(`<input ([^>]*)>`)
	attrRE  = regexp.MustCompile(`(\w[\w-]*)="([^"]*)"`)
)

// pageForm returns the page's one POST form: its action and its hidden
// inputs' values.
func pageForm(t *testing.T, page *response) (string, url.Values) {
	t.Helper()
	forms := formRE.FindAllStringSubmatch(string(page.Body), -1)
	if len(forms) != 1 {
		t.Fatalf("the page has %d post forms, want 1: %d %s", len(forms), page.Status, page.Body)
	}
	vals := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(forms[0][2], -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(in[1], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		if attrs["type"] == "hidden" {
			vals.Set(attrs["name"], attrs["value"])
		}
	}
	return html.UnescapeString(forms[0][1]), vals
}

// submit fills in the page's form with fields and sends it.
func (b *browser) submit(page *response, fields url.Values) *response {
	b.t.Helper()
	action, vals := pageForm(b.t, page)
	for k, v := range fields {
		vals[k] = v
	}
	return b.post(action, vals)
}

// location returns a redirect's target.
func (r *response) location() *url.URL {
	r.t.Helper()
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther {
		r.t.Fatalf("status %d, want a redirect: %s", r.Status, r.Body)
	}
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		r.t.Fatal(err)
	}
	return u
}

// signInPage signs in on a sign-in page with username and password.
func (b *browser) signInPage(page *response, username, password string) *response {
	b.t.Helper()
	if !strings.Contains(string(page.Body), `name="username"`) {
		b.t.Fatalf("not the sign-in page: %d %s", page.Status, page.Body)
	}
	return b.submit(page, url.Values{"username": {username}, "password": {password}})
}

// authorize runs a code flow with PKCE through the pages and returns the
// callback's query.
func (b *browser) authorize(conf *oauth2.Config, username, password string, opts ...oauth2.AuthCodeOption) (url.Values, string) {
	b.t.Helper()
	verifier := oauth2.GenerateVerifier()
	page := b.get(conf.AuthCodeURL("st-1", append(opts, oauth2.S256ChallengeOption(verifier))...))
	if page.Status == http.StatusOK {
		page = b.signInPage(page, username, password)
	}
	return page.location().Query(), verifier
}

// oauthJSON decodes an OAuth JSON answer.
func oauthJSON(t *testing.T, r *response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%d %s: %v", r.Status, r.Body, err)
	}
	return m
}

// exchange trades a code for tokens with the app's own secret.
func exchange(t *testing.T, conf *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	t.Helper()
	return conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
}
