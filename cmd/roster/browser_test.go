// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Tests that run Node scripts of tools/browser (pinned by its
// package-lock.json; scripts/test.sh installs them): the hosted pages in
// headless Chromium with axe-core, and openid-client as a relying party.

// browserTools returns node and the tools/browser folder, or skips the
// test saying what is missing.
func browserTools(t *testing.T) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP: node not found (install Node.js 20+; scripts/test.sh runs these tests when it is there)")
	}
	dir, err = filepath.Abs(filepath.Join("..", "..", "tools", "browser"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Skipf("SKIP: the browser tools are not installed: npm ci --prefix %s", dir)
	}
	return node, dir
}

// chromiumPath returns Debian's chromium (or ROSTER_TEST_CHROMIUM), or
// skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	return browserPath(t, "ROSTER_TEST_CHROMIUM", "/usr/bin/chromium", "chromium")
}

// browserPath returns the browser that the variable names, else the
// Debian package's at def, or skips the test saying how to get it.
func browserPath(t *testing.T, variable, def, pkg string) string {
	t.Helper()
	p := os.Getenv(variable)
	if p == "" {
		p = def
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("SKIP: no %s at %s (apt-get install %s, or set %s)", pkg, p, pkg, variable)
	}
	return p
}

// runNode runs a script of tools/browser with environment additions and
// returns its last line of output, a JSON document.
func runNode(t *testing.T, node, dir, script string, env ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var out map[string]any
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &out); jerr != nil || err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	return out
}

// appSite is the app the browser comes back to: its callback, which
// hands the query to callback (an app exchanges its code at once), its
// logo, and the link of the latest reset mail (which the script cannot
// read from the SMTP listener itself).
func appSite(t *testing.T, sink *smtpSink, mailTo string, callback func(url.Values)) *httptest.Server {
	logo := image.NewRGBA(image.Rect(0, 0, 96, 32))
	for x := range 96 {
		for y := range 32 {
			logo.Set(x, y, color.RGBA{R: 10, G: uint8(60 + x), B: 120, A: 255})
		}
	}
	var logoPNG bytes.Buffer
	if err := png.Encode(&logoPNG, logo); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		callback(r.URL.Query())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>App</title><main><h1>Signed in</h1></main></html>`))
	})
	mux.HandleFunc("GET /logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(logoPNG.Bytes())
	})
	mux.HandleFunc("GET /mail", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(linkRE.FindString(sink.wait(t, mailTo).Text)))
	})
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	return site
}

// TestBrowserPages drives the hosted pages in headless Chromium
// (tools/browser/pages.mjs): sign in with password and TOTP, consent,
// forgot password through the mail, the Dutch pages and an error page,
// each scanned by axe-core with no serious or critical violation. The
// screenshots go to ROSTER_SCREENSHOTS (docs/screenshots to refresh the
// committed ones), else a temporary folder.
func TestBrowserPages(t *testing.T) {
	node, dir := browserTools(t)
	chrome := chromiumPath(t)
	s, sink := serverWithMail(t)
	const email = "dana@example.com"
	var mu sync.Mutex
	var conf *oauth2.Config
	verifiers := map[string]string{}
	var exchanged []string // the states whose codes gave tokens
	site := appSite(t, sink, email, func(q url.Values) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := exchange(t, conf, q.Get("code"), verifiers[q.Get("state")]); err != nil {
			t.Errorf("sign-in %s: exchanging its code: %v", q.Get("state"), err)
			return
		}
		exchanged = append(exchanged, q.Get("state"))
	})

	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	s.do("PATCH", "/v1/orgs/"+root, map[string]any{"name": "Acme Telecom", "white_label": map[string]any{
		"logo_url": site.URL + "/logo.png", "header_background_color": "#0a5c8a"}}).want(200)
	u := s.userWithPassword(map[string]any{"email": email, "username": "dana", "first_name": "Dana"}, "first-Secret-1")
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": u["id"]}).want(201).str("key")
	totpSecret, _ := s.enrolTOTP(t, key)
	usedStep := time.Now().Unix() / 30 // the enrolment's code was of this step or the one before
	app := s.newApp(t, map[string]any{"name": "Fax Service", "first_party": false, "redirect_uris": []string{site.URL + "/cb"}})
	app.Redirect = site.URL + "/cb"
	mu.Lock()
	conf = app.oauth(s, "openid", "profile", "email")
	var urls []string
	for _, state := range []string{"signin", "forgot", "dutch"} {
		verifiers[state] = oauth2.GenerateVerifier()
		urls = append(urls, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifiers[state])))
	}
	mu.Unlock()
	shots := os.Getenv("ROSTER_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	out := runNode(t, node, dir, "pages.mjs", "ROSTER_URL="+s.URL, "AUTH_URLS="+strings.Join(urls, " "), "CALLBACK="+app.Redirect,
		"USERNAME=dana", "PASSWORD=first-Secret-1", "NEW_PASSWORD=second-Secret-2", "TOTP_SECRET="+totpSecret, "TOTP_USED_STEP="+strconv.FormatInt(usedStep, 10),
		"MAIL_URL="+site.URL+"/mail", "SHOTS="+shots, "CHROMIUM="+chrome)
	if v, _ := out["violations"].([]any); len(v) > 0 {
		t.Errorf("axe-core: serious or critical violations: %v", v)
	}
	pages, _ := out["pages"].([]any)
	if len(pages) != 11 {
		t.Errorf("%d pages scanned, want 11: %v", len(pages), pages)
	}
	for _, p := range pages {
		p := p.(map[string]any)
		want := "en"
		if strings.HasSuffix(p["page"].(string), "-nl") {
			want = "nl"
		}
		if p["lang"] != want {
			t.Errorf("page %s: <html lang=%q>, want %q", p["page"], p["lang"], want)
		}
	}
	// Both sign-ins came back to the app with codes that gave tokens.
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(exchanged, " ") != "signin forgot" {
		t.Errorf("sign-ins exchanged: %v, want signin and forgot", exchanged)
	}
	t.Logf("screenshots in %s", shots)
}

// TestOpenIDClientRelyingParty runs openid-client 6 as a relying party
// (tools/browser/rp.mjs): discovery, code + PKCE through the pages with
// fetch and a cookie jar, the ID token verified, userinfo. It talks to
// the server itself (its issuer), not through Prism.
func TestOpenIDClientRelyingParty(t *testing.T) {
	node, dir := browserTools(t)
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "rp@example.com", "username": "rp-user", "first_name": "Ruth"}, "rp-Secret-1")
	app := s.newApp(t, map[string]any{"name": "Relying Party", "first_party": false})
	out := runNode(t, node, dir, "rp.mjs", "ROSTER_ISSUER="+s.issuer(), "CLIENT_ID="+app.ID, "CLIENT_SECRET="+app.Secret,
		"REDIRECT_URI="+app.Redirect, "USERNAME=rp-user", "PASSWORD=rp-Secret-1")
	claims, _ := out["claims"].(map[string]any)
	info, _ := out["userinfo"].(map[string]any)
	if out["issuer"] != s.issuer() || claims["sub"] != u["id"] || claims["iss"] != s.issuer() || claims["aud"] != app.ID {
		t.Errorf("ID token claims %v (issuer %v)", claims, out["issuer"])
	}
	if info["sub"] != u["id"] || info["email"] != "rp@example.com" || info["preferred_username"] != "rp-user" || info["given_name"] != "Ruth" {
		t.Errorf("userinfo %v", info)
	}
	if pages, _ := out["pages"].([]any); len(pages) != 1 {
		t.Errorf("consent pages: %v", out["pages"])
	}
}
