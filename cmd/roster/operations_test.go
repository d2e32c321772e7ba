// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestOperationsFilesUseRealMetrics: every roster_*, process_* and go_*
// series that the alert rules and the dashboard in docs/operations use is
// one the server exports (a rename would leave them silently empty), and
// the metrics the issue asks for are there with their labels.
func TestOperationsFilesUseRealMetrics(t *testing.T) {
	s := startServer(t)
	// Series with labels appear once something happened: a request of
	// each kind the files look at.
	s.do("GET", "/v1/users/me", nil).want(200)
	s.do("GET", "/v1/users/me", nil).want(200) // its key now from the read cache
	s.doAs("", "GET", "/v1/users/me", nil).want(401)
	s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"nobody@example.com"}, "password": {"wrong-password-1"}}).want(400)
	metrics := string(s.doAs("", "GET", "/metrics", nil).want(200).Body)
	store := "sqlite"
	if onPostgres() {
		store = "postgres"
	}
	exported := map[string]bool{}
	for _, line := range strings.Split(metrics, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			exported[strings.Fields(name)[0]] = true
		}
	}
	// The read cache is the embedded store's alone.
	embeddedOnly := map[string]bool{"roster_store_cache_lookups_total": true, "roster_store_cache_bytes": true, "roster_store_cache_max_bytes": true}
	series := regexp.MustCompile(`\b(?:roster|process|go)_[a-z_]+\b`)
	for _, file := range []string{"../../docs/operations/alerts.yml", "../../docs/operations/dashboard.json"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".json") && !json.Valid(b) {
			t.Errorf("%s is not JSON", file)
		}
		used := series.FindAllString(string(b), -1)
		if len(used) < 5 {
			t.Fatalf("%s names only %v", file, used)
		}
		for _, name := range used {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if !exported[base] && !(onPostgres() && embeddedOnly[base]) {
				t.Errorf("%s uses %s, which the server does not export", file, name)
			}
		}
	}
	for _, want := range []string{`roster_http_request_duration_seconds_bucket{route="GET /v1/users/{id}",status_class="2xx"`,
		`roster_token_requests_total{grant="password",outcome="invalid_grant"} 1`, "roster_http_requests_in_flight 1",
		`roster_webhook_deliveries_pending{webhook_status="enabled"} 0`, `roster_webhook_oldest_pending_delivery_age_seconds{webhook_status="disabled"} 0`,
		"roster_mail_queued 0", "roster_backlog_scrape_ok 1",
		`roster_sign_in_failures_total{check="password"} 1`, `roster_sign_in_lockouts_total{limit="account"} 0`, `roster_sign_in_refused_total{limit="address"} 0`,
		`roster_store_update_duration_seconds_bucket{outcome="ok",store="` + store + `"`,
		`roster_store_transaction_duration_seconds_bucket{store="` + store + `"`, `roster_store_transaction_updates_bucket{store="` + store + `"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !onPostgres() && !regexp.MustCompile(`roster_store_cache_lookups_total\{kind="credential",result="hit"\} [1-9]`).MatchString(metrics) {
		t.Errorf("/metrics lacks the read cache's hits of credentials (the key of every request)")
	}
}
