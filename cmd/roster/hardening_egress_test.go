// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/pgtest"
)

// internalService is a real HTTP service on the IPv6 loopback that a
// webhook must never reach: it answers with a marker that would show in
// a test delivery's excerpt.
func internalService(t *testing.T) (port string, hits func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	n := 0
	hit := make(chan struct{}, 100)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit <- struct{}{}
		w.Write([]byte(`{"internal":"metadata-credentials-here"}`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, func() int {
		for {
			select {
			case <-hit:
				n++
			default:
				return n
			}
		}
	}
}

// TestWebhookRefusesZonedAddresses: an IPv6 literal with a zone id
// (http://[::1%25lo]:port/) is the loopback, a link-local or a private
// address all the same; without --allow-private-webhooks it is refused at
// creation (422, on url and on an OAuth token_url), so no test delivery
// ever reaches the internal service.
func TestWebhookRefusesZonedAddresses(t *testing.T) {
	s := startServer(t, func(c *Config) { c.AllowPrivateWebhooks = false })
	port, hits := internalService(t)
	zoned := []string{
		"http://[::1%25lo]:" + port + "/",
		"http://[fe80::1%25eth0]:" + port + "/",
		"http://[fd00:ec2::254%25eth0]/latest/meta-data/",
		"http://[::ffff:127.0.0.1%25lo]:" + port + "/",
	}
	for _, u := range zoned {
		res := s.do("POST", "/v1/webhooks", map[string]any{"url": u, "events": []string{"*"}})
		if res.Status == http.StatusCreated {
			// Show what the hole gives away before failing.
			id := res.str("id")
			test := s.do("POST", "/v1/webhooks/"+id+"/test", nil)
			t.Errorf("%s: created (201); its test answered %d %s", u, test.Status, test.Body)
			continue
		}
		p := res.problem(422)
		if locs := fieldErrors(p); len(locs) != 1 || locs[0] != "body.url" {
			t.Errorf("%s: errors at %v, want body.url: %v", u, locs, p)
		}
	}
	for _, u := range zoned {
		res := s.do("POST", "/v1/webhooks", map[string]any{"url": "https://93.184.215.14/hook", "events": []string{"*"},
			"auth": map[string]any{"type": "oauth2", "grant_type": "client_credentials", "token_url": u + "token", "client_id": "c", "client_secret": "s"}})
		if res.Status != 422 || !strings.Contains(string(res.Body), "body.auth.token_url") {
			t.Errorf("token_url %s: %d %s, want 422 on body.auth.token_url", u, res.Status, res.Body)
		}
	}
	if n := hits(); n != 0 {
		t.Errorf("the internal service was reached %d times", n)
	}
}

// restartable starts a server that the test stops itself (Main.Close),
// to start another on the same data.
func restartable(t *testing.T, configure ...func(*Config)) *testServer {
	t.Helper()
	m, logs := newTestMain(t, configure...)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, URL: "http://" + m.Addr(), Key: testKey, Main: m, logs: logs}
}

// TestDataFolderPrivate: the data folder is 0700 and the database, its
// WAL and shared-memory files and the generated secret key are 0600,
// whatever the umask, and a restart tightens files an earlier version
// left readable to others.
func TestDataFolderPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "roster-data")
	same := func(c *Config) { c.DataDir = dir }
	check := func(when string) {
		t.Helper()
		want := map[string]os.FileMode{"": 0o700, "secret.key": 0o600}
		if !onPostgres() {
			want["roster.db"], want["roster.db-wal"], want["roster.db-shm"] = 0o600, 0o600, 0o600
		}
		for name, mode := range want {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("%s: %v", when, err)
				continue
			}
			if got := fi.Mode().Perm(); got != mode {
				t.Errorf("%s: %s has mode %04o, want %04o", when, filepath.Join("<data-dir>", name), got, mode)
			}
		}
	}
	s := restartable(t, same)
	s.createUser(map[string]any{"email": "modes@example.com"})
	check("first start")
	if err := s.Main.Close(); err != nil {
		t.Fatal(err)
	}
	// As an earlier version left them.
	for _, name := range []string{"roster.db", "roster.db-wal", "roster.db-shm", "secret.key"} {
		os.Chmod(filepath.Join(dir, name), 0o644)
	}
	os.Chmod(dir, 0o755)
	s = startServer(t, same)
	s.createUser(map[string]any{"email": "modes2@example.com"})
	check("after a restart")
}

// TestSignInLimitBehindProxies: without --trusted-proxies a client that
// sends X-Forwarded-For still counts as its connection's address, so a
// new forged header per attempt does not escape the address block; with
// the loopback trusted, the right-most forwarded address that is not a
// trusted proxy is the client (an address the client put further left
// is not believed), for the limit and for the audit log.
func TestSignInLimitBehindProxies(t *testing.T) {
	limits := func(c *Config) { c.Security.AccountFailures, c.Security.AddressFailures = 1000, 3 }
	fail := func(s *testServer, i int, xff string) {
		t.Helper()
		r := s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {fmt.Sprintf("nobody%d@example.com", i)}, "password": {"wrong-password"}},
			"X-Forwarded-For", xff)
		if r.Status != 400 && r.Status != 401 {
			t.Fatalf("failed sign-in %d (X-Forwarded-For %s): %d %s", i, xff, r.Status, r.Body)
		}
	}
	signIn := func(s *testServer, xff string) int {
		t.Helper()
		return s.form("/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"proxied@example.com"}, "password": {"proxied-Secret-1"}},
			"X-Forwarded-For", xff).Status
	}

	t.Run("untrusted", func(t *testing.T) {
		s := startServer(t, limits)
		s.userWithPassword(map[string]any{"email": "proxied@example.com"}, "proxied-Secret-1")
		for i := range 3 {
			fail(s, i, fmt.Sprintf("203.0.113.%d", 10+i))
		}
		if st := signIn(s, "203.0.113.99"); st != http.StatusTooManyRequests {
			t.Fatalf("a forged X-Forwarded-For escaped the address block: %d, want 429", st)
		}
	})

	t.Run("loopback trusted", func(t *testing.T) {
		s := startServer(t, limits, func(c *Config) { c.TrustedProxies = "127.0.0.0/8, ::1/128" })
		s.userWithPassword(map[string]any{"email": "proxied@example.com"}, "proxied-Secret-1")
		for i := range 3 {
			// The left-most entry is the client's own forgery, changed each time.
			fail(s, i, fmt.Sprintf("198.51.100.%d, 203.0.113.7", i))
		}
		if st := signIn(s, "203.0.113.7"); st != http.StatusTooManyRequests {
			t.Fatalf("the forwarded address that failed 3 times: %d, want 429", st)
		}
		if st := signIn(s, "203.0.113.8, 127.0.0.1"); st != http.StatusOK {
			t.Fatalf("another forwarded address (behind two trusted proxies): %d, want 200", st)
		}
		// IPv6 clients are keyed by their /64.
		for i := range 3 {
			fail(s, 10+i, fmt.Sprintf("2001:db8:7:7::%x", i+1))
		}
		if st := signIn(s, "2001:db8:7:7:ffff::1"); st != http.StatusTooManyRequests {
			t.Fatalf("another address of the blocked /64: %d, want 429", st)
		}
		if st := signIn(s, "2001:db8:7:8::1"); st != http.StatusOK {
			t.Fatalf("an address of another /64: %d, want 200", st)
		}
		// The audit log shows the forwarded address.
		s.do("PATCH", "/v1/users/me", map[string]any{"last_name": "Proxied"}, "Content-Type", "application/merge-patch+json",
			"X-Forwarded-For", "192.0.2.55").want(http.StatusOK)
		if body := string(s.do("GET", "/v1/audit-events", nil).want(http.StatusOK).Body); !strings.Contains(body, `"client_ip":"192.0.2.55"`) {
			t.Errorf("the audit log does not show the forwarded address: %s", body)
		}
	})

	t.Run("malformed ranges", func(t *testing.T) {
		for _, v := range []string{"10.0.0.0/33", "10.0.0.0/8,proxy.internal", "fe80::1%eth0", "10.0.0.0/8;192.168.0.0/16"} {
			m := NewMain(io.Discard, io.Discard)
			err := m.ParseFlags(nil, func(k string) string { return map[string]string{"ROSTER_TRUSTED_PROXIES": v}[k] })
			if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
				t.Errorf("ROSTER_TRUSTED_PROXIES=%q: %v, want an error naming --trusted-proxies", v, err)
			}
			m = NewMain(io.Discard, io.Discard)
			if err := m.ParseFlags([]string{"--trusted-proxies", v}, func(string) string { return "" }); err == nil {
				t.Errorf("--trusted-proxies %q: no error", v)
			}
		}
		m := NewMain(io.Discard, io.Discard)
		if err := m.ParseFlags([]string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.1,2001:db8::/32"}, func(string) string { return "" }); err != nil {
			t.Errorf("valid ranges: %v", err)
		}
	})
}

// TestDeletedOrgLeavesNoWebhookThatSeesAll: deleting an organisation
// deletes its webhooks (webhook.deleted events, in the same transaction
// as org.deleted), and after a restart no webhook of a deleted
// organisation — neither one deleted with it, nor one an earlier
// version left behind (its organisation's row removed while the server
// was stopped) — is taken for a webhook of the root and sent the events
// of every organisation.
func TestDeletedOrgLeavesNoWebhookThatSeesAll(t *testing.T) {
	dir, dbURL := t.TempDir(), ""
	if onPostgres() {
		dbURL = pgtest.URL(t)
	}
	same := func(c *Config) { c.DataDir, c.DatabaseURL = dir, dbURL }
	s := restartable(t, same)
	deleted, orphaned, control := newReceiver(t), newReceiver(t), newReceiver(t)
	gone := s.do("POST", "/v1/orgs", map[string]any{"name": "Gone Ltd"}).want(201).str("id")
	left := s.do("POST", "/v1/orgs", map[string]any{"name": "Left Behind Ltd"}).want(201).str("id")
	goneHook := s.createWebhook(map[string]any{"url": deleted.URL, "events": []string{"*"}, "organization_id": gone})["id"].(string)
	leftHook := s.createWebhook(map[string]any{"url": orphaned.URL, "events": []string{"*"}, "organization_id": left})["id"].(string)
	s.createWebhook(map[string]any{"url": control.URL, "events": []string{"user.created"}})

	// Deleting its webhooks takes the scope that deleting each would.
	owner := s.do("GET", "/v1/users/me", nil).want(200).str("id")
	orgsOnly := s.do("POST", "/v1/api-keys", map[string]any{"name": "orgs only", "user_id": owner, "scopes": []string{"orgs:read", "orgs:write"}}).want(201).str("key")
	if p := s.doAs(orgsOnly, "DELETE", "/v1/orgs/"+gone, nil).problem(http.StatusForbidden); !strings.Contains(fmt.Sprint(p), "webhooks:write") {
		t.Errorf("deleting an organisation with webhooks without webhooks:write: %v", p)
	}
	s.do("GET", "/v1/orgs/"+gone, nil).want(http.StatusOK)
	s.do("DELETE", "/v1/orgs/"+gone, nil).want(http.StatusNoContent)
	if r := s.do("GET", "/v1/webhooks/"+goneHook, nil); r.Status != http.StatusNotFound {
		t.Errorf("the webhook of the deleted organisation: %d, want 404", r.Status)
	}
	var deletedHook, deletedOrg int
	for _, e := range feedOf(t, string(s.do("GET", "/v1/events?limit=200", nil).want(200).Body)) {
		switch {
		case e.Type == "webhook.deleted" && strings.Contains(string(mustJSON(e)), goneHook):
			deletedHook++
		case e.Type == "org.deleted":
			if deletedHook == 0 {
				t.Error("org.deleted comes before its webhook's webhook.deleted")
			}
			deletedOrg++
		}
	}
	if deletedHook != 1 || deletedOrg != 1 {
		t.Errorf("the feed holds %d webhook.deleted of the organisation's webhook and %d org.deleted, want 1 and 1", deletedHook, deletedOrg)
	}
	if err := s.Main.Close(); err != nil {
		t.Fatal(err)
	}
	// An earlier version deleted organisations and left their webhooks.
	db := storeSQL(t, s)
	if _, err := db.Exec(`DELETE FROM orgs WHERE id = $1`, left); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = startServer(t, same)
	s.createUser(map[string]any{"email": "everyone-sees-me@example.com"})
	control.wait(1)
	time.Sleep(1500 * time.Millisecond) // the other workers had their chance (they poll every second)
	for what, rc := range map[string]*receiver{"deleted with its organisation": deleted, "left behind by an earlier version": orphaned} {
		for _, a := range rc.arrivals() {
			if strings.Contains(string(a.Body), "everyone-sees-me@example.com") {
				t.Errorf("the webhook of an organisation %s got an event of the root organisation: %s", what, a.Body)
			}
		}
	}
	// The root organisation is still the root: its owner sees everything.
	if body := string(s.do("GET", "/v1/webhooks", nil).want(200).Body); !strings.Contains(body, leftHook) {
		t.Errorf("the owner of the root does not see the webhook left behind: %s", body)
	}
}

// outboxRow is a row of mail_outbox as the database holds it.
type outboxRow struct {
	ID, Status, LastError string
	Attempts              int
	Doc                   string
}

func outboxRows(t *testing.T, s *testServer) []outboxRow {
	t.Helper()
	db := storeSQL(t, s)
	defer db.Close()
	rows, err := db.Query(`SELECT id, status, attempts, last_error, CAST(doc AS TEXT) FROM mail_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.ID, &r.Status, &r.Attempts, &r.LastError, &r.Doc); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMailOutboxKeepsNoSecret: the outbox holds the body of a queued
// mail sealed (an invitation's link and an email change's code and link
// are never in the database in clear, not even while the mail waits for
// a retry), and once a mail is sent its body is gone. On the embedded
// store the database files themselves are searched for the secrets.
func TestMailOutboxKeepsNoSecret(t *testing.T) {
	sink := startSMTP(t)
	sink.failFirst = 1 // the first mail waits in the outbox for its retry (5 s)
	s := startServer(t, func(c *Config) {
		c.SMTPURL = "smtp://" + sink.addr
		c.Security.AppURL = "https://app.example.com"
	})
	u := s.do("POST", "/v1/users", map[string]any{"first_name": "Ivy", "email": "ivy@example.com", "send_invite": true}).want(201).obj()
	// While the invitation waits for its retry, its row holds no link.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rows := outboxRows(t, s)
		if len(rows) == 1 && strings.HasPrefix(rows[0].Status, "queued") && rows[0].LastError != "" {
			if strings.Contains(rows[0].Doc, "set-password") || strings.Contains(rows[0].Doc, "token=") || strings.Contains(rows[0].Doc, "Hello Ivy") {
				t.Errorf("a queued invitation is stored in clear: %s", rows[0].Doc)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the invitation's first attempt was not recorded: %+v", rows)
		}
	}
	invite := sink.wait(t, "ivy@example.com")
	secrets := []string{linkParam(t, invite, "token")}
	s.do("POST", "/v1/users/"+u["id"].(string)+"/password", map[string]any{"new_password": "Ivy-Secret-pass-1"}).want(http.StatusNoContent)
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "ivy", "user_id": u["id"]}).want(201).str("key")
	s.doAs(key, "POST", "/v1/users/me/email-change", map[string]any{"email": "ivy@new.example"}).want(http.StatusAccepted)
	change := sink.wait(t, "ivy@new.example")
	code := mailCode(t, change)
	secrets = append(secrets, linkParam(t, change, "token"))

	// Every mail sent: its body is gone from the outbox.
	var rows []outboxRow
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rows = outboxRows(t, s)
		sent := 0
		for _, r := range rows {
			if r.Status == "sent" {
				sent++
			}
		}
		if len(rows) == 2 && sent == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox after sending: %+v", rows)
		}
	}
	for _, r := range rows {
		for _, secret := range append(secrets, "Hello Ivy", "confirm-email", code) {
			if strings.Contains(r.Doc, secret) {
				t.Errorf("sent mail %s still holds %q: %s", r.ID, secret, r.Doc)
			}
		}
		var doc struct {
			Text, HTML string
			Sealed     []byte
		}
		if err := json.Unmarshal([]byte(r.Doc), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Text != "" || doc.HTML != "" || len(doc.Sealed) != 0 {
			t.Errorf("sent mail %s keeps its body: %s", r.ID, r.Doc)
		}
	}
	if onPostgres() {
		return
	}
	// Nothing was ever written in clear: not in the database file, not in
	// its WAL.
	for _, name := range []string{"roster.db", "roster.db-wal"} {
		b, err := os.ReadFile(filepath.Join(s.Main.Config.DataDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the mailed secret %q in clear", name, secret)
			}
		}
	}
}
