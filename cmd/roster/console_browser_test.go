// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestBrowserConsole drives the console in headless Chromium
// (tools/browser/console.mjs): sign in, find a user among others by
// typing, edit, a validation error next to its field, a concurrent edit
// shown as a conflict, the audit trail, sessions, the organisation
// tree, a webhook's deliveries, test and retry, search → open → edit →
// save with the keyboard alone (every stop showing its focus), 375 px
// and dark, sign out; the search and user pages scanned by axe-core with no serious or critical
// violation. Screenshots go to ROSTER_SCREENSHOTS (docs/console to
// refresh the committed ones), else a temporary folder.
func TestBrowserConsole(t *testing.T) {
	node, dir := browserTools(t)
	chrome := chromiumPath(t)
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "olga@example.com", "first_name": "Olga", "last_name": "Operator", "roles": []string{"admin"}}, "olga-Secret-1")
	for i := range 40 {
		s.createUser(map[string]any{"email": fmt.Sprintf("person%02d@example.com", i), "first_name": fmt.Sprintf("Person%02d", i), "last_name": "Smith"})
	}
	s.createUser(map[string]any{"email": "annika@example.com", "first_name": "Annika", "last_name": "Jansen"})
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	reseller := s.do("POST", "/v1/orgs", map[string]any{"name": "Acme Reseller", "parent_id": root}).want(201).str("id")
	s.do("POST", "/v1/orgs", map[string]any{"name": "Beta Client", "parent_id": reseller}).want(201)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down for maintenance", 500) }))
	t.Cleanup(failing.Close)
	s.do("POST", "/v1/webhooks", map[string]any{"name": "Billing sync", "url": failing.URL, "events": []string{"user.*"}}).want(201)
	app := s.newApp(t, nil)
	// The browser opens the console at the public URL, which its client's
	// redirect URI names (with ROSTER_TEST_PRISM, s.URL is Prism's).
	shots := os.Getenv("ROSTER_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	out := runNode(t, node, dir, "console.mjs", "ROSTER_URL="+s.issuer(), "USERNAME=olga@example.com", "PASSWORD=olga-Secret-1",
		"TARGET=Annika", "FIND=nnik", "KEY_FIND=Person07", "ROSTER_KEY="+s.Key,
		"RESELLER=Acme Reseller", "WEBHOOK=Billing sync", "APP_ID="+app.ID, "APP_REDIRECT="+app.Redirect, "CLIENT_ORG=Beta Client", "SHOTS="+shots, "CHROMIUM="+chrome)
	if v, _ := out["violations"].([]any); len(v) > 0 {
		t.Errorf("axe-core: serious or critical violations: %v", v)
	}
	var steps []string
	for _, s := range out["steps"].([]any) {
		steps = append(steps, s.(string))
	}
	for _, want := range []string{"signed in", "found by typing", "opened with the keyboard", "saved version 2", "error next to its field",
		"conflict shown", "conflict resolved without losing their change", "tag added and removed", "audit before/after", "sessions and two-factor state", "password set by an admin", "SSO link made",
		"organisation tree", "webhook deliveries, test and retry", "keyboard only", "signed out"} {
		if !slices.Contains(steps, want) {
			t.Errorf("step %q did not pass (passed: %v)", want, steps)
		}
	}
	if fmt.Sprint(out["searches"]) != "[nnik]" {
		t.Errorf("typing nnik sent the searches %v, want one (debounced)", out["searches"])
	}
	if kb, _ := out["keyboard"].(map[string]any); kb == nil || fmt.Sprint(kb["hidden"]) != "[]" {
		t.Errorf("keyboard only: stops that showed no focus: %v", out["keyboard"])
	}
	if out["password_error"] == "" {
		t.Error("no message next to New password for a short one")
	}
	if out["user_fits_375"] != true || out["users_fit_375"] != true {
		t.Errorf("at 375 px the pages scroll sideways: user %v, users %v", out["user_fits_375"], out["users_fit_375"])
	}
	t.Logf("the message next to Time zone: %v; from the last keystroke to the list: %v ms; keyboard only: %v; screenshots in %s",
		out["field_error"], out["keystroke_to_list_ms"], out["keyboard"], shots)
}

// firefoxPath returns Debian's firefox-esr (or ROSTER_TEST_FIREFOX), or
// skips the test.
func firefoxPath(t *testing.T, dir string) string {
	t.Helper()
	p := browserPath(t, "ROSTER_TEST_FIREFOX", "/usr/bin/firefox-esr", "firefox-esr")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "puppeteer-core")); err != nil {
		t.Skipf("SKIP: puppeteer-core is not installed: npm ci --prefix %s", dir)
	}
	return p
}

// TestBrowserConsoleFirefox drives the console in headless Firefox
// (tools/browser/firefox.mjs, puppeteer-core over WebDriver BiDi): sign
// in with a password, find a user by typing, open it, edit a field and
// see the new version. The long scenario is Chromium's.
func TestBrowserConsoleFirefox(t *testing.T) {
	node, dir := browserTools(t)
	firefox := firefoxPath(t, dir)
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "olga@example.com", "first_name": "Olga", "last_name": "Operator", "roles": []string{"admin"}}, "olga-Secret-1")
	for i := range 5 {
		s.createUser(map[string]any{"email": fmt.Sprintf("person%02d@example.com", i), "first_name": fmt.Sprintf("Person%02d", i), "last_name": "Smith"})
	}
	s.createUser(map[string]any{"email": "annika@example.com", "first_name": "Annika", "last_name": "Jansen"})
	out := runNode(t, node, dir, "firefox.mjs", "ROSTER_URL="+s.issuer(), "USERNAME=olga@example.com", "PASSWORD=olga-Secret-1",
		"TARGET=Annika", "FIND=nnik", "FIREFOX="+firefox)
	if got := fmt.Sprint(out["steps"]); got != "[signed in found by typing opened saved version 2]" {
		t.Errorf("steps passed: %s", got)
	}
	t.Logf("in %v", out["browser"])
}
